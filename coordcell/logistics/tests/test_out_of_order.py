"""Events arrive out of order; the status is derived from the furthest stage reached."""

import datetime as dt

import pytest
from django.utils import timezone

from coordcell.logistics.lifecycle import EventFact, S, derive_status
from coordcell.logistics.tests.factories import event, ingest, make_shipment

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2027, 1, 4, 8, 0, tzinfo=dt.UTC)


def test_the_furthest_stage_wins_over_a_later_but_earlier_stage():
    events = [
        EventFact(1, S.AT_HUB, T0 + dt.timedelta(hours=5)),
        EventFact(2, S.DEPARTED, T0 + dt.timedelta(hours=9)),  # clock skew at the depot
    ]
    assert derive_status(events).status == S.AT_HUB


def test_among_events_of_the_furthest_stage_the_latest_counts():
    events = [EventFact(1, S.AT_HUB, T0), EventFact(2, S.AT_HUB, T0 + dt.timedelta(hours=1))]
    assert derive_status(events).id == 2


def test_events_received_out_of_order_give_the_right_status(world):
    shipment = make_shipment(world)
    at = timezone.now() - dt.timedelta(days=3)
    at_hub = event(shipment, S.AT_HUB, at + dt.timedelta(hours=20), quantity=100)
    departed = event(shipment, S.DEPARTED, at + dt.timedelta(hours=2))
    ready = event(shipment, S.READY, at)
    ingest(world, [at_hub])
    shipment.refresh_from_db()
    assert shipment.status == S.AT_HUB
    assert shipment.last_location == world.hub
    ingest(world, [departed, ready])
    shipment.refresh_from_db()
    assert shipment.status == S.AT_HUB
    first_leg = shipment.legs.get(sequence=1)
    assert first_leg.actual_departure == at + dt.timedelta(hours=2)
    assert first_leg.actual_arrival == at + dt.timedelta(hours=20)


def test_a_cancelled_shipment_takes_no_further_events(world):
    shipment = make_shipment(world)
    at = timezone.now() - dt.timedelta(hours=3)
    ingest(world, [event(shipment, S.CANCELLED, at, note="donor withdrew")])
    result = ingest(world, [event(shipment, S.READY, at - dt.timedelta(hours=1))])
    assert "is cancelled" in result.rejected[0].error
    shipment.refresh_from_db()
    assert shipment.status == S.CANCELLED
