"""Recording through the API what a check found: a discrepancy on a shipment (the shipment page's
form and action) and an end-use inventory check (the inventory page's). Who may, who is refused,
and nothing told of a serial the caller may not see."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from coordcell.logistics.lifecycle import S
from coordcell.logistics.models import Discrepancy, InventoryCheck, SerialItem
from coordcell.logistics.tests.discrepancy_fixtures import shipment_at
from coordcell.logistics.tests.factories import SIGNED, event, ingest, make_shipment
from coordcell.registry.models import Role
from coordcell.registry.tests.factories import ItemCategoryFactory

pytestmark = pytest.mark.django_db


def _record(api, shipment, **fields):
    body = {"kind": "damaged", "quantity": 2, "description": "Crate crushed", **fields}
    return api.post(f"/api/v1/shipments/{shipment.pk}/discrepancies", body, format="json")


def test_the_donor_records_a_discrepancy_and_reads_it_as_get_shows_it(world, api_for):
    shipment = shipment_at(world, S.AT_HUB, donor="DE")
    api = api_for(world.users[Role.DONOR_LIAISON])
    line = shipment.lines.get()
    answer = _record(api, shipment, line=line.pk)
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert body["shipment"] == shipment.reference and body["line"] == line.pk
    assert body["status"] == "open" and body["kind"] == "damaged"
    assert answer["Location"].endswith(f"/api/v1/discrepancies/{body['id']}")
    assert api.get(f"/api/v1/discrepancies/{body['id']}").json() == body
    assert Discrepancy.objects.get(pk=body["id"]).recorded_by == world.users[Role.DONOR_LIAISON]


def test_who_may_not_record_is_refused(world, api_for):
    german = shipment_at(world, S.AT_HUB, donor="DE")
    # Another nation's shipment: 404, exactly like a shipment that does not exist.
    polish = api_for(world.users["donor-pl"])
    assert _record(polish, german).status_code == 404
    assert polish.post("/api/v1/shipments/999999/discrepancies", {}, format="json").json() == (
        _record(polish, german).json()
    )
    # The auditor sees it and changes nothing.
    assert _record(api_for(world.users[Role.AUDITOR]), german).status_code == 403
    assert not Discrepancy.objects.exists()


def test_bad_input_is_a_clear_400_and_nothing_is_recorded(world, api_for):
    shipment = shipment_at(world, S.AT_HUB, donor="DE")
    api = api_for(world.users[Role.COORDINATOR])
    assert _record(api, shipment, kind="lost-at-sea").status_code == 400
    short = _record(api, shipment, kind="short", quantity=None)
    assert short.status_code == 400
    assert [e["field"] for e in short.json()["errors"]] == ["quantity"]
    other = make_shipment(world, donor="DE", quantity=3)
    wrong_line = _record(api, shipment, line=other.lines.get().pk)
    assert wrong_line.status_code == 400
    assert not Discrepancy.objects.exists()


def test_a_serial_on_another_nations_shipment_is_not_confirmed(world, api_for):
    polish = _serial_shipment(world, "PL", ["PL-SECRET-1"])
    german = shipment_at(world, S.AT_HUB, donor="DE")
    api = api_for(world.users[Role.DONOR_LIAISON])
    real = _record(api, german, kind="wrong_serial", serial="PL-SECRET-1").json()
    made_up = _record(api, german, kind="wrong_serial", serial="NO-SUCH-1").json()
    assert real["other_shipment"] is None and made_up["other_shipment"] is None
    assert polish.reference not in str(real)
    same = {"id", "serial", "recorded_at", "version"}
    assert {k: v for k, v in real.items() if k not in same} == {
        k: v for k, v in made_up.items() if k not in same
    }


# ---- end-use inventory checks ----


def _serial_shipment(world, donor, serials, *, received=False):
    category = ItemCategoryFactory(
        code=f"manpads-{donor.lower()}", name=f"MANPADS {donor}", sensitive=True
    )
    shipment = make_shipment(world, donor=donor, category=category, quantity=len(serials))
    at = timezone.now() - dt.timedelta(days=1)
    n = len(serials)
    events = [
        event(shipment, S.READY, at, serials=serials),
        event(shipment, S.DEPARTED, at + dt.timedelta(hours=1)),
        event(shipment, S.AT_HUB, at + dt.timedelta(hours=5), serials=serials, quantity=n),
    ]
    if received:
        events += [
            event(shipment, S.DEPARTED_HUB, at + dt.timedelta(hours=6)),
            event(
                shipment,
                S.HANDED_OVER,
                at + dt.timedelta(hours=9),
                serials=serials,
                quantity=n,
                **SIGNED,
            ),
        ]
    assert not ingest(world, events).rejected
    if received:
        receipt = event(shipment, S.RECEIVED, at + dt.timedelta(hours=10), quantity=n, **SIGNED)
        assert not ingest(world, [receipt], role=Role.RECIPIENT_LIAISON).rejected
    return shipment


def _check(api, serials, location):
    body = {"serials": serials, "location": location, "note": "Monthly check"}
    return api.post("/api/v1/inventory-checks", body, format="json")


def test_the_recipient_records_an_inventory_check(world, api_for):
    _serial_shipment(world, "DE", ["M-1", "M-2"], received=True)
    api = api_for(world.users[Role.RECIPIENT_LIAISON])
    answer = _check(api, ["M-1", "M-2"], world.delivery_point.code)
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert body["checked"] == 2 and body["location"] == world.delivery_point.code
    assert [i["serial"] for i in body["items"]] == ["M-1", "M-2"]
    assert all(i["last_checked_at"] and not i["overdue"] for i in body["items"])
    assert InventoryCheck.objects.count() == 2
    assert all(i.last_checked_at for i in SerialItem.objects.all())


def test_only_the_cell_and_the_recipient_record_checks(world, api_for):
    _serial_shipment(world, "DE", ["M-1"], received=True)
    for role in (Role.DONOR_LIAISON, Role.AUDITOR, Role.TRAINING_SITE_OFFICER):
        answer = _check(api_for(world.users[role]), ["M-1"], world.delivery_point.code)
        assert answer.status_code == 403, role
    assert _check(api_for(world.users[Role.COORDINATOR]), ["M-1"], world.delivery_point.code)
    assert InventoryCheck.objects.count() == 1


def test_a_serial_not_received_is_refused_exactly_like_a_made_up_one(world, api_for):
    _serial_shipment(world, "DE", ["M-1"], received=True)
    _serial_shipment(world, "PL", ["PL-ON-ITS-WAY"])
    api = api_for(world.users[Role.RECIPIENT_LIAISON])
    on_its_way = _check(api, ["M-1", "PL-ON-ITS-WAY"], world.delivery_point.code)
    made_up = _check(api, ["M-1", "ZZ-NOTHING"], world.delivery_point.code)
    assert on_its_way.status_code == made_up.status_code == 400
    # The same answer but for the serial the caller sent: nothing tells that one exists.
    assert on_its_way.content.decode().replace("PL-ON-ITS-WAY", "X") == (
        made_up.content.decode().replace("ZZ-NOTHING", "X")
    )
    assert not InventoryCheck.objects.exists()  # nothing recorded, not even M-1


def test_a_location_outside_the_recipients_country_is_a_400(world, api_for):
    _serial_shipment(world, "DE", ["M-1"], received=True)
    api = api_for(world.users[Role.COORDINATOR])
    for code in (world.depots["DE"].code, "nowhere", world.hub.code):
        answer = _check(api, ["M-1"], code)
        assert answer.status_code == 400
        assert [e["field"] for e in answer.json()["errors"]] == ["location"]
    assert _check(api, [], world.delivery_point.code).status_code == 400
    assert not InventoryCheck.objects.exists()


def test_the_recipient_recording_before_handover_is_told_no_place_on_the_route(world, api_for):
    shipment = shipment_at(world, S.AT_HUB, donor="DE")
    api = api_for(world.users[Role.RECIPIENT_LIAISON])
    answer = _record(api, shipment)
    assert answer.status_code == 201
    assert answer.json()["location"] is None  # the hub it was found at is the route
    assert world.hub.code not in answer.content.decode()
    # Found before the handover, it is the donor's and the cell's register, not the recipient's.
    assert api.get(f"/api/v1/discrepancies/{answer.json()['id']}").status_code == 404
