"""``scripts/cluster.sh --check``: two servers and two workers on one PostgreSQL start, both
servers answer, a run queued through one is solved by a worker, and everything stops."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.databases import drop_database, postgres_url

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def test_the_local_cluster_serves_on_two_ports_and_works_off_a_queued_run(tmp_path: Path) -> None:
    url = postgres_url()
    if not url:
        pytest.skip("runs when the suite runs with a PostgreSQL DATABASE_URL")
    import psycopg

    name = f"coordcell_cluster_{os.getpid()}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    cluster_url = urlunsplit(urlsplit(url)._replace(path=f"/{name}"))
    ports = _free_ports(2)
    env = {
        **os.environ,
        "COORDCELL_CLUSTER_DATABASE_URL": cluster_url,
        "COORDCELL_CLUSTER_PORTS": " ".join(map(str, ports)),
        "COORDCELL_CLUSTER_DIR": str(tmp_path),
    }
    try:
        done = subprocess.run(
            [str(ROOT / "scripts" / "cluster.sh"), "--check"],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=900,
        )
        with psycopg.connect(cluster_url) as conn:
            [(workers,)] = conn.execute("SELECT count(*) FROM jobs_workerheartbeat").fetchall()
    finally:
        drop_database(url, name)
    assert done.returncode == 0, done.stderr[-4000:]
    assert "cluster: check passed" in done.stderr
    assert "solved; its job: SUCCESSFUL" in done.stderr
    # Everything it started has stopped: the workers cleanly, and no server still listens.
    assert workers == 0
    for port in ports:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
