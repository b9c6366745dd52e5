"""For any sequence of allocate-and-commit, ship, receive (short, damaged), cancel, resolve a
discrepancy, withdraw and slip, every requirement's and every pledge's ledger balances, and no
unit is counted twice."""

import datetime as dt
import itertools

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from coordcell.allocation.services import run_commit, run_create, run_execute
from coordcell.logistics.changes import shipment_cancel
from coordcell.logistics.discrepancies import discrepancy_record, discrepancy_resolve
from coordcell.logistics.ledger import all_ledgers
from coordcell.logistics.lifecycle import S
from coordcell.logistics.models import Discrepancy, Shipment
from coordcell.logistics.tests.factories import SIGNED, ingest
from coordcell.pledges.models import Pledge
from coordcell.pledges.services import pledge_save
from coordcell.registry.models import Role

pytestmark = pytest.mark.django_db

STEPS = st.one_of(
    st.tuples(st.just("plan")),
    st.tuples(st.just("ship"), st.integers(0, 5), st.integers(0, 30)),
    st.tuples(st.just("receive"), st.integers(0, 5), st.integers(0, 30), st.integers(0, 10)),
    st.tuples(st.just("cancel"), st.integers(0, 5)),
    st.tuples(
        st.just("resolve"),
        st.integers(0, 5),
        st.sampled_from(["found", "replaced", "written_off", "claimed"]),
    ),
    st.tuples(st.just("withdraw"), st.integers(0, 1)),
    st.tuples(st.just("slip"), st.integers(0, 1), st.integers(1, 4)),
    st.tuples(st.just("raise"), st.integers(0, 1), st.integers(1, 80)),
)
_clock = itertools.count()


def _at():
    # Events of one shipment must follow each other; a fresh minute for every event.
    return (timezone.now() - dt.timedelta(days=20) + dt.timedelta(minutes=next(_clock))).isoformat()


def _event(shipment, status, **fields):
    return {
        "id": f"{shipment.reference}-{status}-{next(_clock)}",
        "shipment": shipment.reference,
        "status": status,
        "occurred_at": _at(),
        **fields,
    }


def _pick(statuses, index):
    shipments = list(Shipment.objects.filter(status__in=statuses).order_by("pk"))
    return shipments[index % len(shipments)] if shipments else None


def _apply(world, situation, step):
    coordinator = world.users[Role.COORDINATOR]
    kind = step[0]
    if kind == "plan":
        run = run_execute(
            run_create(actor=coordinator, enqueue=False, planning_start=situation["start"]).pk
        )
        if run.lines.exists():
            run_commit(actor=coordinator, run=run)
    elif kind == "ship":
        shipment = _pick([S.PLANNED], step[1])
        if shipment is None:
            return
        lines = {str(ln.pk): max(0, ln.quantity - step[2]) for ln in shipment.lines.all()}
        result = ingest(
            world,
            [_event(shipment, S.READY), _event(shipment, S.DEPARTED, lines=lines)],
        )
        assert not result.rejected, result.rejected
    elif kind == "receive":
        shipment = _pick([S.DEPARTED], step[1])
        if shipment is None:
            return
        counted = {
            str(ln.pk): max(0, (ln.shipped_quantity or 0) - step[2]) for ln in shipment.lines.all()
        }
        shipped = {str(ln.pk): ln.shipped_quantity or 0 for ln in shipment.lines.all()}
        result = ingest(
            world,
            [
                _event(shipment, S.AT_HUB, lines=shipped),
                _event(shipment, S.DEPARTED_HUB),
                _event(shipment, S.HANDED_OVER, lines=counted, **SIGNED),
            ],
        )
        assert not result.rejected, result.rejected
        result = ingest(
            world,
            [_event(shipment, S.RECEIVED, lines=counted, **SIGNED)],
            role=Role.RECIPIENT_LIAISON,
        )
        assert not result.rejected, result.rejected
        line = shipment.lines.order_by("pk").first()
        received = counted[str(line.pk)]
        if step[3] and received:
            discrepancy_record(
                actor=world.users[Role.RECIPIENT_LIAISON],
                shipment=shipment,
                kind=Discrepancy.Kind.DAMAGED,
                description="damaged in transit",
                line_id=line.pk,
                quantity=min(step[3], received),
            )
    elif kind == "resolve":
        open_ = list(Discrepancy.objects.exclude(status=Discrepancy.Status.RESOLVED).order_by("pk"))
        if open_:
            discrepancy_resolve(
                actor=coordinator,
                discrepancy=open_[step[1] % len(open_)],
                resolution=step[2],
                note="Settled in a test.",
            )
    elif kind == "cancel":
        shipment = _pick([S.PLANNED, S.READY], step[1])
        if shipment is not None:
            shipment_cancel(actor=coordinator, shipment=shipment, reason="Cancelled in a test.")
    else:
        pledge = Pledge.objects.get(pk=situation[("german", "polish")[step[1]]].pk)
        if kind == "withdraw":
            pledge.status = Pledge.Status.WITHDRAWN
        elif kind == "slip":
            pledge.available_from += dt.timedelta(weeks=step[2])
        else:
            pledge.quantity += step[2]
        try:
            with transaction.atomic():
                pledge_save(actor=coordinator, pledge=pledge, expected_version=pledge.version)
        except ValidationError:
            pass  # refused (withdrawing what is about to leave): nothing changes


def _check_balances():
    requirements, pledges = all_ledgers()
    for r in requirements.values():
        assert r.over_covered == 0, r
        if not r.cancelled:
            assert r.required == r.received_serviceable + r.in_transit + r.allocated + r.open, r
    for p in pledges.values():
        assert p.over_allocated == 0, p
        assert p.offered == (
            p.allocated + p.shipped + p.delivered + p.lost + p.withdrawn + p.free
        ), p
    # No unit counted twice: each stage holds on the requirements' side what the pledges say.
    total = {
        name: sum(getattr(x, name) for x in side.values())
        for side in (requirements, pledges)
        for name in (
            "allocated",
            "in_transit",
            "shipped",
            "received_serviceable",
            "received_damaged",
            "written_off",
            "delivered",
            "lost",
        )
        if hasattr(next(iter(side.values())), name)
    }
    r_lost = sum(r.lost for r in requirements.values())
    p_lost = sum(p.lost for p in pledges.values())
    assert sum(r.allocated for r in requirements.values()) == sum(
        p.allocated for p in pledges.values()
    ), total
    assert sum(r.in_transit for r in requirements.values()) == sum(
        p.shipped for p in pledges.values()
    )
    received = sum(
        r.received_serviceable + r.received_damaged + r.written_off + r.lost
        for r in requirements.values()
    )
    assert received == sum(p.delivered for p in pledges.values()) + p_lost
    assert r_lost <= p_lost


@given(steps=st.lists(STEPS, min_size=1, max_size=10))
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_ledger_balances_after_any_sequence(world, situation, steps):
    savepoint = transaction.savepoint_create()
    try:
        # A plan committed first: the other steps then have shipments to act on.
        for step in [("plan",), *steps]:
            _apply(world, situation, step)
            _check_balances()
        event(f"shipments received: {Shipment.objects.filter(status=S.RECEIVED).count() > 0}")
        event(f"discrepancies resolved: {Discrepancy.objects.filter(status='resolved').exists()}")
    finally:
        transaction.savepoint_rollback(savepoint)
