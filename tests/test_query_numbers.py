"""Numbers in query strings (page numbers, page sizes, cursors, ids) beyond what a database
stores, or not numbers at all, never make a page or the API fail (issue 23)."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from coordcell.api.services import token_create
from coordcell.registry.models import Role

pytestmark = pytest.mark.django_db

HOSTILE = ["99999999999999999999999999", "-1", "1e999", "NaN", "9" * 5000, "0x10"]
PAGES = ["/pledges/", "/requirements/", "/allocation/", "/logistics/", "/audit/"]
API = ["/api/v1/pledges", "/api/v1/requirements", "/api/v1/nations", "/api/v1/audit-events"]


@pytest.mark.parametrize("value", HOSTILE)
def test_pages_take_any_page_number(world: Any, client_for: Any, value: str) -> None:
    client = client_for(world.users[Role.COORDINATOR])
    client.raise_request_exception = False
    for url in PAGES:
        answer = client.get(url, {"page": value})
        # Never a failure; a list that cannot read the page says so rather than showing another.
        assert answer.status_code in (200, 400), url
        if answer.status_code == 400:
            assert 'role="alert"' in answer.content.decode(), url
    for url in ("/pledges/", "/requirements/", "/logistics/"):
        assert client.get(url, {"page": value}).status_code == 400, url


@pytest.mark.parametrize("value", HOSTILE)
def test_the_api_answers_4xx_at_worst_to_any_page_or_size(world: Any, value: str) -> None:
    from rest_framework.test import APIClient

    # The auditor reads everything; its token is issued by a coordinator (docs/security.md).
    user = world.users[Role.AUDITOR]
    _, raw = token_create(actor=world.users[Role.COORDINATOR], user=user, name="tests")
    api = APIClient(HTTP_AUTHORIZATION=f"Bearer {raw}")
    api.raise_request_exception = False
    for url in API:
        for name in ("page", "page_size"):
            answer = api.get(url, {name: value})
            assert answer.status_code < 500, (url, name, answer.content[:200])
    for ident in ("99999999999999999999999999", "-1"):
        assert api.get(f"/api/v1/pledges/{ident}").status_code == 404
        assert api.get(f"/api/v1/audit-events/{ident}").status_code == 404
    for position in (value, "9" * 30):
        cursor = base64.b64encode(f"p={position}".encode()).decode()
        answer = api.get("/api/v1/audit-events", {"cursor": cursor})
        assert answer.status_code < 500, (position, answer.content[:200])
