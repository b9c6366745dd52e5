"""The end-use inventory states each item: a serial reported missing is never listed as
received, a damaged one is listed as damaged (issue 18's bug: a serial missing at the hub and
at handover was listed as received at the delivery point)."""

import datetime as dt

import pytest
from django.utils import timezone

from coordcell.logistics.discrepancies import discrepancy_record, discrepancy_resolve
from coordcell.logistics.lifecycle import S
from coordcell.logistics.models import Discrepancy, SerialItem
from coordcell.logistics.selectors import (
    ItemState,
    overdue_serial_items,
    serial_items_visible_to,
    with_item_state,
)
from coordcell.logistics.tests.factories import SIGNED, event, ingest, make_shipment
from coordcell.registry.models import Role
from coordcell.registry.tests.factories import ItemCategoryFactory

pytestmark = pytest.mark.django_db


def _missing_at_hub_and_handover(world):
    """Two rockets on the manifest; R-2 is not found at the hub nor at handover; the recipient
    confirms receipt without counting serials."""
    category = ItemCategoryFactory(code="rocket", name="Rocket", sensitive=True)
    shipment = make_shipment(world, category=category, quantity=2)
    at = timezone.now() - dt.timedelta(days=1)
    ingest(
        world,
        [
            event(shipment, S.READY, at, serials=["R-1", "R-2"]),
            event(shipment, S.DEPARTED, at + dt.timedelta(hours=1)),
            event(shipment, S.AT_HUB, at + dt.timedelta(hours=5), serials=["R-1"], quantity=1),
            event(shipment, S.DEPARTED_HUB, at + dt.timedelta(hours=6)),
            event(
                shipment,
                S.HANDED_OVER,
                at + dt.timedelta(hours=9),
                serials=["R-1"],
                quantity=1,
                **SIGNED,
            ),
        ],
    )
    result = ingest(
        world,
        [event(shipment, S.RECEIVED, at + dt.timedelta(hours=10), quantity=1, **SIGNED)],
        role=Role.RECIPIENT_LIAISON,
    )
    assert not result.rejected, result.rejected
    return shipment


def _states():
    return dict(with_item_state(SerialItem.objects.all()).values_list("serial", "state"))


def test_a_serial_missing_at_the_hub_and_at_handover_is_not_received(world, client_for):
    _missing_at_hub_and_handover(world)
    assert Discrepancy.objects.filter(kind="missing_serial", serial="R-2").count() == 2
    assert _states() == {"R-1": ItemState.RECEIVED, "R-2": ItemState.MISSING}
    assert SerialItem.objects.get(serial="R-2").received_at is None
    page = client_for(world.users[Role.COORDINATOR]).get("/logistics/inventory/").content.decode()
    row = page[page.index("R-2") : page.index("</tr>", page.index("R-2"))]
    assert "Missing" in row and "Received" not in row
    assert "Lviv" not in row  # not listed at the delivery point
    recipient = serial_items_visible_to(world.users[Role.RECIPIENT_LIAISON])
    assert list(recipient.values_list("serial", flat=True)) == ["R-1"]
    assert (
        client_for(world.users[Role.COORDINATOR])
        .get("/logistics/inventory/?state=missing")
        .content.decode()
        .count("R-")
        == 1
    )


def test_a_missing_serial_stays_missing_even_where_a_receipt_stamped_it(world):
    _missing_at_hub_and_handover(world)
    # As rows stood before the receipt learnt to leave reported serials out.
    SerialItem.objects.filter(serial="R-2").update(received_at=timezone.now())
    assert _states()["R-2"] == ItemState.MISSING
    later = timezone.now() + dt.timedelta(days=365)
    assert "R-2" not in set(
        overdue_serial_items(SerialItem.objects.all(), now=later).values_list("serial", flat=True)
    )


def test_a_missing_serial_found_on_both_checks_is_received(world):
    shipment = _missing_at_hub_and_handover(world)
    coord = world.users[Role.COORDINATOR]
    hub, handover = Discrepancy.objects.filter(serial="R-2").order_by("stage")
    discrepancy_resolve(actor=coord, discrepancy=hub, resolution="found", note="In crate 2.")
    assert _states()["R-2"] == ItemState.MISSING  # handover still reports it missing
    discrepancy_resolve(actor=coord, discrepancy=handover, resolution="found")
    assert _states()["R-2"] == ItemState.RECEIVED
    item = SerialItem.objects.get(serial="R-2")
    shipment.refresh_from_db()
    assert item.received_at == shipment.status_at


def test_a_missing_serial_written_off_is_never_received(world):
    _missing_at_hub_and_handover(world)
    coord = world.users[Role.COORDINATOR]
    for d in Discrepancy.objects.filter(serial="R-2"):
        discrepancy_resolve(actor=coord, discrepancy=d, resolution="written_off", note="Lost.")
    assert _states()["R-2"] == ItemState.MISSING


def test_a_damaged_serial_is_listed_as_damaged(world, client_for):
    shipment = _missing_at_hub_and_handover(world)
    discrepancy_record(
        actor=world.users[Role.RECIPIENT_LIAISON],
        shipment=shipment,
        kind=Discrepancy.Kind.DAMAGED,
        serial="R-1",
        quantity=1,
        description="Fins bent",
    )
    assert _states()["R-1"] == ItemState.DAMAGED
    page = (
        client_for(world.users[Role.RECIPIENT_LIAISON])
        .get("/logistics/inventory/")
        .content.decode()
    )
    row = page[page.index("R-1") : page.index("</tr>", page.index("R-1"))]
    assert "Damaged" in row
    d = Discrepancy.objects.get(kind="damaged")
    discrepancy_resolve(actor=world.users[Role.COORDINATOR], discrepancy=d, resolution="found")
    assert _states()["R-1"] == ItemState.RECEIVED  # not damaged after all


def test_items_on_the_way_are_in_transit(world):
    category = ItemCategoryFactory(code="rocket", name="Rocket", sensitive=True)
    shipment = make_shipment(world, category=category, quantity=1)
    at = timezone.now() - dt.timedelta(hours=3)
    ingest(
        world,
        [
            event(shipment, S.READY, at, serials=["T-1"]),
            event(shipment, S.DEPARTED, at + dt.timedelta(hours=1)),
        ],
    )
    assert _states() == {"T-1": ItemState.IN_TRANSIT}
