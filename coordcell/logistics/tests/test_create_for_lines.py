"""Committed allocation lines become shipments grouped by donor, origin, hub, dispatch week
and delivery point, with legs planned from the run's weeks."""

import datetime as dt
from decimal import Decimal

import pytest

from coordcell.audit.models import AuditEvent
from coordcell.logistics.models import Leg, Shipment
from coordcell.logistics.services import shipments_create_for_lines
from coordcell.logistics.tests.factories import make_line, make_run
from coordcell.registry.models import Role
from coordcell.registry.tests.factories import LocationFactory, NationFactory

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2027, 1, 4)


def test_lines_are_grouped_by_donor_origin_hub_and_dispatch_week(world):
    run = make_run(start=MONDAY)
    a = make_line(world, run=run, quantity=10)
    b = make_line(world, run=run, quantity=20)  # same donor, depot, hub, week: same shipment
    c = make_line(world, run=run, quantity=30, dispatch_week=2, hub_week=3, arrival_week=3)
    d = make_line(world, run=run, donor="PL", quantity=40)
    shipments = shipments_create_for_lines(actor=world.users[Role.COORDINATOR], lines=[a, b, c, d])
    groups = sorted(sorted(s.lines.values_list("quantity", flat=True)) for s in shipments)
    assert groups == [[10, 20], [30], [40]]
    first = Shipment.objects.get(lines__allocation_line=a)
    assert first.planned_departure == MONDAY
    legs = list(first.legs.order_by("sequence"))
    assert [(leg.origin, leg.destination) for leg in legs] == [
        (world.depots["DE"], world.hub),
        (world.hub, world.delivery_point),
    ]
    assert legs[1].planned_departure >= run.week_start(1)
    assert AuditEvent.objects.filter(verb="shipment.create_from_plan").count() == 3


def test_calling_it_twice_ships_nothing_twice(world):
    line = make_line(world)
    coordinator = world.users[Role.COORDINATOR]
    assert len(shipments_create_for_lines(actor=coordinator, lines=[line])) == 1
    assert shipments_create_for_lines(actor=coordinator, lines=[line]) == []
    assert Shipment.objects.count() == 1


def test_goods_from_outside_europe_go_by_sea_or_air(world):
    us = NationFactory(code="US", name="United States", is_donor=True)
    world.nations["US"] = us
    world.depots["US"] = LocationFactory(
        code="anniston",
        name="Anniston",
        nation=us,
        latitude=Decimal("33.63"),
        longitude=Decimal("-85.97"),
    )
    line = make_line(world, donor="US")
    [shipment] = shipments_create_for_lines(actor=world.users[Role.COORDINATOR], lines=[line])
    modes = list(shipment.legs.order_by("sequence").values_list("mode", flat=True))
    assert modes == [Leg.Mode.SEA, Leg.Mode.ROAD]
    first = shipment.legs.get(sequence=1)
    assert (first.planned_arrival - first.planned_departure).days > 10
