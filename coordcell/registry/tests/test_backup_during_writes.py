"""`coordcell backup` taken while users write prints the audit head of the copy it wrote: after a
restore, `audit verify --expect-head` with that head passes, every time (SQLite and PostgreSQL).

It used to read the head first and copy afterwards: on PostgreSQL 2 backups in 8 had a newer
head than the one printed, and the verify after a restore reported tampering where there was
none. Everything runs in processes of their own, on databases of their own.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.databases import drop_database, postgres_url

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[3]
BACKUPS = 3
# Appends audit events, each in a transaction of its own, until killed.
WRITER = """
import time
from django.db import transaction
from coordcell.audit.services import record
print("writing", flush=True)
while True:
    with transaction.atomic():
        record(actor=None, verb="test-write", target_type="test", target_id="1", target_repr="w")
    time.sleep(0.002)
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def two_databases(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    """The database users write to, and an empty one to restore into (URLs; '' is SQLite)."""
    if request.param == "sqlite":
        if postgres_url():
            pytest.skip("the SQLite variant runs in the suite's SQLite pass")
        yield "", ""
        return
    url = postgres_url()
    if not url:
        pytest.skip("runs when the suite runs with a PostgreSQL DATABASE_URL")
    import psycopg

    names = [f"coordcell_backup_{os.getpid()}_{which}" for which in ("live", "restored")]
    with psycopg.connect(url, autocommit=True) as conn:
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
    try:
        live, restored = (urlunsplit(urlsplit(url)._replace(path=f"/{n}")) for n in names)
        yield live, restored
    finally:
        for name in names:
            drop_database(url, name)


def _env(data_dir: Path, url: str) -> dict[str, str]:
    data_dir.mkdir(exist_ok=True)
    return {**os.environ, "COORDCELL_DATA_DIR": str(data_dir), "DATABASE_URL": url}


def _coordcell(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "coordcell.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_printed_head_is_the_head_of_the_backup_while_users_write(
    two_databases: tuple[str, str], tmp_path: Path
) -> None:
    live_url, restore_url = two_databases
    live = _env(tmp_path / "live", live_url)
    migrated = _coordcell(live, "migrate", "--no-input", "-v", "0")
    assert migrated.returncode == 0, migrated.stderr

    writer = subprocess.Popen(
        [sys.executable, "-m", "coordcell.cli", "shell", "--no-imports", "-c", WRITER],
        env=live,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    heads = []
    try:
        assert writer.stdout is not None and writer.stdout.readline() == "writing\n"
        for i in range(BACKUPS):
            done = _coordcell(live, "backup", str(tmp_path / f"backup-{i}"))
            assert done.returncode == 0, done.stderr
            found = re.search(r"audit head (\d+) ([0-9a-f]{64})", done.stdout)
            assert found, done.stdout
            heads.append((int(found.group(1)), found.group(2)))
    finally:
        writer.kill()
        writer.wait(timeout=30)
    assert len({seq for seq, _ in heads}) == BACKUPS, f"the writer did not write: {heads}"

    for i, (seq, head) in enumerate(heads):
        restored = _env(tmp_path / f"restored-{i}", restore_url)
        done = _coordcell(restored, "restore", str(tmp_path / f"backup-{i}"), "--yes")
        assert done.returncode == 0, done.stderr
        verified = _coordcell(restored, "audit", "verify", "--expect-head", head)
        assert verified.returncode == 0, f"backup {i} (head {seq}): {verified.stderr}"
