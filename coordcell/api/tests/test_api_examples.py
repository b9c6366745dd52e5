"""The worked client examples of docs/api.md run, as written, against the test server: their
``requests`` calls are made with the API client."""

from __future__ import annotations

import re
import sys
import time
import types
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from rest_framework.test import APIClient

from coordcell.allocation import tasks
from coordcell.allocation.models import AllocationRun
from coordcell.allocation.services import run_execute
from coordcell.api.services import token_create
from coordcell.pledges.models import Pledge
from coordcell.registry.models import Role

pytestmark = pytest.mark.django_db(transaction=True)

DOCS = Path(__file__).resolve().parents[3] / "docs" / "api.md"


def example(name: str) -> str:
    text = DOCS.read_text()
    found = re.search(rf"<!-- example: {name} -->\n```python\n(.*?)```", text, re.S)
    assert found, f"docs/api.md has no example {name}"
    return found[1]


class Answer:
    def __init__(self, response: Any) -> None:
        self.response = response
        self.status_code = response.status_code

    def json(self) -> Any:
        return self.response.json()

    def raise_for_status(self) -> None:
        assert self.status_code < 400, self.response.content[:2000]


class Session:
    """What the examples use of ``requests.Session``, answered by the test server."""

    calls: list[str] = []

    def __init__(self) -> None:
        self.headers: dict[str, str] = {}

    def _client(self) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=self.headers["Authorization"])
        return client

    @staticmethod
    def _path(url: str) -> str:
        parts = urlsplit(url)
        assert parts.netloc in ("cell.example", "testserver"), url
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def get(self, url: str, params: Any = None) -> Answer:
        self.calls.append(f"GET {urlsplit(url).path}")
        return Answer(self._client().get(self._path(url), params))

    def post(self, url: str, json: Any = None) -> Answer:
        self.calls.append(f"POST {urlsplit(url).path}")
        return Answer(self._client().post(self._path(url), json, format="json"))


def test_a_script_queues_a_run_waits_reads_its_shortfalls_and_commits(
    world, situation, monkeypatch, capsys
):
    _, token = token_create(
        actor=world.users[Role.COORDINATOR], user=world.users[Role.COORDINATOR], name="planner"
    )
    monkeypatch.setitem(sys.modules, "requests", types.SimpleNamespace(Session=Session))
    monkeypatch.setattr(Session, "calls", [])
    # The job waits in the queue, as behind a busy worker, until the script's first sleep.
    queued: list[int] = []
    monkeypatch.setattr(
        tasks, "execute_allocation_run", types.SimpleNamespace(enqueue=queued.append)
    )
    monkeypatch.setattr(time, "sleep", lambda seconds: [run_execute(pk) for pk in queued])
    exec(example("queue-wait-commit"), {"TOKEN": token, "__name__": "example"})  # noqa: S102

    run = AllocationRun.objects.get()
    assert run.status == AllocationRun.Status.COMMITTED and run.parameters["lexicographic"]
    assert Pledge.objects.get(reference="P-000002").allocated_quantity == 250
    assert Session.calls == [
        "POST /api/v1/allocation-runs",
        f"GET /api/v1/allocation-runs/{run.pk}",
        f"GET /api/v1/allocation-runs/{run.pk}/shortfalls",
        f"POST /api/v1/allocation-runs/{run.pk}/commit",
    ]
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith(f"{run.reference} objective ")
    assert printed[1].startswith("R-000002 250 missing: ")
    assert printed[-1] == f"{run.reference} committed"
