"""Advance the ticked shipments from the list: each through the event action; a refused one is
listed with its reason in words and stays ticked, the others are recorded."""

import html

import pytest

from coordcell.logistics.lifecycle import S
from coordcell.logistics.tests.factories import make_shipment
from coordcell.registry.models import Role
from coordcell.registry.tests.factories import ItemCategoryFactory

pytestmark = pytest.mark.django_db


def test_the_coordinator_advances_a_weeks_loads_at_once(world, client_for):
    ours = [make_shipment(world, quantity=10 + n) for n in range(3)]
    rifles = ItemCategoryFactory(code="rifle", name="Rifle", sensitive=True, unit="each")
    needs_serials = make_shipment(world, category=rifles, quantity=2)
    client = client_for(world.users[Role.COORDINATOR])
    listing = client.get("/logistics/")
    assert 'id="bulk-advance"' in listing.content.decode()
    response = client.post(
        "/logistics/shipments/advance/",
        {
            "shipment": [s.pk for s in [*ours, needs_serials]],
            "bulk-status": S.READY,
            "next": "/logistics/?status=planned",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/logistics/?status=planned"
    for shipment in ours:
        shipment.refresh_from_db()
        assert shipment.status == S.READY
    needs_serials.refresh_from_db()
    assert needs_serials.status == S.PLANNED
    page = client.get(response["Location"])
    text = html.unescape(page.content.decode())
    assert "“Ready at origin” recorded for 3 shipments" in text
    assert f"{needs_serials.reference} not advanced:" in text
    assert "'Ready at origin' needs their serial numbers" in text  # words, not codes
    assert "ready_at_origin" not in text.split("not advanced:")[1].split("</p>")[0]
    # The refused one stays ticked for the next try.
    assert f'value="{needs_serials.pk}" form="bulk-advance" checked' in page.content.decode()


def test_nothing_ticked_is_said(world, client_for):
    make_shipment(world)
    client = client_for(world.users[Role.COORDINATOR])
    response = client.post("/logistics/shipments/advance/", {"bulk-status": S.READY}, follow=True)
    assert "Tick the shipments to advance first." in html.unescape(response.content.decode())


def test_a_donor_cannot_advance_another_nations_shipment(world, client_for):
    theirs = make_shipment(world, donor="PL")
    client = client_for(world.users[Role.DONOR_LIAISON])
    response = client.post(
        "/logistics/shipments/advance/",
        {"shipment": [theirs.pk], "bulk-status": S.READY},
        follow=True,
    )
    theirs.refresh_from_db()
    assert theirs.status == S.PLANNED
    assert theirs.reference not in response.content.decode()
    assert "1 ticked shipment was not found." in html.unescape(response.content.decode())


def test_the_auditor_gets_no_bulk_form(world, client_for):
    make_shipment(world)
    page = client_for(world.users[Role.AUDITOR]).get("/logistics/")
    assert 'id="bulk-advance"' not in page.content.decode()
