"""Refused requests go into the audit trail, for session and token users alike; a made-up path
or id is a plain 404 that writes nothing (issue 23)."""

import ast
import json
import re
from pathlib import Path

import pytest

import coordcell
from coordcell.api.services import token_create
from coordcell.audit.models import AuditEvent
from coordcell.exchange.cli import command_user
from coordcell.logistics.tests.factories import make_shipment
from coordcell.pledges.tests.factories import PledgeFactory
from coordcell.registry.models import Role

pytestmark = pytest.mark.django_db


def _refusals():
    events = AuditEvent.objects.filter(verb="access-refused").order_by("seq")
    return [(e.actor_name, e.target_repr, e.data["method"], e.data["status"]) for e in events]


def _polish_pledge(world):
    return PledgeFactory(
        donor=world.nations["PL"], origin=world.depots["PL"], category=world.category
    )


def test_opening_another_nations_pledge_is_recorded(world, client_for):
    polish = _polish_pledge(world)
    client = client_for(world.users[Role.DONOR_LIAISON])
    assert client.get(f"/pledges/{polish.pk}/").status_code == 404
    assert client.post(f"/pledges/{polish.pk}/delete/").status_code == 404
    assert _refusals() == [
        ("donor-de", f"/pledges/{polish.pk}/", "GET", 404),
        ("donor-de", f"/pledges/{polish.pk}/delete/", "POST", 404),
    ]


def test_another_nations_object_answers_exactly_like_a_missing_one(world, client_for):
    polish = _polish_pledge(world)
    client = client_for(world.users[Role.DONOR_LIAISON])
    refused, missing = client.get(f"/pledges/{polish.pk}/"), client.get("/pledges/999999/")
    assert (refused.status_code, missing.status_code) == (404, 404)

    def page(response, path):  # without the path itself and the per-response CSRF mask
        text = response.content.decode().replace(path, "")
        return re.sub(r'(X-CSRFToken": "|value=")[A-Za-z0-9]{64}', "", text)

    assert page(refused, f"/pledges/{polish.pk}/") == page(missing, "/pledges/999999/")


@pytest.mark.parametrize(
    ("role", "method", "url"),
    [
        (Role.DONOR_LIAISON, "get", "/allocation/"),
        (Role.RECIPIENT_LIAISON, "get", "/allocation/"),
        (Role.DONOR_LIAISON, "get", "/audit/"),
        (Role.TRAINING_SITE_OFFICER, "get", "/audit/"),
        (Role.DONOR_LIAISON, "get", "/logistics/delays/"),
        (Role.RECIPIENT_LIAISON, "get", "/logistics/hubs/"),
        (Role.DONOR_LIAISON, "get", "/logistics/donors/PL/late/"),
        (Role.TRAINING_SITE_OFFICER, "post", "/logistics/events/bulk"),
        (Role.AUDITOR, "post", "/readiness/recompute/"),
        (Role.TRAINING_SITE_OFFICER, "get", "/reports/"),
        (Role.AUDITOR, "get", "/pledges/new/"),
    ],
)
def test_every_refusal_the_probe_named_is_recorded(world, client_for, role, method, url):
    make_shipment(world)
    client = client_for(world.users[role])
    body = json.dumps({"events": []}) if url.endswith("bulk") else {}
    kwargs = {"content_type": "application/json"} if url.endswith("bulk") else {}
    response = getattr(client, method)(url, body, **kwargs) if method == "post" else client.get(url)
    assert response.status_code in (403, 404)
    [(actor, path, sent, status)] = _refusals()
    assert (actor, path, sent, status) == (
        world.users[role].username,
        url,
        method.upper(),
        response.status_code,
    )


def _api(user):
    from rest_framework.test import APIClient

    _, raw = token_create(actor=command_user(None), user=user, name="probe")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_refusals_of_token_users_are_recorded(world):
    polish = _polish_pledge(world)
    api = _api(world.users[Role.DONOR_LIAISON])
    assert api.get(f"/api/v1/pledges/{polish.pk}").status_code == 404
    assert api.get("/api/v1/audit-events").status_code == 404
    recipient = _api(world.users[Role.RECIPIENT_LIAISON])
    assert recipient.post("/api/v1/pledges", {}, format="json").status_code == 403
    assert _refusals() == [
        ("donor-de", f"/api/v1/pledges/{polish.pk}", "GET", 404),
        ("donor-de", "/api/v1/audit-events", "GET", 404),
        ("recipient", "/api/v1/pledges", "POST", 403),
    ]


def test_made_up_paths_and_ids_write_no_audit_row(world, client_for):
    client = client_for(world.users[Role.DONOR_LIAISON])
    api = _api(world.users[Role.DONOR_LIAISON])
    before = AuditEvent.objects.count()
    for n in range(5):
        assert client.get(f"/api/v1/no-such-thing-{n}/42").status_code == 404
        assert api.get(f"/api/v1/made/up/{n}").status_code == 404
        assert api.post(f"/api/v1/pledges/{n}/nothing", {}, format="json").status_code == 404
    assert client.get("/api/v1/pledges/999999").status_code == 404
    assert client.get("/pledges/999999/").status_code == 404
    assert client.get("/no-such-page/").status_code == 404
    assert client.get("/reports/lists/no-such-list/").status_code == 404
    assert AuditEvent.objects.count() == before


def test_lists_and_allowed_pages_are_not_recorded_as_refused(world, client_for):
    client = client_for(world.users[Role.DONOR_LIAISON])
    assert client.get("/pledges/").status_code == 200
    assert client.get("/logistics/donors/DE/late/").status_code == 200
    assert not AuditEvent.objects.filter(verb="access-refused").exists()


VIEWS = sorted(Path(coordcell.__file__).parent.glob("*/views.py"))


@pytest.mark.parametrize("path", VIEWS, ids=lambda p: p.parent.name)
def test_views_say_whether_a_404_is_a_refusal_or_not_found(path):
    """A view answers 404 through ``refuse`` (audited), ``not_found`` or ``get_visible_or_404``
    (which tells the two apart): never a bare ``Http404`` or ``get_object_or_404``, which would
    leave a refusal out of the trail again."""
    tree = ast.parse(path.read_text())
    bare = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and node.id in ("Http404", "get_object_or_404")
    ]
    assert not bare, f"{path}: lines {bare}"
