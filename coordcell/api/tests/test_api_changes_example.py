"""docs/api.md's client following the change feed, run as written against a live server."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from coordcell.api.services import token_create
from coordcell.exchange.cli import command_user
from coordcell.registry.models import Role

DOC = Path(__file__).resolve().parents[3] / "docs" / "api.md"


def _example() -> str:
    text = DOC.read_text()
    section = text.split("### A system following the change feed", 1)[1]
    [code] = re.findall(r"```python\n(.*?)```", section, flags=re.S)[:1]
    return code


def _client(url: str, token: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {}
    code = _example().replace('"https://cell.example"', repr(url)).replace('"cc_..."', repr(token))
    exec(compile(code, str(DOC), "exec"), namespace)  # noqa: S102  # our own documentation
    return namespace


@pytest.mark.django_db(transaction=True)
def test_a_donor_system_keeps_its_copy_with_the_documented_client(world, live_server, pledges):
    german, polish = pledges
    donor = world.users["donor-pl"]
    _, raw = token_create(actor=command_user(None), user=donor, name="national system")
    client = _client(live_server.url, raw)
    copy: dict[tuple[str, int], dict[str, Any]] = {}
    cursor = client["follow"](copy)
    # Factories made the fixture's records without the trail: nothing yet.
    assert copy == {}

    from rest_framework.test import APIClient

    cell = APIClient()
    _, coordinator_token = token_create(
        actor=command_user(None), user=world.users[Role.COORDINATOR], name="cell"
    )
    cell.credentials(HTTP_AUTHORIZATION=f"Bearer {coordinator_token}")
    for pledge in (german, polish):
        answer = cell.patch(
            f"/api/v1/pledges/{pledge.pk}", {"quantity": 77, "version": 1}, format="json"
        )
        assert answer.status_code == 200, answer.json()

    cursor = client["follow"](copy, cursor)
    assert list(copy) == [("pledge", polish.pk)]  # its own; never Germany's
    assert copy[("pledge", polish.pk)]["quantity"] == 77
    assert copy[("pledge", polish.pk)]["version"] == 2
    assert client["follow"](copy, cursor) == cursor  # nothing new: the same cursor
