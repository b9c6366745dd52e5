"""Writes recompute readiness after they commit: once per transaction, in a transaction of its
own."""

import datetime as dt
import logging
import re
from unittest import mock

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from coordcell.audit.services import verify
from coordcell.logistics.lifecycle import S
from coordcell.logistics.services import shipments_create_for_lines
from coordcell.logistics.tests.factories import event, ingest
from coordcell.pledges.models import Pledge
from coordcell.pledges.services import pledge_save
from coordcell.readiness import services
from coordcell.readiness.models import ReadinessChange
from coordcell.readiness.wording import Wording
from coordcell.registry.models import Role
from coordcell.registry.tests.factories import CapabilityFactory
from coordcell.training import services as training_services
from coordcell.training.tests.factories import make_cohort, make_session


def _ready_on(package):  # type: ignore[no-untyped-def]
    package.package.refresh_from_db()
    return package.package.ready_on


def _slip(world, package, weeks):  # type: ignore[no-untyped-def]
    pledge = package.pledge
    pledge.available_from = package.week(weeks)
    return pledge_save(actor=world.users[Role.COORDINATOR], pledge=pledge)


@pytest.fixture
def spy(monkeypatch):  # type: ignore[no-untyped-def]
    """Counts the recomputes (and lets them run)."""
    wrapped = mock.Mock(wraps=services.recompute_for_capabilities)
    monkeypatch.setattr(services, "recompute_for_capabilities", wrapped)
    return wrapped


@pytest.mark.django_db
def test_a_shipment_event_moves_readiness_once_its_batch_commits(
    world, package, django_capture_on_commit_callbacks
):
    [shipment] = shipments_create_for_lines(
        actor=world.users[Role.COORDINATOR], lines=[package.gun_line]
    )
    services.recompute_for_shipments([shipment.pk], cause="shipments planned")
    before = _ready_on(package)
    assert before is not None
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        ingest(world, [event(shipment, S.CANCELLED, timezone.now() - dt.timedelta(hours=1))])
        assert _ready_on(package) == before  # not inside the write's transaction
    assert len(callbacks) == 1
    assert _ready_on(package) is None  # the guns are no longer on their way
    assert Wording.for_the_cell().bottleneck(package.package) == (
        "requirement R-000042 not allocated (0 of 4 covered)"
    )
    assert package.package.changes.first().cause == f"shipment events: {shipment.reference}"


@pytest.mark.django_db(transaction=True)
def test_a_pledge_slip_moves_readiness_after_a_real_commit(world, package):
    assert _ready_on(package) == package.week(3)
    _slip(world, package, 5)  # its own transaction: committed, then recomputed
    assert _ready_on(package) == package.week(8)
    [change] = ReadinessChange.objects.all()
    assert change.cause == f"pledge {package.pledge.reference} changed"
    assert verify().ok


@pytest.mark.django_db
def test_nothing_is_recomputed_when_the_write_rolls_back(
    world, package, spy, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        _slip(world, package, 5)
        raise RuntimeError("the request failed after the save")
    assert callbacks == []
    spy.assert_not_called()
    assert _ready_on(package) == package.week(3)
    assert not ReadinessChange.objects.exists()


@pytest.mark.django_db
def test_the_next_transaction_starts_a_fresh_set(world, spy, django_capture_on_commit_callbacks):
    other = CapabilityFactory()
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            services.recompute_after_commit([world.capability.pk], cause="rolled back")
            raise RuntimeError
        with transaction.atomic():
            services.recompute_after_commit([other.pk], cause="committed")
    spy.assert_called_once()
    assert set(spy.call_args.args[0]) == {other.pk}
    assert spy.call_args.kwargs["cause"].text == "committed"


@pytest.mark.django_db
def test_changes_in_one_transaction_are_recomputed_once_for_all_their_capabilities(
    world, package, spy, django_capture_on_commit_callbacks
):
    coordinator = world.users[Role.COORDINATOR]
    other = CapabilityFactory()
    late = make_session(package.op, package.site, package.week(6))
    cohort = make_cohort(world, [package.op], trainees=6)
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        _slip(world, package, 5)
        training_services.booking_create(actor=coordinator, cohort=cohort, session=late)
        services.recompute_after_commit([other.pk], cause="another change", actor=coordinator)
    assert len(callbacks) == 1
    spy.assert_called_once()
    assert set(spy.call_args.args[0]) == {world.capability.pk, other.pk}
    assert spy.call_args.kwargs["cause"].text == (
        f"pledge {package.pledge.reference} changed; "
        f"{cohort.reference} booked on {late.reference}; another change"
    )
    assert spy.call_args.kwargs["actor"] == coordinator
    assert _ready_on(package) == package.week(8)
    assert ReadinessChange.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_failing_recompute_after_commit_keeps_the_write_and_is_logged(
    world, package, monkeypatch, caplog
):
    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "recompute_for_capabilities", broken)
    with caplog.at_level(logging.ERROR, logger="coordcell.readiness"):
        _slip(world, package, 5)
    assert Pledge.objects.get(pk=package.pledge.pk).available_from == package.week(5)
    assert _ready_on(package) == package.week(3)  # as it was, until the next recompute
    [entry] = [r for r in caplog.records if r.name == "coordcell.readiness"]
    assert "failed" in entry.getMessage()
    assert entry.exc_info is not None
    assert verify().ok


LOCK = re.compile(r"FOR (NO KEY )?UPDATE")


@pytest.mark.django_db
def test_a_write_locks_no_package_and_its_recompute_locks_packages_before_the_head(
    world, package, django_capture_on_commit_callbacks
):
    with (
        CaptureQueriesContext(connection) as write,
        django_capture_on_commit_callbacks() as callbacks,
    ):
        _slip(world, package, 5)
    locks = [q["sql"] for q in write.captured_queries if LOCK.search(q["sql"])]
    assert not [sql for sql in locks if "readiness_capabilitypackage" in sql]
    [recompute] = callbacks
    with CaptureQueriesContext(connection) as after:
        recompute()
    locks = [q["sql"] for q in after.captured_queries if LOCK.search(q["sql"])]
    if connection.vendor == "postgresql":  # SQLite takes no row locks
        # Only the package rows, in a mode that rows referring to them do not wait for.
        assert 'FOR NO KEY UPDATE OF "readiness_capabilitypackage"' in locks[0]
        assert "audit_audithead" in locks[-1]
    assert _ready_on(package) == package.week(8)


@pytest.mark.django_db
def test_an_event_that_moves_nothing_readiness_reads_recomputes_nothing(
    world, package, spy, django_capture_on_commit_callbacks
):
    [shipment] = shipments_create_for_lines(
        actor=world.users[Role.COORDINATOR], lines=[package.gun_line]
    )
    services.recompute_for_shipments([shipment.pk], cause="shipments planned")
    spy.reset_mock()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        # Ready at the origin on time: still changeable, same ETA, nothing received.
        result = ingest(world, [event(shipment, S.READY, timezone.now() - dt.timedelta(hours=1))])
    assert result.accepted == 1
    assert callbacks == []
    spy.assert_not_called()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        # Cancelled: the guns are no longer coming; that moves the package.
        ingest(world, [event(shipment, S.CANCELLED, timezone.now())])
    assert len(callbacks) == 1
    spy.assert_called_once()
    assert _ready_on(package) is None
