"""The end-use inventory through the API: each item with its state, as the inventory page shows
it to each role; where an item on its way was last seen is route information."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from coordcell.logistics.lifecycle import S
from coordcell.logistics.tests.factories import event, ingest, make_shipment
from coordcell.registry.models import Role
from coordcell.registry.tests.factories import ItemCategoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def at_hub(world):
    """Two serial-numbered items of a German shipment, now at the hub."""
    category = ItemCategoryFactory(code="manpads", name="MANPADS", sensitive=True)
    shipment = make_shipment(world, category=category, quantity=2)
    at = timezone.now() - dt.timedelta(days=1)
    result = ingest(
        world,
        [
            event(shipment, S.READY, at, serials=["M-1", "M-2"]),
            event(shipment, S.DEPARTED, at + dt.timedelta(hours=1)),
            event(
                shipment, S.AT_HUB, at + dt.timedelta(hours=5), serials=["M-1", "M-2"], quantity=2
            ),
        ],
    )
    assert not result.rejected
    return shipment


def test_the_donor_reads_its_items_and_where_they_are(world, at_hub, api_for):
    rows = api_for(world.users[Role.DONOR_LIAISON]).get("/api/v1/serial-items").json()["results"]
    assert sorted(r["serial"] for r in rows) == ["M-1", "M-2"]
    assert {r["state"] for r in rows} == {"in_transit"}
    assert {r["last_location"] for r in rows} == {"rzeszow"}
    assert rows[0]["shipment"] == at_hub.reference and rows[0]["received_at"] is None


def test_other_roles_see_none_of_them(world, at_hub, api_for):
    for role in ("donor-pl", Role.RECIPIENT_LIAISON, Role.TRAINING_SITE_OFFICER):
        api = api_for(world.users[role])
        assert api.get("/api/v1/serial-items").json()["results"] == [], role
        item = at_hub.lines.get().serial_items.first()
        assert api.get(f"/api/v1/serial-items/{item.pk}").status_code == 404


def test_filters_by_state_and_serial(world, at_hub, api_for):
    api = api_for(world.users[Role.AUDITOR])
    assert api.get("/api/v1/serial-items?state=received").json()["results"] == []
    assert [r["serial"] for r in api.get("/api/v1/serial-items?serial=M-2").json()["results"]] == [
        "M-2"
    ]
    assert api.get("/api/v1/serial-items?state=stolen").status_code == 400
