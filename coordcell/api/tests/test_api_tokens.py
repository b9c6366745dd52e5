"""Personal tokens: stored hashed, shown once, revocable from the page and the command line."""

import hashlib
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from rest_framework.test import APIClient

from coordcell.api.models import ApiToken
from coordcell.api.services import token_create
from coordcell.audit.models import AuditEvent
from coordcell.registry.models import Role

pytestmark = pytest.mark.django_db


def _client(raw):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_token_is_stored_only_as_its_hash(world, donor):
    token, raw = token_create(actor=donor, user=donor, name="sync")
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.digest == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in {stored.digest, stored.hint, stored.name}
    assert not any(raw in str(v) for v in ApiToken.objects.values().get().values())
    assert AuditEvent.objects.filter(verb="token-create").exists()


def test_revoked_token_is_refused(world, donor):
    token, raw = token_create(actor=donor, user=donor, name="sync")
    assert _client(raw).get("/api/v1/me").status_code == 200
    call_command("token", "revoke", donor.username, str(token.pk), stdout=io.StringIO())
    response = _client(raw).get("/api/v1/me")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_unknown_token_and_no_token_are_401(world):
    assert _client("cc_nonsense").get("/api/v1/pledges").status_code == 401
    assert APIClient().get("/api/v1/pledges").status_code == 401


def test_token_of_a_disabled_user_is_refused(world, donor):
    _, raw = token_create(actor=donor, user=donor, name="sync")
    donor.is_active = False
    donor.save()
    assert _client(raw).get("/api/v1/me").status_code == 401


def test_command_creates_a_token_printed_once(world, donor):
    out = io.StringIO()
    call_command(
        "token", "create", donor.username, "--name", "stock sync", stdout=out, stderr=io.StringIO()
    )
    raw = out.getvalue().strip()
    assert raw.startswith("cc_")
    assert _client(raw).get("/api/v1/me").json()["username"] == donor.username
    listing = io.StringIO()
    call_command("token", "list", donor.username, stdout=listing)
    assert "stock sync" in listing.getvalue() and raw not in listing.getvalue()


def test_user_creates_and_revokes_own_tokens_on_the_page(world, donor, client_for):
    page = client_for(donor)
    created = page.post("/api/tokens/", {"name": "laptop"})
    token = ApiToken.objects.get(user=donor)
    raw = created.content.decode().split('id="new-token">')[1].split("<")[0]
    assert hashlib.sha256(raw.encode()).hexdigest() == token.digest
    assert raw not in page.get("/api/tokens/").content.decode()
    assert page.post(f"/api/tokens/{token.pk}/revoke/").status_code == 302
    assert _client(raw).get("/api/v1/me").status_code == 401


def test_user_cannot_revoke_someone_elses_token(world, donor, coordinator, client_for):
    token, _ = token_create(actor=coordinator, user=coordinator, name="mine")
    assert client_for(donor).post(f"/api/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


@pytest.fixture
def auditor(world):
    return world.users[Role.AUDITOR]


def test_an_auditor_creates_no_token_of_its_own(world, auditor, client_for):
    """The auditor reads only: a new credential is a change (issue 23; docs/security.md)."""
    with pytest.raises(PermissionDenied, match="a coordinator issues it"):
        token_create(actor=auditor, user=auditor, name="laptop")
    page = client_for(auditor)
    assert "Create token" not in page.get("/api/tokens/").content.decode()
    assert page.post("/api/tokens/", {"name": "laptop"}).status_code == 404
    assert not ApiToken.objects.exists()
    assert AuditEvent.objects.filter(verb="access-refused", actor_name="audit").count() == 1


def test_a_coordinator_issues_an_auditors_token_which_reads_only(world, auditor, pledges):
    out = io.StringIO()
    call_command("token", "create", auditor.username, stdout=out, stderr=io.StringIO())
    api = _client(out.getvalue().strip())
    assert api.get("/api/v1/audit-events").status_code == 200
    assert (
        api.patch(f"/api/v1/pledges/{pledges[0].pk}", {"quantity": 1}, format="json").status_code
        == 403
    )
    [issued] = AuditEvent.objects.filter(verb="token-create")
    assert issued.actor_name.startswith("system:")


def test_an_auditor_may_revoke_its_tokens(world, auditor, coordinator, client_for):
    token, raw = token_create(actor=coordinator, user=auditor, name="trail reader")
    assert client_for(auditor).post(f"/api/tokens/{token.pk}/revoke/").status_code == 302
    assert _client(raw).get("/api/v1/me").status_code == 401


def test_nobody_but_a_coordinator_creates_a_token_for_someone_else(world, donor, auditor):
    with pytest.raises(PermissionDenied):
        token_create(actor=donor, user=world.users["donor-pl"], name="x")
    with pytest.raises(PermissionDenied):
        token_create(actor=auditor, user=donor, name="x")
