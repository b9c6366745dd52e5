"""Bulk events: a re-sent batch is ignored, never doubled; a bad event is refused alone."""

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone

from coordcell.audit.models import AuditEvent
from coordcell.logistics.lifecycle import S
from coordcell.logistics.models import ShipmentEvent
from coordcell.logistics.tests.factories import event, ingest, make_shipment
from coordcell.registry.models import Role

pytestmark = pytest.mark.django_db


def _batch(shipments):
    at = timezone.now() - dt.timedelta(days=1)
    return [
        event(s, status, at + dt.timedelta(hours=n), quantity=100)
        for s in shipments
        for n, status in enumerate([S.READY, S.DEPARTED, S.AT_HUB])
    ]


def test_resending_the_same_batch_changes_nothing(world):
    shipments = [make_shipment(world) for _ in range(3)]
    batch = _batch(shipments)
    first = ingest(world, batch)
    assert (first.accepted, first.duplicates, first.rejected) == (9, 0, [])
    events, audit = ShipmentEvent.objects.count(), AuditEvent.objects.count()
    again = ingest(world, batch)
    assert (again.accepted, again.duplicates, again.rejected) == (0, 9, [])
    assert ShipmentEvent.objects.count() == events
    assert AuditEvent.objects.count() == audit
    for s in shipments:
        s.refresh_from_db()
        assert s.status == S.AT_HUB


def test_an_id_reused_for_a_different_event_is_rejected(world):
    shipment = make_shipment(world)
    [ready] = _batch([shipment])[:1]
    ingest(world, [ready])
    changed = {**ready, "status": S.DEPARTED}
    result = ingest(world, [changed])
    assert result.accepted == 0
    assert "already used for a different event" in result.rejected[0].error


def test_a_bad_event_is_rejected_with_its_reason_and_the_rest_recorded(world):
    shipment = make_shipment(world)
    good, bad_time, bad_status = _batch([shipment])[0], {}, {}
    bad_time = {**good, "id": "x1", "occurred_at": "2027-01-04 08:00"}
    bad_status = {**good, "id": "x2", "status": "lost"}
    result = ingest(world, [good, bad_time, bad_status])
    assert result.accepted == 1
    errors = {r.id: r.error for r in result.rejected}
    assert "ISO 8601 time with its offset" in errors["x1"]
    assert "'lost' is not an event status" in errors["x2"]


def test_a_donor_cannot_record_events_for_another_nations_shipment(world):
    polish = make_shipment(world, donor="PL")
    result = ingest(world, _batch([polish])[:1], role=Role.DONOR_LIAISON)
    assert result.accepted == 0
    assert "No shipment" in result.rejected[0].error


def test_the_bulk_view_takes_json_with_session_and_csrf(world):
    shipment = make_shipment(world)
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users[Role.COORDINATOR])
    body = json.dumps({"events": _batch([shipment])}, default=str)
    refused = client.post("/logistics/events/bulk", body, content_type="application/json")
    assert refused.status_code == 403  # no CSRF token
    client.get("/logistics/")
    token = client.cookies["csrftoken"].value
    response = client.post(
        "/logistics/events/bulk", body, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 200
    assert response.json()["accepted"] == 3
    again = client.post(
        "/logistics/events/bulk", body, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert again.json() | {"shipments": []} == {
        "accepted": 0,
        "duplicates": 3,
        "rejected": [],
        "shipments": [],
    }


def test_a_training_officer_cannot_post_events(world, client_for):
    shipment = make_shipment(world)
    response = client_for(world.users[Role.TRAINING_SITE_OFFICER]).post(
        "/logistics/events/bulk",
        json.dumps({"events": _batch([shipment])}),
        content_type="application/json",
    )
    assert response.status_code == 403
    assert not ShipmentEvent.objects.exists()
