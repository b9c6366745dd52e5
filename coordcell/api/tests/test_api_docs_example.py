"""The worked example of docs/api.md runs as written: a donor system pushes a day's events with
its token and reads its shipments (its HTTP calls go to the application in-process)."""

from __future__ import annotations

import datetime as dt
import re
import sys
import types
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from coordcell.api.services import token_create
from coordcell.logistics.lifecycle import S
from coordcell.logistics.tests.factories import event, make_shipment
from coordcell.registry.models import Role

pytestmark = pytest.mark.django_db

DOC = Path(__file__).resolve().parents[3] / "docs" / "api.md"


def example(name: str) -> str:
    match = re.search(
        rf"<!-- example: {name} -->\n```python\n(.*?)```", DOC.read_text(), flags=re.S
    )
    assert match, f"docs/api.md has no example {name}"
    return match[1]


class Answer:
    def __init__(self, response: Any) -> None:
        self.status_code = response.status_code
        self._body = response.json()

    def json(self) -> Any:
        return self._body

    def raise_for_status(self) -> None:
        assert self.status_code < 400, self._body


class Session:
    """What the example uses of ``requests.Session``, answered by the application."""

    def __init__(self) -> None:
        self.headers: dict[str, str] = {}

    def _client(self) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=self.headers["Authorization"])
        return client

    @staticmethod
    def _path(url: str) -> str:
        parts = urlsplit(url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def get(self, url: str, timeout: int) -> Answer:
        return Answer(self._client().get(self._path(url)))

    def post(self, url: str, json: Any, timeout: int) -> Answer:
        return Answer(self._client().post(self._path(url), json, format="json"))


def test_a_donor_system_pushes_a_days_events_and_reads_its_shipments(world, monkeypatch, capsys):
    donor = world.users[Role.DONOR_LIAISON]
    german = make_shipment(world, donor="DE", quantity=10)
    polish = make_shipment(world, donor="PL", quantity=10)
    _, token = token_create(actor=donor, user=donor, name="national logistics")
    at = timezone.now() - dt.timedelta(hours=6)
    events = [
        event(german, S.READY, at),
        event(german, S.DEPARTED, at + dt.timedelta(hours=1), quantity=10),
        {**event(polish, S.READY, at), "id": "de-foreign"},
    ]
    monkeypatch.setitem(sys.modules, "requests", types.SimpleNamespace(Session=Session))
    code = example("donor-events")
    exec(code, {"TOKEN": token, "events": events})  # noqa: S102  # our own documentation
    exec(code, {"TOKEN": token, "events": events})  # noqa: S102  # sent again: duplicates
    out = capsys.readouterr().out.splitlines()
    german.refresh_from_db()
    assert out[0] == "2 recorded, 0 already known"
    assert out[1] == (
        f"event de-foreign (#2) rejected: No shipment {polish.reference} that you may record "
        "events for."
    )
    assert out[2] == f"{german.reference} departed {german.eta.isoformat()}"
    assert out[3] == "0 recorded, 2 already known"
    assert polish.reference not in out[2:] and len(out) == 6
