import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from coordcell.audit.models import AuditEvent, AuditHead
from coordcell.audit.services import current_head, record, verify
from coordcell.registry.models import Nation

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain():
    with transaction.atomic():
        for i in range(5):
            nation = Nation.objects.create(code=f"Q{i}", name=f"N{i}", is_donor=True)
            record(actor=None, verb="create", target=nation, data={"after": {"code": nation.code}})
    return list(AuditEvent.objects.order_by("seq"))


def test_an_intact_chain_verifies(chain):
    result = verify()
    assert result.ok and result.events == 5
    assert result.head == current_head()[1]


def test_a_changed_byte_is_detected_and_named(chain):
    AuditEvent.objects.filter(seq=3).update(data={"after": {"code": "Q9"}})
    result = verify()
    assert not result.ok
    assert result.first_bad_seq == 3
    assert "altered" in result.problem


def test_a_deleted_event_is_detected(chain):
    AuditEvent.objects.filter(seq=2).delete()
    result = verify()
    assert not result.ok and result.first_bad_seq == 2


def test_reordered_events_are_detected(chain):
    a, b = chain[1], chain[2]
    AuditEvent.objects.filter(pk=a.pk).update(seq=1000)
    AuditEvent.objects.filter(pk=b.pk).update(seq=a.seq)
    AuditEvent.objects.filter(pk=a.pk).update(seq=b.seq)
    assert not verify().ok


def test_a_truncated_tail_is_detected(chain):
    AuditEvent.objects.filter(seq=5).delete()
    result = verify()
    assert not result.ok and "truncated" in result.problem


def test_truncation_with_a_forged_head_is_caught_by_the_head_kept_outside(chain):
    kept = current_head()[1]
    AuditEvent.objects.filter(seq=5).delete()
    AuditHead.objects.filter(pk=1).update(seq=4, hash=chain[3].hash)
    assert verify().ok  # the database alone cannot tell...
    assert not verify(expected_head=kept).ok  # ...the head kept outside can


def test_audit_verify_command_fails_on_a_broken_chain(chain, capsys):
    call_command("audit", "verify")
    assert "intact: 5 events" in capsys.readouterr().out
    AuditEvent.objects.filter(seq=4).update(actor_name="someone-else")
    with pytest.raises(CommandError, match="event #4 was altered"):
        call_command("audit", "verify")


def test_record_refuses_to_run_outside_a_transaction(transactional_db):
    with pytest.raises(RuntimeError):
        record(actor=None, verb="x", target_type="t", target_id="1")
