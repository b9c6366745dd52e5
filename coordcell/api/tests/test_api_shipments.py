"""Shipments through the API: each role reads what the shipment page shows it, no more; the
coordinator changes shipments by hand through the same actions, with the version it read."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from coordcell.audit.models import AuditEvent
from coordcell.logistics.lifecycle import S
from coordcell.logistics.models import Shipment
from coordcell.logistics.tests.discrepancy_fixtures import shipment_at
from coordcell.logistics.tests.factories import event, ingest, make_shipment
from coordcell.pledges.tests.factories import PledgeFactory
from coordcell.registry.models import HubCapacity, Location, Role
from coordcell.registry.tests.factories import LocationFactory
from coordcell.requirements.tests.factories import RequirementFactory

pytestmark = pytest.mark.django_db

ROUTE_FIELDS = ("origin", "hub", "load", "planned_departure", "planned_arrival", "eta", "reason")


@pytest.fixture
def shipments(world):
    german = make_shipment(world, donor="DE", quantity=10)
    polish = make_shipment(world, donor="PL", quantity=10)
    return german, polish


def test_a_donor_reads_only_its_own_shipments_with_their_route(world, shipments, api_for):
    german, polish = shipments
    api = api_for(world.users[Role.DONOR_LIAISON])
    body = api.get("/api/v1/shipments").json()
    assert [s["reference"] for s in body["results"]] == [german.reference]
    assert body["results"][0]["hub"] == "rzeszow" and body["results"][0]["detail"] == "full"
    detail = api.get(f"/api/v1/shipments/{german.pk}").json()
    assert [leg["origin"] for leg in detail["legs"]] == ["depot-de", "rzeszow"]
    assert detail["legs"][0]["planned_departure"] is not None
    assert detail["lines"][0]["quantity"] == 10
    missing = api.get("/api/v1/shipments/999999")
    other = api.get(f"/api/v1/shipments/{polish.pk}")
    assert other.status_code == missing.status_code == 404
    assert other.json() == missing.json()
    assert AuditEvent.objects.filter(verb="access-refused").count() == 1


def test_the_recipient_sees_no_hub_and_only_the_etas_week(world, shipments, api_for):
    german, _ = shipments
    at = timezone.now() - dt.timedelta(days=1)
    ingest(world, [event(german, S.READY, at), event(german, S.DEPARTED, at, quantity=10)])
    api = api_for(world.users[Role.RECIPIENT_LIAISON])
    rows = api.get("/api/v1/shipments").json()["results"]
    assert {r["detail"] for r in rows} == {"last_leg"}
    for row in rows:
        assert all(row[name] is None for name in ROUTE_FIELDS)
        assert row["delivery_point"] == "dp-lviv"
    german.refresh_from_db()
    detail = api.get(f"/api/v1/shipments/{german.pk}").json()
    assert detail["eta_window"]["start"] <= german.eta.isoformat() <= detail["eta_window"]["end"]
    assert detail["eta"] is None and detail["status_at"] is None
    [leg] = detail["legs"]
    assert leg["destination"] == "dp-lviv"
    assert leg["origin"] is None and leg["expected_arrival"] is None and leg["mode"] is None
    assert detail["events"] == []  # departures are route and timing: handover ones only
    assert "rzeszow" not in api.get(f"/api/v1/shipments/{german.pk}").content.decode()
    assert api.get("/api/v1/shipments?hub=rzeszow").status_code == 400
    assert api.get("/api/v1/shipments?load=L-000001").status_code == 400


def test_shipments_filter_by_their_load(world, api_for):
    from coordcell.logistics.services import shipments_create_for_lines
    from coordcell.logistics.tests.factories import make_line, make_run

    run = make_run()
    made = shipments_create_for_lines(
        actor=world.users[Role.COORDINATOR],
        lines=[make_line(world, run=run, quantity=10), make_line(world, run=run, quantity=5)],
    )
    make_shipment(world, donor="DE", quantity=3)  # by hand: no load
    load = made[0].load
    api = api_for(world.users[Role.DONOR_LIAISON])
    rows = api.get(f"/api/v1/shipments?load={load.lower()}").json()["results"]
    assert [r["reference"] for r in rows] == [made[0].reference]
    assert rows[0]["load"] == load


def test_a_training_site_officer_sees_no_shipment(world, shipments, api_for):
    api = api_for(world.users[Role.TRAINING_SITE_OFFICER])
    assert api.get("/api/v1/shipments").json()["results"] == []
    assert api.get(f"/api/v1/shipments/{shipments[0].pk}").status_code == 404


def test_shipments_page_by_cursor(world, api_for):
    for _ in range(3):
        make_shipment(world, donor="DE", quantity=5)
    api = api_for(world.users[Role.COORDINATOR])
    first = api.get("/api/v1/shipments?page_size=2").json()
    second = api.get(first["next"]).json()
    seen = [s["id"] for s in first["results"] + second["results"]]
    assert seen == sorted(Shipment.objects.values_list("pk", flat=True), reverse=True)
    assert second["next"] is None
    assert api.get("/api/v1/shipments?page=2").status_code == 400


def test_filters_take_codes(world, shipments, api_for):
    api = api_for(world.users[Role.COORDINATOR])
    rows = api.get("/api/v1/shipments?donor=pl").json()["results"]
    assert [r["reference"] for r in rows] == [shipments[1].reference]
    assert api.get("/api/v1/shipments?hub=rzeszow").json()["results"] != []
    assert api.get("/api/v1/shipments?status=bogus").status_code == 400


def test_a_coordinator_cancels_with_the_version_it_read(world, shipments, api_for):
    german, _ = shipments
    api = api_for(world.users[Role.COORDINATOR])
    url = f"/api/v1/shipments/{german.pk}/cancel"
    version = api.get(f"/api/v1/shipments/{german.pk}").json()["version"]
    stale = api.post(url, {"reason": "no longer needed", "version": version + 1}, format="json")
    assert stale.status_code == 409 and stale["Content-Type"] == "application/problem+json"
    german.refresh_from_db()
    assert german.status == S.PLANNED
    done = api.post(url, {"reason": "no longer needed", "version": version}, format="json")
    assert done.status_code == 200, done.json()
    assert done.json()["status"] == S.CANCELLED and done.json()["version"] == version + 1
    assert api.post(url, {"reason": ""}, format="json").status_code == 400


def test_only_coordinators_change_shipments(world, shipments, api_for):
    german, _ = shipments
    for role in (Role.AUDITOR, Role.DONOR_LIAISON, Role.RECIPIENT_LIAISON):
        answer = api_for(world.users[role]).post(
            f"/api/v1/shipments/{german.pk}/cancel", {"reason": "x"}, format="json"
        )
        assert answer.status_code == 403, role
    officer = api_for(world.users[Role.TRAINING_SITE_OFFICER])
    assert (
        officer.post(
            f"/api/v1/shipments/{german.pk}/cancel", {"reason": "x"}, format="json"
        ).status_code
        == 404
    )
    german.refresh_from_db()
    assert german.status == S.PLANNED


def test_split_merge_and_reroute(world, api_for):
    api = api_for(world.users[Role.COORDINATOR])
    shipment = make_shipment(world, donor="DE", quantity=10)
    line = shipment.lines.get()
    split = api.post(
        f"/api/v1/shipments/{shipment.pk}/split",
        {"moves": {str(line.pk): 4}, "reason": "two trucks"},
        format="json",
    )
    assert split.status_code == 201, split.json()
    new = split.json()
    assert new["lines"][0]["quantity"] == 4
    merged = api.post(
        f"/api/v1/shipments/{shipment.pk}/merge",
        {"other": new["reference"], "reason": "one truck after all"},
        format="json",
    )
    assert merged.status_code == 200, merged.json()
    assert sum(line["quantity"] for line in merged.json()["lines"]) == 10
    other_hub = LocationFactory(code="hub-2", kind=Location.Kind.HUB, nation=world.nations["PL"])
    rerouted = api.post(
        f"/api/v1/shipments/{shipment.pk}/reroute",
        {"hub": "hub-2", "reason": "Rzeszów is full", "capacity_override": "urgent"},
        format="json",
    )
    assert rerouted.status_code == 200, rerouted.json()
    assert rerouted.json()["hub"] == other_hub.code
    assert AuditEvent.objects.filter(verb="shipment.reroute").exists()
    unknown = api.post(
        f"/api/v1/shipments/{shipment.pk}/reroute", {"hub": "nowhere", "reason": "x"}, format="json"
    )
    assert [e["field"] for e in unknown.json()["errors"]] == ["hub"]


def test_a_reroute_over_capacity_is_refused_without_an_override(world, api_for):
    api = api_for(world.users[Role.COORDINATOR])
    shipment = make_shipment(world, donor="DE", quantity=10)
    hub = LocationFactory(code="hub-0", kind=Location.Kind.HUB, nation=world.nations["PL"])
    HubCapacity.objects.create(hub=hub, domain="artillery", weekly_capacity=5)
    refused = api.post(
        f"/api/v1/shipments/{shipment.pk}/reroute", {"hub": "hub-0", "reason": "x"}, format="json"
    )
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["field"] == "hub"
    assert "adds 10" in refused.json()["errors"][0]["detail"]
    shipment.refresh_from_db()
    assert shipment.hub == world.hub
    allowed = api.post(
        f"/api/v1/shipments/{shipment.pk}/reroute",
        {"hub": "hub-0", "reason": "x", "capacity_override": "the front needs it now"},
        format="json",
    )
    assert allowed.status_code == 200
    assert "overridden: the front needs it now" in allowed.json()["reason"]
    assert AuditEvent.objects.filter(verb="shipment.capacity_override").exists()


def test_a_coordinator_creates_a_shipment_by_hand(world, api_for):
    pledge = PledgeFactory(
        donor=world.nations["DE"], origin=world.depots["DE"], category=world.category
    )
    requirement = RequirementFactory(category=world.category, delivery_point=world.delivery_point)
    body = {
        "hub": "rzeszow",
        "departure": (timezone.now().date() + dt.timedelta(days=7)).isoformat(),
        "items": [
            {"pledge": pledge.reference, "requirement": requirement.reference, "quantity": 3}
        ],
        "reason": "urgent",
    }
    created = api_for(world.users[Role.COORDINATOR]).post("/api/v1/shipments", body, format="json")
    assert created.status_code == 201, created.json()
    assert created["Location"].endswith(f"/api/v1/shipments/{created.json()['id']}")
    assert created.json()["lines"][0]["quantity"] == 3
    donor = api_for(world.users[Role.DONOR_LIAISON]).post("/api/v1/shipments", body, format="json")
    assert donor.status_code == 403


def test_the_recipient_reads_the_handover_and_each_sender_its_own_event_ids(world, api_for):
    shipment = shipment_at(world, S.HANDED_OVER, donor="DE")
    recipient = api_for(world.users[Role.RECIPIENT_LIAISON])
    events = recipient.get(f"/api/v1/shipments/{shipment.pk}").json()["events"]
    assert [e["status"] for e in events] == [S.HANDED_OVER]
    assert events[0]["location"] is None or events[0]["location"] == "dp-lviv"
    assert events[0]["id"] is None  # the cell's id space is not the recipient's
    coordinator = api_for(world.users[Role.COORDINATOR])
    ids = [e["id"] for e in coordinator.get(f"/api/v1/shipments/{shipment.pk}").json()["events"]]
    assert len(ids) == 5 and all(ids)
    donor = api_for(world.users[Role.DONOR_LIAISON])
    donor_view = donor.get(f"/api/v1/shipments/{shipment.pk}").json()["events"]
    assert len(donor_view) == 5 and {e["id"] for e in donor_view} == {None}
