"""What-if changes are checked when they are queued (issue 23): a change that is not a change,
a number that is not whole or beyond its range, JSON nested without end: refused with a message
on the page, never a 500, and no run is queued."""

import pytest

from coordcell.allocation.models import AllocationRun
from coordcell.allocation.scenarios import ChangeError, check_changes
from coordcell.allocation.services import default_planning_start, run_create
from coordcell.registry.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def base(world):
    return run_create(
        actor=world.users[Role.COORDINATOR], planning_start=default_planning_start(), enqueue=False
    )


@pytest.mark.parametrize(
    ("more", "message"),
    [
        (
            '[{"type": "extra_capacity", "hub": "rzeszow", "domain": "artillery", '
            '"per_week": 1000000000000}]',
            "between 1 and 1000000000",
        ),  # fmt: skip
        ('[{"type": "slip_pledge", "pledge": "P-000001", "weeks": 1e999}]', "whole number"),
        ('[{"type": "slip_pledge", "pledge": "P-000001", "weeks": true}]', "whole number"),
        ('[{"type": "slip_pledge", "pledge": "P-000001", "weeks": NaN}]', "JSON list"),
        ('[{"type": "raise_priority", "requirement": ["R-1"], "priority": 1}]', "reference"),
        ('[{"type": "withdraw_pledge", "pledge": "P-1", "drop": "tables"}]', "has no drop"),
        ("[[1]]", "'type' among"),
        ("[" * 100_000 + "]" * 100_000, "JSON list"),
    ],
)
def test_a_bad_change_is_refused_on_the_page_and_queues_nothing(
    world, base, client_for, more, message
):
    client = client_for(world.users[Role.COORDINATOR])
    response = client.post(
        f"/allocation/{base.pk}/what-if/",
        {"change": "withdraw_pledge", "pledge": "P-000001", "more_changes": more},
        follow=True,
    )
    assert response.status_code == 200
    shown = " ".join(str(m) for m in response.context["messages"])
    assert message in shown, shown
    assert AllocationRun.objects.count() == 1


def test_the_largest_allowed_changes_pass_the_check():
    changes = [
        {"type": "close_hub", "hub": "h", "from_week": 0, "to_week": 104},
        {"type": "extra_capacity", "hub": "h", "domain": "artillery", "per_week": 10**9},
        {"type": "slip_pledge", "pledge": "P-000001", "weeks": 104},
        {"type": "raise_priority", "requirement": "R-000001", "priority": 5},
    ]
    assert check_changes(changes) == changes
    with pytest.raises(ChangeError, match="at most 100"):
        check_changes(changes * 26)
