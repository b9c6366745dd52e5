"""Every API error is problem details (issue 23): a server error in a view or after it, a
Django-level 400/403/404/500 under /api/v1/, JSON nested without end, a body too large; the
schema is for logged-in users and tokens only."""

import json
import logging

import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.db import IntegrityError, OperationalError
from django.http import Http404
from django.test import Client, RequestFactory
from rest_framework.renderers import JSONRenderer

from coordcell.api import problems
from coordcell.pledges.models import Pledge
from coordcell.registry.models import Role

pytestmark = pytest.mark.django_db

NEW = {
    "donor": "DE",
    "donor_reference": "DE-API-1",
    "category": "ammo-155",
    "quantity": 40,
    "available_from": "2027-03-01",
    "origin": "depot-de",
}
INTERNALS = ("Traceback", "IntegrityError", "OperationalError", "pledges_pledge", "secret")


def _is_problem(response, status):
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == "application/problem+json"
    body = json.loads(response.content)
    assert body["status"] == status and body["type"].startswith(problems.TYPE_BASE)
    return body


@pytest.mark.parametrize(
    "error",
    [
        IntegrityError('duplicate key value violates "pledges_pledge_reference_key" secret'),
        OperationalError("database is locked: secret"),
        RuntimeError("secret"),
    ],
)
def test_a_server_error_in_a_write_is_a_500_problem_without_internals(
    world, api_for, monkeypatch, caplog, error
):
    def fail(**kwargs):
        raise error

    monkeypatch.setattr("coordcell.pledges.services.pledge_save", fail)
    api = api_for(world.users[Role.COORDINATOR])
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = api.post("/api/v1/pledges", NEW, format="json")
    body = _is_problem(response, 500)
    assert body["type"].endswith("/server-error")
    assert not any(word in response.content.decode() for word in INTERNALS)
    # Logged as Django logs a server error, with the exception.
    [entry] = [r for r in caplog.records if r.name == "django.request"]
    assert entry.exc_info[1] is error and entry.status_code == 500
    assert not Pledge.objects.exists()


def test_a_server_error_in_a_read_is_a_500_problem(world, api_for, monkeypatch):
    def fail(rows, relations):
        raise OperationalError("could not read: secret")

    monkeypatch.setattr("coordcell.api.resources.attach_codes", fail)
    api = api_for(world.users[Role.COORDINATOR])
    _is_problem(api.get("/api/v1/pledges"), 500)


def test_a_response_that_cannot_be_rendered_is_a_500_problem(world, api_for, monkeypatch):
    # Rendering happens after the view, outside DRF's exception handler: Django's handler500.
    def fail(self, data, accepted_media_type=None, renderer_context=None):
        raise RuntimeError("secret")

    monkeypatch.setattr(JSONRenderer, "render", fail)
    api = api_for(world.users[Role.COORDINATOR])
    api.raise_request_exception = False
    response = api.get("/api/v1/me")
    _is_problem(response, 500)
    assert b"secret" not in response.content


@pytest.mark.parametrize(
    ("handler", "exception", "status"),
    [
        (problems.bad_request, SuspiciousOperation("bad host"), 400),
        (problems.permission_denied, PermissionDenied(), 403),
        (problems.page_not_found, Http404(), 404),
        (problems.server_error, None, 500),
    ],
)
def test_djangos_own_errors_are_problems_under_the_api_and_pages_elsewhere(
    handler, exception, status
):
    args = () if exception is None else (exception,)
    api = handler(RequestFactory().get("/api/v1/pledges"), *args)
    _is_problem(api, status)
    page = handler(RequestFactory().get("/pledges/"), *args)
    assert page.status_code == status
    assert page["Content-Type"].startswith("text/html")
    docs = handler(RequestFactory().get("/api/v1/docs"), *args)
    assert docs["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ("[" * 100_000 + "]" * 100_000, 400),
        ('{"a":' * 50_000 + "1" + "}" * 50_000, 400),
        ('{"quantity": NaN}', 400),
        ("{", 400),
        (b'{"conditions": "\xff"}', 400),
    ],
)
def test_a_body_the_api_cannot_take_is_a_4xx_problem(world, api_for, body, status):
    api = api_for(world.users[Role.COORDINATOR])
    response = api.post("/api/v1/pledges", body, content_type="application/json")
    _is_problem(response, status)
    assert not Pledge.objects.exists()


def test_a_body_beyond_the_upload_limit_is_a_413_problem(world, api_for, settings):
    api = api_for(world.users[Role.COORDINATOR])
    body = json.dumps({**NEW, "conditions": "x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE})
    response = api.post("/api/v1/pledges", body, content_type="application/json")
    assert _is_problem(response, 413)["type"].endswith("/too-large")


def test_json_a_little_nested_is_still_read(world, api_for):
    api = api_for(world.users[Role.COORDINATOR])
    response = api.post("/api/v1/pledges", {**NEW, "allowed_hubs": [world.hub.code]}, format="json")
    assert response.status_code == 201, response.json()


def test_the_schema_is_for_logged_in_users_and_tokens(world, api_for, client_for):
    anonymous = Client().get("/api/v1/schema")
    body = _is_problem(anonymous, 401)
    assert body["type"].endswith("/not-authenticated")
    assert anonymous["WWW-Authenticate"] == 'Bearer realm="api"'
    api = api_for(world.users[Role.DONOR_LIAISON])
    assert api.get("/api/v1/schema?format=json").status_code == 200
    session = client_for(world.users[Role.AUDITOR])
    assert session.get("/api/v1/schema").status_code == 200


def test_the_documentation_page_asks_an_anonymous_visitor_to_log_in(world, client_for):
    anonymous = Client().get("/api/v1/docs")
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/login/")
    assert client_for(world.users[Role.AUDITOR]).get("/api/v1/docs").status_code == 200


def test_the_schema_lists_every_resource_issue_19_names(world, api_for):
    schema = api_for(world.users[Role.AUDITOR]).get("/api/v1/schema?format=json").json()
    paths = set(schema["paths"])
    assert schema["openapi"].startswith("3.1")
    wanted = {
        "runs": "/api/v1/allocation-runs/{id}",
        "what-ifs": "/api/v1/allocation-runs/{id}/what-if",
        "commits": "/api/v1/allocation-runs/{id}/commit",
        "schedule runs": "/api/v1/schedule-runs/{id}",
        "shipments": "/api/v1/shipments/{id}",
        "events": "/api/v1/shipment-events",
        "items": "/api/v1/serial-items/{id}",
        "discrepancies": "/api/v1/discrepancies/{id}",
        "hub capacities": "/api/v1/hub-capacities/{id}",
        "capability packages": "/api/v1/capability-packages/{id}",
        "readiness": "/api/v1/capability-packages/{id}/history",
        "courses": "/api/v1/courses/{id}",
        "sessions": "/api/v1/training-sessions/{id}",
        "cohorts": "/api/v1/cohorts/{id}",
        "attendance": "/api/v1/bookings/{id}/attendance",
        "notifications": "/api/v1/notifications",
        "changes": "/api/v1/changes",
    }
    assert {name for name, path in wanted.items() if path not in paths} == set()
