"""docs/api.md's three worked examples, run as written against the demo scenario on a live
server, one after the other as a cell would meet them: a planner queues a run, waits, reads its
shortfalls and commits (which plans the shipments); a donor's system pushes a day's events and
reads its shipments; the same system follows the change feed. The tokens are made with the
command the docs give; the examples' code is read from docs/api.md, their address (cell.example)
replaced by the live server's and nothing else."""

from __future__ import annotations

import datetime as dt
import io
import re
import time
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from coordcell.allocation.models import AllocationRun
from coordcell.logistics.lifecycle import S
from coordcell.logistics.models import Shipment

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

DOC = Path(__file__).resolve().parents[3] / "docs" / "api.md"


def example(name: str, server: str) -> str:
    found = re.search(rf"<!-- example: {name} -->\n```python\n(.*?)```", DOC.read_text(), re.S)
    assert found, f"docs/api.md has no example {name}"
    return found[1].replace("https://cell.example", server)


def token(username: str, name: str) -> str:
    """``coordcell token create USER --name NAME``, as docs/api.md says: the token on stdout."""
    out = io.StringIO()
    call_command("token", "create", username, "--name", name, stdout=out, stderr=io.StringIO())
    return out.getvalue().strip()


def run(code: str, **names: Any) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "example", **names}
    exec(compile(code, str(DOC), "exec"), namespace)  # noqa: S102  # our own documentation
    return namespace


def test_the_worked_examples_run_against_the_demo(live_server, monkeypatch, capsys):
    call_command("demo_data", size="small", seed=1, bare=True, stdout=io.StringIO())
    # The script sleeps between polls; the test server's job has run by the first poll.
    monkeypatch.setattr(time, "sleep", lambda seconds: None)

    # 1. The planner's script (a coordinator's token).
    run(example("queue-wait-commit", live_server.url), TOKEN=token("coordinator", "planner"))
    printed = capsys.readouterr().out.splitlines()
    committed = AllocationRun.objects.get()
    assert committed.status == AllocationRun.Status.COMMITTED
    assert printed[0].startswith(f"{committed.reference} objective ")
    shortfalls = [line for line in printed if " missing: " in line]
    assert shortfalls and all(line.startswith("R-") for line in shortfalls)
    assert printed[-1] == f"{committed.reference} committed"

    # 2. Germany's logistics system: the day's events of two of its planned shipments, and one
    # of Poland's, which it may not record (rejected like a shipment that does not exist).
    # (without serial-numbered lines: those need their manifest with "ready at origin")
    german = list(
        Shipment.objects.filter(donor__code="DE", status=S.PLANNED)
        .exclude(lines__category__sensitive=True)
        .order_by("reference")[:2]
    )
    [polish] = Shipment.objects.filter(donor__code="PL").order_by("reference")[:1]
    at = timezone.now() - dt.timedelta(hours=6)
    events = [
        {"id": "de-day-1", "shipment": german[0].reference, "status": S.READY,
         "occurred_at": at.isoformat()},
        {"id": "de-day-2", "shipment": german[0].reference, "status": S.DEPARTED,
         "occurred_at": (at + dt.timedelta(hours=1)).isoformat(),
         "quantity": sum(line.quantity for line in german[0].lines.all())},
        {"id": "de-day-3", "shipment": german[1].reference, "status": S.READY,
         "occurred_at": (at + dt.timedelta(hours=2)).isoformat()},
        {"id": "de-day-4", "shipment": polish.reference, "status": S.READY,
         "occurred_at": at.isoformat()},
    ]  # fmt: skip
    national = token("donor-de", "national logistics")
    donor_events = example("donor-events", live_server.url)
    run(donor_events, TOKEN=national, events=events)
    run(donor_events, TOKEN=national, events=events)  # the batch again: nothing changes
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "3 recorded, 0 already known"
    assert printed[1] == (
        f"event de-day-4 (#3) rejected: No shipment {polish.reference} that you may record "
        "events for."
    )
    listed = [line.split()[0] for line in printed[2:] if line.startswith("S-")]
    mine = set(Shipment.objects.filter(donor__code="DE").values_list("reference", flat=True))
    assert set(listed) == mine and len(listed) == 2 * len(mine)  # both runs read every page
    assert f"{german[0].reference} departed " in "\n".join(printed)
    assert "0 recorded, 3 already known" in printed
    german[0].refresh_from_db()
    assert german[0].status == S.DEPARTED

    # 3. The same system keeps its copy with the change feed, from the start.
    client = run(example("change-feed", live_server.url).replace('"cc_..."', repr(national)))
    copy: dict[tuple[str, int], dict[str, Any]] = {}
    cursor = client["follow"](copy)
    types = {kind for kind, _ in copy}
    assert {"pledge", "shipment", "nation"} <= types
    held = {record["reference"] for (kind, _), record in copy.items() if kind == "shipment"}
    assert held == mine  # its own shipments, never another nation's
    pledges = [record for (kind, _), record in copy.items() if kind == "pledge"]
    assert pledges and {record["donor"] for record in pledges} == {"DE"}
    assert copy[("shipment", german[0].pk)]["status"] == S.DEPARTED
    assert client["follow"](copy, cursor) == cursor  # nothing new: the same cursor
