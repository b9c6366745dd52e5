"""Shipments for tests, made the way production makes them: from committed allocation lines."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from coordcell.allocation.models import AllocationLine, AllocationRun
from coordcell.logistics.models import Shipment
from coordcell.logistics.services import events_ingest, shipments_create_for_lines
from coordcell.pledges.tests.factories import PledgeFactory
from coordcell.registry.models import Role
from coordcell.requirements.services import requirements_refresh_status
from coordcell.requirements.tests.factories import RequirementFactory

_counter = iter(range(1, 10**9))


def make_run(*, start: dt.date | None = None) -> AllocationRun:
    start = start or (timezone.now().date() - dt.timedelta(days=timezone.now().weekday()))
    return AllocationRun.objects.create(
        reference=f"A-{next(_counter):05d}",
        status=AllocationRun.Status.COMMITTED,
        planning_start=start,
    )


def make_line(
    world: Any,
    *,
    run: AllocationRun | None = None,
    donor: str = "DE",
    quantity: int = 100,
    category: Any = None,
    requirement: Any = None,
    dispatch_week: int = 0,
    hub_week: int = 1,
    arrival_week: int = 1,
) -> AllocationLine:
    run = run or make_run()
    category = category or world.category
    pledge = PledgeFactory(
        donor=world.nations[donor],
        origin=world.depots[donor],
        category=category,
        quantity=max(quantity, 1),
    )
    requirement = requirement or RequirementFactory(
        category=category,
        capability=world.capability,
        delivery_point=world.delivery_point,
        quantity=quantity,
    )
    return AllocationLine.objects.create(
        run=run,
        pledge=pledge,
        requirement=requirement,
        hub=world.hub,
        quantity=quantity,
        dispatch_week=dispatch_week,
        hub_week=hub_week,
        arrival_week=arrival_week,
    )


def make_shipment(world: Any, **kwargs: Any) -> Shipment:
    line = make_line(world, **kwargs)
    coordinator = world.users[Role.COORDINATOR]
    [shipment] = shipments_create_for_lines(actor=coordinator, lines=[line])
    # As the commit does: the requirement is now allocated.
    requirements_refresh_status(
        actor=coordinator, requirement_ids=[line.requirement_id], cause="test commit"
    )
    return shipment


def event(shipment: Shipment, status: str, at: dt.datetime, **fields: Any) -> dict[str, Any]:
    return {
        "id": f"{shipment.reference}-{status}-{at.isoformat()}",
        "shipment": shipment.reference,
        "status": status,
        "occurred_at": at.isoformat(),
        **fields,
    }


SIGNED = {"handed_over_by": "Sgt. Weber (carrier)", "taken_over_by": "Capt. Shevchenko"}


def ingest(world: Any, events: list[dict[str, Any]], role: str = Role.COORDINATOR) -> Any:
    return events_ingest(actor=world.users[role], events=events)
