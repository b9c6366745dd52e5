"""Cell references continue from what is stored, never repeat, and come back on a rollback.
(Concurrent creates, on both databases: tests/test_concurrent_references.py.)"""

import pytest
from django.db import transaction

from coordcell.numbering.models import ReferenceCounter
from coordcell.pledges.models import Pledge
from coordcell.pledges.services import PLEDGE_REFERENCES
from coordcell.pledges.tests.factories import PledgeFactory

pytestmark = pytest.mark.django_db


def _pledge(world, reference):
    return PledgeFactory(
        donor=world.nations["DE"],
        origin=world.depots["DE"],
        category=world.category,
        reference=reference,
    )


def test_numbering_starts_after_the_highest_reference_stored(world):
    _pledge(world, "P-000041")
    _pledge(world, "P-IMPORTED-9")  # not a cell reference: ignored
    assert PLEDGE_REFERENCES.take(3) == ["P-000042", "P-000043", "P-000044"]
    assert ReferenceCounter.objects.get(prefix="P").last == 44


def test_a_higher_reference_stored_meanwhile_is_jumped_over(world):
    assert PLEDGE_REFERENCES.next() == "P-000001"
    _pledge(world, "P-000500")  # written without the counter, e.g. the demo data
    assert PLEDGE_REFERENCES.next() == "P-000501"


def test_the_number_of_a_deleted_record_is_not_given_again(world):
    pledge = _pledge(world, PLEDGE_REFERENCES.next())
    pledge.delete()
    assert not Pledge.objects.exists()
    assert PLEDGE_REFERENCES.next() == "P-000002"


def test_a_rolled_back_transaction_gives_its_numbers_back(world):
    class Undo(Exception):
        pass

    with pytest.raises(Undo), transaction.atomic():
        assert PLEDGE_REFERENCES.take(2) == ["P-000001", "P-000002"]
        raise Undo
    assert PLEDGE_REFERENCES.next() == "P-000001"


def test_numbers_go_on_past_the_width(world):
    _pledge(world, "P-999999")
    assert PLEDGE_REFERENCES.take(2) == ["P-1000000", "P-1000001"]
    assert PLEDGE_REFERENCES.next() == "P-1000002"


def test_holding_the_counter_hands_out_nothing(world):
    PLEDGE_REFERENCES.hold()
    assert ReferenceCounter.objects.get(prefix="P").last == 0
    assert PLEDGE_REFERENCES.next() == "P-000001"
