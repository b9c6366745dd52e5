"""Other users' reads and writes never fail while a large import runs, on SQLite and PostgreSQL,
and the import stays all or nothing.

``tests/concurrent_import.py`` imports 50,000 pledges in one thread of its own process while other
threads create and update pledges through the API and read the lists (API and page), against a
database of its own. The import reads and checks every row with no lock held and then writes them
in one transaction; the other requests that arrive meanwhile wait for that transaction (SQLite's
busy timeout is 60 s; PostgreSQL waits on the audit chain's head row) and none fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROWS = 50_000
HELPER = Path(__file__).with_name("concurrent_import.py")

pytestmark = pytest.mark.slow


def test_other_users_never_fail_while_an_import_is_written(
    database_url: str, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "COORDCELL_DATA_DIR": str(tmp_path),
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "coordcell.settings",
    }
    done = subprocess.run(
        [sys.executable, str(HELPER), str(tmp_path), str(ROWS)],
        env=env,
        cwd=HELPER.parent.parent,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    times, requests = result["times"], result["requests"]

    # The import committed every row, each with its audit event, and nothing else of its own.
    assert result["report"] == {"committed": True, "created": ROWS, "fatal": "", "errors": 0}
    assert result["bulk"] == ROWS and result["import_events"] == ROWS and result["audit_ok"]

    # Nobody else failed: every create answered 201, every update 200, every read 200 (an update
    # of a pledge whose create failed is skipped: status 0).
    expected = {"create": 201, "update": 200, "read": 200}
    failed = [r for r in requests if r["status"] not in (expected[r["kind"]], 0)]
    assert not failed, failed[:5]
    api_created = sum(1 for r in requests if r["kind"] == "create" and r["status"] == 201)
    assert result["api_created"] == api_created
    assert result["pledges"] == ROWS + api_created + 1

    # They really ran meanwhile: writes and reads were under way while the rows were being
    # checked, and while they were being written (on SQLite, waiting for the write lock).
    reading = (times["import_start"], times["write_start"])
    writing = (times["write_start"], times["import_end"])
    for kind in ("create", "update", "read"):
        for start, end in (reading, writing):
            under_way = [r for r in requests if r["kind"] == kind and r["start"] <= end]
            assert any(r["end"] >= start for r in under_way), (kind, start, end)
    slowest = max(r["end"] - r["start"] for r in requests)
    print(
        f"\n{result['vendor']}: {ROWS:,} rows checked in {writing[0] - reading[0]:.1f} s, "
        f"written in {writing[1] - writing[0]:.1f} s; {len(requests)} other requests, "
        f"slowest {slowest:.1f} s"
    )
