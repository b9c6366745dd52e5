"""End-use inventory: every serial-numbered item, where it last was, and which are overdue."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from coordcell.logistics.lifecycle import S
from coordcell.logistics.models import SerialItem
from coordcell.logistics.selectors import overdue_serial_items
from coordcell.logistics.tests.factories import SIGNED, event, ingest, make_shipment
from coordcell.registry.models import Role
from coordcell.registry.tests.factories import ItemCategoryFactory

pytestmark = pytest.mark.django_db


SERIALS = ["M-1", "M-2"]


def _manpads_shipment(world):
    """A shipment of two serial-numbered MANPADS, and a moment a day ago for its first event."""
    category = ItemCategoryFactory(code="manpads", name="MANPADS", sensitive=True)
    shipment = make_shipment(world, category=category, quantity=2)
    return shipment, timezone.now() - dt.timedelta(days=1)


def _received(world):
    shipment, at = _manpads_shipment(world)
    serials = SERIALS
    ingest(
        world,
        [
            event(shipment, S.READY, at, serials=serials),
            event(shipment, S.DEPARTED, at + dt.timedelta(hours=1)),
            event(shipment, S.AT_HUB, at + dt.timedelta(hours=5), serials=serials, quantity=2),
            event(shipment, S.DEPARTED_HUB, at + dt.timedelta(hours=6)),
            event(
                shipment,
                S.HANDED_OVER,
                at + dt.timedelta(hours=9),
                serials=serials,
                quantity=2,
                **SIGNED,
            ),
        ],
    )
    ingest(
        world,
        [event(shipment, S.RECEIVED, at + dt.timedelta(hours=10), quantity=2, **SIGNED)],
        role=Role.RECIPIENT_LIAISON,
    )
    return shipment


def test_received_items_are_listed_with_where_they_last_were(world, client_for):
    _received(world)
    items = SerialItem.objects.all()
    assert all(i.received_at and i.last_location == world.delivery_point for i in items)
    page = client_for(world.users[Role.RECIPIENT_LIAISON]).get("/logistics/inventory/")
    assert b"M-1" in page.content and b"Lviv handover point" in page.content


def test_items_not_checked_for_the_interval_are_overdue_until_checked(world, client_for):
    _received(world)
    assert not overdue_serial_items(SerialItem.objects.all()).exists()
    with time_machine.travel(timezone.now() + dt.timedelta(days=91)):
        assert overdue_serial_items(SerialItem.objects.all()).count() == 2
        client = client_for(world.users[Role.RECIPIENT_LIAISON])
        assert b"2 overdue" in client.get("/logistics/inventory/").content
        response = client.post(
            "/logistics/inventory/",
            {
                "serials": "M-1\n",
                "location": world.delivery_point.pk,
            },
        )
        assert response.status_code == 302
        assert list(
            overdue_serial_items(SerialItem.objects.all()).values_list("serial", flat=True)
        ) == ["M-2"]


def test_a_check_reported_late_does_not_move_items_back_to_where_they_were_before(world):
    shipment, at = _manpads_shipment(world)
    serials = SERIALS
    ingest(
        world,
        [
            event(shipment, S.READY, at, serials=serials),
            event(shipment, S.DEPARTED, at + dt.timedelta(hours=1)),
            event(
                shipment,
                S.HANDED_OVER,
                at + dt.timedelta(hours=9),
                serials=serials,
                quantity=2,
                **SIGNED,
            ),
        ],
    )
    # The hub's feed arrives after the handover, with the check it made hours before it.
    result = ingest(
        world, [event(shipment, S.AT_HUB, at + dt.timedelta(hours=5), serials=serials, quantity=2)]
    )
    assert not result.rejected
    items = SerialItem.objects.all()
    assert {i.last_location for i in items} == {world.delivery_point}
    assert {i.last_seen_at for i in items} == {at + dt.timedelta(hours=9)}
