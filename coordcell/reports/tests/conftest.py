"""A small picture: German and Polish pledges with values, committed lines, shipments moving."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from coordcell.allocation.models import AllocationLine
from coordcell.logistics.models import Discrepancy, Shipment
from coordcell.logistics.services import events_ingest
from coordcell.logistics.tests.factories import SIGNED, event, make_line, make_run, make_shipment
from coordcell.pledges.models import Pledge
from coordcell.pledges.tests.factories import PledgeFactory
from coordcell.readiness.models import CapabilityPackage, PackageItem
from coordcell.registry.models import ItemCategory, Role
from coordcell.registry.tests.factories import CapabilityFactory, ItemCategoryFactory
from coordcell.requirements.tests.factories import RequirementFactory


@pytest.fixture
def picture_world(world: Any) -> Any:
    """DE: 100 units shipped and received (EUR, replacement cost); PL: 40 units planned (USD)."""
    de = make_shipment(world, donor="DE", quantity=100)
    pl = make_shipment(world, donor="PL", quantity=40)
    Pledge.objects.filter(pk=de.lines.get().pledge_id).update(
        value=Decimal("1000000"),
        currency="EUR",
        valuation_basis="replacement_cost",
        allocated_quantity=100,
    )
    Pledge.objects.filter(pk=pl.lines.get().pledge_id).update(
        value=Decimal("500000"),
        currency="EUR",
        valuation_basis="depreciated_book_value",
        allocated_quantity=40,
    )
    now = timezone.now() - dt.timedelta(days=1)
    coordinator = world.users[Role.COORDINATOR]
    steps = ["ready_at_origin", "departed", "at_hub", "departed_hub", "handed_over"]
    result = events_ingest(
        actor=coordinator,
        events=[
            event(de, status, now + dt.timedelta(hours=i), quantity=100, **SIGNED)
            for i, status in enumerate(steps)
        ],
    )
    assert not result.rejected, result.rejected
    result = events_ingest(
        actor=world.users[Role.RECIPIENT_LIAISON],
        events=[event(de, "received", now + dt.timedelta(hours=6), quantity=100, **SIGNED)],
    )
    assert not result.rejected, result.rejected
    world.extra.update(de=de, pl=pl)
    return world


TODAY = timezone.now().date()


@pytest.fixture
def scenario(picture_world: Any) -> Any:
    """picture_world (DE: 100 rounds received; PL: 40 rounds planned), and:

    - DE pledges 5,000 litres of diesel, and a pledge of rounds whose quantity is undisclosed;
    - three priority-1 requirements: one planned on time in full, one planned 60% late, one not
      planned at all;
    - PL's planned shipment is 5 days late; a discrepancy on DE's shipment is 10 days overdue;
      a capability package with a priority-1 requirement is ready 3 days after it is needed.
    """
    w = picture_world
    diesel = ItemCategoryFactory(name="Diesel", unit=ItemCategory.Unit.LITRE)
    PledgeFactory(donor=w.nations["DE"], origin=w.depots["DE"], category=diesel, quantity=5000)
    PledgeFactory(donor=w.nations["DE"], origin=w.depots["DE"], category=w.category, quantity=None)
    run = make_run()
    p1 = [
        RequirementFactory(
            category=w.category,
            capability=w.capability,
            delivery_point=w.delivery_point,
            quantity=100,
            priority=1,
        )
        for _ in range(3)
    ]
    make_line(w, run=run, requirement=p1[0], quantity=100)
    late_line = make_line(w, run=run, requirement=p1[1], quantity=60, donor="PL")
    AllocationLine.objects.filter(pk=late_line.pk).update(weeks_late=2)
    Shipment.objects.filter(pk=w.extra["pl"].pk).update(next_due=TODAY - dt.timedelta(days=5))
    de_line = w.extra["de"].lines.get()
    Discrepancy.objects.create(
        shipment=w.extra["de"],
        line=de_line,
        kind=Discrepancy.Kind.SHORT,
        stage="received",
        quantity=3,
        due_on=TODAY - dt.timedelta(days=10),
        recorded_at=timezone.now(),
        owner_nation=w.nations["DE"],
    )
    capability = CapabilityFactory(name="Air defence battery")
    need = TODAY + dt.timedelta(days=20)
    package = CapabilityPackage.objects.create(
        reference="CP-1",
        name="Battery one",
        capability=capability,
        ready_on=need + dt.timedelta(days=3),
        bottleneck={"kind": "legacy", "text": "launchers arrive late"},
    )
    PackageItem.objects.create(
        package=package,
        requirement=RequirementFactory(
            category=w.category,
            capability=capability,
            delivery_point=w.delivery_point,
            quantity=4,
            priority=1,
            need_by=need,
        ),
        role=PackageItem.Role.END_ITEM,
    )
    w.extra.update(package=package, p1=p1)
    return w
