"""A national system pushes shipment events with its token: the page's bulk feed, without a
session or CSRF token, idempotent by its event ids and tolerant of events out of order."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from coordcell.logistics.lifecycle import S
from coordcell.logistics.models import ShipmentEvent
from coordcell.logistics.tests.factories import event, make_shipment
from coordcell.registry.models import Role

pytestmark = pytest.mark.django_db

URL = "/api/v1/shipment-events"


@pytest.fixture
def german(world):
    return make_shipment(world, donor="DE", quantity=10)


def test_a_donor_system_pushes_events_with_a_token_without_csrf(world, german, api_for):
    at = timezone.now() - dt.timedelta(hours=5)
    # The client enforces CSRF as a browser would: the token needs none.
    api = api_for(world.users[Role.DONOR_LIAISON])
    api.handler.enforce_csrf_checks = True
    events = [event(german, S.READY, at), event(german, S.DEPARTED, at, quantity=10)]
    answer = api.post(URL, {"events": events}, format="json")
    assert answer.status_code == 200, answer.json()
    assert answer.json() == {
        "accepted": 2,
        "duplicates": 0,
        "rejected": [],
        "shipments": [german.reference],
    }
    german.refresh_from_db()
    assert german.status == S.DEPARTED


def test_events_sent_again_are_duplicates_and_change_nothing(world, german, api_for):
    at = timezone.now() - dt.timedelta(hours=5)
    api = api_for(world.users[Role.DONOR_LIAISON])
    events = [event(german, S.READY, at)]
    api.post(URL, {"events": events}, format="json")
    again = api.post(URL, {"events": events}, format="json").json()
    assert again["accepted"] == 0 and again["duplicates"] == 1
    assert ShipmentEvent.objects.filter(shipment=german).count() == 1


def test_events_out_of_order_are_accepted(world, german, api_for):
    at = timezone.now() - dt.timedelta(hours=5)
    api = api_for(world.users[Role.DONOR_LIAISON])
    later = api.post(
        URL, {"events": [event(german, S.DEPARTED, at, quantity=10)]}, format="json"
    ).json()
    earlier = api.post(
        URL, {"events": [event(german, S.READY, at - dt.timedelta(hours=2))]}, format="json"
    ).json()
    assert later["accepted"] == earlier["accepted"] == 1
    german.refresh_from_db()
    assert german.status == S.DEPARTED


def test_each_bad_event_is_rejected_with_its_reason(world, german, api_for):
    at = timezone.now() - dt.timedelta(hours=5)
    polish = make_shipment(world, donor="PL", quantity=5)
    api = api_for(world.users[Role.DONOR_LIAISON])
    answer = api.post(
        URL,
        {
            "events": [
                event(german, S.READY, at),
                event(polish, S.READY, at),
                {"id": "x-1", "shipment": german.reference, "status": "teleported"},
            ]
        },
        format="json",
    ).json()
    assert answer["accepted"] == 1
    reasons = {r["index"]: r["error"] for r in answer["rejected"]}
    # Another nation's shipment reads exactly like one that does not exist.
    assert reasons[1] == f"No shipment {polish.reference} that you may record events for."
    assert "'status'" in reasons[2]


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.TRAINING_SITE_OFFICER])
def test_roles_that_record_no_events_are_refused(world, german, api_for, role):
    at = timezone.now() - dt.timedelta(hours=5)
    answer = api_for(world.users[role]).post(
        URL, {"events": [event(german, S.READY, at)]}, format="json"
    )
    assert answer.status_code == 403
    assert answer["Content-Type"] == "application/problem+json"
    assert not ShipmentEvent.objects.exists()


def test_a_body_without_events_is_a_problem(world, api_for):
    api = api_for(world.users[Role.DONOR_LIAISON])
    answer = api.post(URL, {"event": []}, format="json")
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["field"] == "events"
    assert APIClient().post(URL, {"events": []}, format="json").status_code == 401


def test_the_page_route_still_refuses_a_token(world, german, api_for):
    answer = api_for(world.users[Role.DONOR_LIAISON]).post(
        "/logistics/events/bulk", {"events": []}, format="json"
    )
    assert answer.status_code in (302, 403)
