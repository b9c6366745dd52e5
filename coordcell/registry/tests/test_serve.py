"""`coordcell migrate && coordcell serve` on a fresh data folder, as the README says: pages and
static files answer at once; the background worker is restarted when it dies and the queue goes
on; SIGTERM stops gunicorn and the worker; each server keeps its own control socket.

Real processes on a database of their own (SQLite; PostgreSQL too when the suite runs on it).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.databases import drop_database, postgres_url

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[3]
PORTS = range(8101, 8130)  # the ports this machine's tests may use

# Queues a job that finishes at once (the figures of a user who does not exist) and waits for a
# worker to run it.
QUEUE_AND_WAIT = """
import time
from django_tasks_db.models import DBTaskResult
from coordcell.reports.reuse import refresh_figures
job = refresh_figures.enqueue("home", 999999, "2027-01-04", "", "en")
deadline = time.monotonic() + 90
while time.monotonic() < deadline:
    status = DBTaskResult.objects.get(pk=job.id).status
    if status not in ("READY", "RUNNING"):
        break
    time.sleep(0.3)
print("job", status)
"""


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def data(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str]]:
    """The environment of a fresh data folder (and database), migrated as the README says."""
    url = ""
    if request.param == "sqlite" and postgres_url():
        pytest.skip("the SQLite variant runs in the suite's SQLite pass")
    if request.param == "postgresql":
        if not postgres_url():
            pytest.skip("runs when the suite runs with a PostgreSQL DATABASE_URL")
        import psycopg

        name = f"coordcell_serve_{os.getpid()}"
        with psycopg.connect(postgres_url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        url = urlunsplit(urlsplit(postgres_url())._replace(path=f"/{name}"))
    env = {
        **os.environ,
        "COORDCELL_DATA_DIR": str(tmp_path_factory.mktemp(f"serve-{request.param}")),
        "DATABASE_URL": url,
        "DEBUG": "0",
    }
    migrated = subprocess.run(
        [sys.executable, "-m", "coordcell.cli", "migrate", "-v", "0"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert migrated.returncode == 0, migrated.stderr
    try:
        yield env
    finally:
        if url:
            drop_database(postgres_url(), name)


def _free_port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.skip("no free port in 8101-8129")


def _serve(env: dict[str, str], port: int, log: Path, *args: str) -> subprocess.Popen[str]:
    with open(log, "w") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "coordcell.cli", "serve", "--bind", f"127.0.0.1:{port}"]
            + ["--workers", "1", *args],
            env=env,
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
        )


def _get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""


def _wait_until_it_answers(port: int, server: subprocess.Popen[str], log: Path) -> str:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert server.poll() is None, log.read_text()[-3000:]
        try:
            status, page = _get(port, "/login/")
        except OSError:
            time.sleep(0.3)
            continue
        assert status == 200, log.read_text()[-3000:]
        return page
    raise AssertionError("serve never answered: " + log.read_text()[-3000:])


def _children(pid: int) -> dict[int, str]:
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
            command = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if int(text[text.rindex(")") + 2 :].split()[1]) == pid:
            found[int(stat.parent.name)] = command
    return found


def _worker_of(server: subprocess.Popen[str], *, not_: int = 0, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for pid, command in _children(server.pid).items():
            if "coordcell.cli worker" in command and pid != not_:
                return pid
        time.sleep(0.2)
    raise AssertionError("serve has no background worker")


def _alive(pid: int) -> bool:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return text[text.rindex(")") + 2] not in "ZX"


def test_serve_on_a_fresh_data_folder_supervises_its_worker_and_stops_with_it(
    data: dict[str, str], tmp_path: Path
) -> None:
    port, log = _free_port(), tmp_path / "serve.log"
    server = _serve(data, port, log)
    try:
        page = _wait_until_it_answers(port, server, log)
        # Static files were collected before gunicorn started: no 500, no restart needed.
        stylesheets = re.findall(r'href="(/static/[^"]+\.css)"', page)
        assert stylesheets
        assert all(_get(port, path)[0] == 200 for path in stylesheets)

        children = _children(server.pid)
        [web] = [pid for pid, command in children.items() if "gunicorn" in command]
        worker = _worker_of(server)

        os.kill(worker, signal.SIGKILL)  # as the out-of-memory killer would
        restarted = _worker_of(server, not_=worker)
        queued = subprocess.run(
            [sys.executable, "-m", "coordcell.cli", "shell", "--no-imports", "-c", QUEUE_AND_WAIT],
            env=data,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert "job SUCCESSFUL" in queued.stdout, queued.stderr + log.read_text()[-3000:]
        assert "The background worker exited (killed by SIGKILL)" in log.read_text()
    finally:
        server.send_signal(signal.SIGTERM)
        status = server.wait(timeout=90)
    assert status == 0, log.read_text()[-3000:]
    deadline = time.monotonic() + 10
    while (_alive(web) or _alive(restarted)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(web) and not _alive(restarted), "serve left a child running"


def test_each_server_keeps_its_own_control_socket_under_the_data_folder(
    data: dict[str, str], tmp_path: Path
) -> None:
    run = Path(data["COORDCELL_DATA_DIR"]) / "run"
    first_port = _free_port()
    first = _serve(data, first_port, tmp_path / "first.log", "--no-worker")
    second = None
    try:
        _wait_until_it_answers(first_port, first, tmp_path / "first.log")
        second_port = _free_port()
        second = _serve(data, second_port, tmp_path / "second.log", "--no-worker")
        _wait_until_it_answers(second_port, second, tmp_path / "second.log")
        first_socket = run / f"gunicorn-127.0.0.1_{first_port}.ctl"
        second_socket = run / f"gunicorn-127.0.0.1_{second_port}.ctl"
        deadline = time.monotonic() + 10
        while not (first_socket.exists() and second_socket.exists()):
            assert time.monotonic() < deadline, sorted(p.name for p in run.iterdir())
            time.sleep(0.2)

        second.send_signal(signal.SIGINT)  # Ctrl-C
        assert second.wait(timeout=60) == 0
        assert first_socket.is_socket()  # never removed or taken over by the other server
        with socket.socket(socket.AF_UNIX) as client:
            client.connect(str(first_socket))
    finally:
        for server in (first, second):
            if server is not None and server.poll() is None:
                server.send_signal(signal.SIGTERM)
                server.wait(timeout=60)
