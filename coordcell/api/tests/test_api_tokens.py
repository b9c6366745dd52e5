"""Personal tokens: stored hashed, shown once, revocable from the page and the command line."""

import hashlib
import io

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from coordcell.api.models import ApiToken
from coordcell.api.services import token_create
from coordcell.audit.models import AuditEvent

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
