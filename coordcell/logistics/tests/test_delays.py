"""Late shipments, the requirements they put at risk, and ETAs that shift with late legs."""

import datetime as dt

import pytest
from django.utils import timezone

from coordcell.logistics.lifecycle import LegTimes, S, schedule
from coordcell.logistics.models import Shipment
from coordcell.logistics.selectors import late_shipments
from coordcell.logistics.tests.factories import event, ingest, make_run, make_shipment
from coordcell.registry.models import Role

pytestmark = pytest.mark.django_db

D = dt.date(2027, 1, 4)


def test_a_late_departure_shifts_the_later_legs():
    legs = [
        LegTimes(D, D + dt.timedelta(days=2)),
        LegTimes(D + dt.timedelta(days=7), D + dt.timedelta(days=8)),
    ]
    legs[0].actual_departure = dt.datetime(2027, 1, 9, 6, tzinfo=dt.UTC)  # 5 days late
    plan = schedule(legs, S.DEPARTED, today=D + dt.timedelta(days=5))
    assert legs[0].expected_arrival == D + dt.timedelta(days=7)
    assert legs[1].expected_departure == D + dt.timedelta(days=8)  # after the hub check
    assert plan.eta == D + dt.timedelta(days=9)
    assert plan.delay_days == 5


def test_a_shipment_not_departed_by_its_planned_day_is_late():
    legs = [
        LegTimes(D, D + dt.timedelta(days=2)),
        LegTimes(D + dt.timedelta(days=3), D + dt.timedelta(days=4)),
    ]
    plan = schedule(legs, S.READY, today=D + dt.timedelta(days=3))
    assert plan.next_due == D
    assert plan.eta == D + dt.timedelta(days=7)


@pytest.fixture
def late_and_on_time(world):
    three_weeks_ago = timezone.now().date() - dt.timedelta(days=21)
    monday = three_weeks_ago - dt.timedelta(days=three_weeks_ago.weekday())
    late = make_shipment(world, run=make_run(start=monday), quantity=30)
    on_time = make_shipment(
        world,
        donor="PL",
        quantity=20,
        run=make_run(start=timezone.now().date() + dt.timedelta(days=14)),
    )
    return late, on_time


def test_the_delays_page_lists_a_late_shipment_with_the_requirement_at_risk(
    world, late_and_on_time, client_for
):
    late, on_time = late_and_on_time
    requirement = late.lines.get().requirement
    page = client_for(world.users[Role.COORDINATOR]).get("/logistics/delays/")
    assert page.status_code == 200
    assert late.reference.encode() in page.content
    assert on_time.reference.encode() not in page.content
    assert requirement.reference.encode() in page.content
    assert b"Self-propelled artillery brigade" in page.content


def test_a_late_departure_event_flags_the_shipment_late(world):
    shipment = make_shipment(
        world, run=make_run(start=timezone.now().date() - dt.timedelta(days=2))
    )
    ingest(
        world,
        [
            event(shipment, S.READY, timezone.now() - dt.timedelta(hours=1)),
            event(shipment, S.DEPARTED, timezone.now()),
        ],
    )
    shipment.refresh_from_db()
    assert shipment.delay_days == 2
    assert late_shipments(Shipment.objects.all()).filter(pk=shipment.pk).exists()


def test_the_donor_page_lists_its_own_late_shipments(world, late_and_on_time, client_for):
    late, _ = late_and_on_time
    page = client_for(world.users[Role.DONOR_LIAISON]).get("/logistics/donors/DE/late/")
    assert late.reference.encode() in page.content
    assert (
        client_for(world.users["donor-pl"])
        .get("/logistics/donors/PL/late/")
        .context["page"]
        .paginator.count
        == 0
    )
