"""Records created at the same moment get distinct cell references (issue 23), on SQLite and on
PostgreSQL: every kind of numbered record at once through a live server, allocation runs queued
by four coordinators at once, capability packages saved from several threads, and an import
while pledges are created.

The server is gunicorn in its own process (two workers of four threads) against a database of
its own, as in production: pytest-django's live server shares one in-memory SQLite connection
between its threads, which cannot show what concurrent transactions do.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

HELPER = Path(__file__).with_name("concurrent_cell.py")
ROOT = HELPER.parent.parent
N = 8  # records of each kind created at once
IMPORT_ROWS = 300

pytestmark = pytest.mark.slow


def _run(env: dict[str, str], *args: str) -> Any:
    done = subprocess.run(
        [sys.executable, str(HELPER), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@dataclass
class Cell:
    url: str
    env: dict[str, str]
    data: dict[str, Any]


@pytest.fixture
def cell(database_url: str, tmp_path: Path) -> Iterator[Cell]:
    env = {
        **os.environ,
        "COORDCELL_DATA_DIR": str(tmp_path),
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "coordcell.settings",
        "DEBUG": "1",  # static files without collectstatic
    }
    data = _run(env, "setup", str(N))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
        [
            sys.executable,
            "-m",
            "gunicorn",
            "coordcell.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "4",
            "--timeout",
            "120",
            "--control-socket",
            str(tmp_path / "gunicorn.ctl"),
        ],  # fmt: skip
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                if requests.get(f"{url}/login/", timeout=5).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert server.poll() is None, (tmp_path / "server.log").read_text()[-3000:]
            time.sleep(0.25)
        yield Cell(url, env, data)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
        log.close()


class Browser:
    """One user's session on the pages, logged in through the log-in page."""

    def __init__(self, base: str, username: str, password: str) -> None:
        self.base = base
        self.session = requests.Session()
        self.session.get(f"{base}/login/", timeout=30)
        answer = self.post("/login/", {"username": username, "password": password})
        assert answer.status_code == 302, answer.text[-2000:]

    def post(self, path: str, data: dict[str, Any]) -> requests.Response:
        token = self.session.cookies["csrftoken"]
        return self.session.post(
            f"{self.base}{path}",
            data={**data, "csrfmiddlewaretoken": token},
            allow_redirects=False,
            timeout=120,
        )


def _at_once(calls: list[Callable[[], requests.Response]]) -> list[requests.Response]:
    """Every call started at the same moment, each from a thread of its own."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], requests.Response]) -> requests.Response:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def _api_post(cell: Cell, path: str, body: dict[str, Any]) -> Callable[[], requests.Response]:
    headers = {"Authorization": f"Bearer {cell.data['token']}"}
    return lambda: requests.post(f"{cell.url}{path}", json=body, headers=headers, timeout=120)


def _monday(cell: Cell, weeks: int) -> str:
    return (dt.date.fromisoformat(cell.data["monday"]) + dt.timedelta(weeks=weeks)).isoformat()


def test_every_numbered_record_created_at_once_gets_its_own_reference(cell: Cell) -> None:
    data = cell.data
    before = _run(cell.env, "state")
    coordinators = [Browser(cell.url, name, data["password"]) for name in data["coordinators"]]
    page = coordinators[0]
    need_by = (dt.date.today() + dt.timedelta(days=90)).isoformat()
    calls: dict[str, list[Callable[[], requests.Response]]] = {
        "P": [
            _api_post(cell, "/api/v1/pledges", {
                "donor": "DE", "donor_reference": f"AT-ONCE-{n}", "category": "ammo-155",
                "quantity": 10, "available_from": need_by, "origin": "depot-de"})
            for n in range(N)
        ],
        "R": [
            _api_post(cell, "/api/v1/requirements", {
                "capability": "sp-arty", "category": "ammo-155", "quantity": 10,
                "need_by": need_by, "delivery_point": "dp-lviv", "priority": 2})
            for _ in range(N)
        ],
        # Twelve allocation runs queued by four coordinators at once.
        "A": [
            (lambda b=b: b.post("/allocation/", {
                "planning_start": data["monday"], "horizon_weeks": 26}))
            for b in coordinators for _ in range(3)
        ],
        "TR": [
            (lambda: page.post("/training/runs/", {
                "planning_start": data["monday"], "horizon_weeks": 52, "time_limit_s": 1}))
            for _ in range(N)
        ],
        "TS": [
            (lambda n=n: page.post("/training/sessions/new/", {
                "course": data["course"], "site": data["site"],
                "start_date": _monday(cell, 2 + n), "seats": 12}))
            for n in range(N)
        ],
        "CO": [
            (lambda n=n: page.post("/training/cohorts/new/", {
                "unit": f"Battery {n}", "trainees": 8, "capability": data["capability"],
                "earliest_release": data["monday"], "priority": 3, "path": data["path"]}))
            for n in range(N)
        ],
        "S": [
            (lambda pk=pk, line=line: page.post(f"/logistics/shipments/{pk}/split/", {
                "split-reason": "two trucks", "split-moves": f"{line}: 40"}))
            for pk, line in data["shipments"]
        ],
    }  # fmt: skip
    kinds = [kind for kind, group in calls.items() for _ in group]
    answers = _at_once([call for group in calls.values() for call in group])

    wanted = {"P": 201, "R": 201}
    failed = [
        f"{kind}: {a.status_code} {a.text[-300:]!r}"
        for kind, a in zip(kinds, answers, strict=True)
        if a.status_code != wanted.get(kind, 302)
    ]
    assert not failed, failed
    after = _run(cell.env, "state")
    for kind, group in calls.items():
        new = set(after[kind]) - set(before[kind])
        assert len(new) == len(group), (kind, sorted(new))
        assert len(after[kind]) == len(set(after[kind])), kind
        assert all(ref.startswith(f"{kind}-") for ref in new), (kind, sorted(new))


def test_packages_saved_from_several_threads_at_once_get_their_own_references(
    cell: Cell,
) -> None:
    outcome = _run(cell.env, "packages", str(N))
    assert outcome["errors"] == []
    references = _run(cell.env, "state")["CP"]
    assert len(references) == N == len(set(references))


def test_an_import_succeeds_while_pledges_are_created(cell: Cell, tmp_path: Path) -> None:
    path = tmp_path / "pledges.csv"
    available = (dt.date.today() + dt.timedelta(days=60)).isoformat()
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["Donor", "Donor reference", "Category", "Quantity", "Available from",
                         "Origin depot"])  # fmt: skip
        for row in range(IMPORT_ROWS):
            writer.writerow(["PL", f"IMP-{row}", "ammo-155", 5, available, "depot-pl"])
    before = len(_run(cell.env, "state")["P"])
    importer = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-m", "coordcell.cli", "import", "pledges", str(path), "--user", "coord"],
        env=cell.env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    answers = []
    while importer.poll() is None and len(answers) < 40:
        answers += _at_once(
            [
                _api_post(
                    cell,
                    "/api/v1/pledges",
                    {
                        "donor": "DE",
                        "donor_reference": f"DURING-{len(answers) + n}",
                        "category": "ammo-155",
                        "quantity": 10,
                        "available_from": available,
                        "origin": "depot-de",
                    },
                )
                for n in range(4)
            ]  # fmt: skip
        )
    output, _ = importer.communicate(timeout=300)
    assert importer.returncode == 0, output[-3000:]
    assert [a.status_code for a in answers] == [201] * len(answers)
    references = _run(cell.env, "state")["P"]
    assert len(references) == before + IMPORT_ROWS + len(answers) == len(set(references))
