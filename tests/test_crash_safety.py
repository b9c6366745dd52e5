"""``kill -9`` during a large import leaves all of its rows or none, and an intact database.

The import runs as ``python -m coordcell.cli import pledges`` in its own process against a database
of its own (SQLite always; PostgreSQL as well when the suite runs with a PostgreSQL
``DATABASE_URL``). Ten times it is killed with SIGKILL after a seeded random delay, one delay in
each tenth of the import's measured duration, and a fresh process then checks the pledge count,
``PRAGMA integrity_check`` (SQLite) and ``coordcell audit verify``.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

ROWS = 2_000  # about three seconds of import on an idle two-core machine
TRIALS = 10
HELPER = Path(__file__).with_name("crash_import.py")
ROOT = HELPER.parent.parent

pytestmark = pytest.mark.slow


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def _state(env: dict[str, str]) -> dict[str, Any]:
    done = _run(env, str(HELPER), "check")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _import(env: dict[str, str], path: Path) -> subprocess.Popen[str]:
    command = ["-m", "coordcell.cli", "import", "pledges", str(path), "--user", "coord"]
    with open(path.with_suffix(".out"), "w") as output:  # the child keeps its own descriptor
        return subprocess.Popen(
            [sys.executable, *command],
            env=env,
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
        )


def test_killed_import_commits_all_rows_or_none(database_url: str, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "COORDCELL_DATA_DIR": str(tmp_path),
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "coordcell.settings",
    }
    done = _run(env, str(HELPER), "setup", str(tmp_path), str(ROWS), str(TRIALS + 1))
    assert done.returncode == 0, done.stderr

    # One import to the end: its duration spreads the kills, and it must commit every row.
    started = time.monotonic()
    full = _import(env, tmp_path / "pledges-0.csv")
    assert full.wait(timeout=300) == 0
    duration = time.monotonic() - started
    state = _state(env)
    assert (state["pledges"], state["audit_events"]) == (ROWS, ROWS)

    print(f"\n{state['vendor']}: {ROWS} rows, full import {duration:.2f} s")
    rng = random.Random(8)
    outcomes = []
    for trial in range(1, TRIALS + 1):
        delay = rng.uniform((trial - 1) * duration / TRIALS, trial * duration / TRIALS)
        before = state
        process = _import(env, tmp_path / f"pledges-{trial}.csv")
        time.sleep(delay)
        process.kill()  # SIGKILL; a no-op if it already finished
        returncode = process.wait(timeout=60)
        state = _state(env)
        added = state["pledges"] - before["pledges"]
        outcome = {0: "none", ROWS: "all"}.get(added, f"PARTIAL {added}")
        outcomes.append(outcome)
        print(f"  trial {trial:2}: kill after {delay:5.2f} s, exit {returncode}, {outcome}")
        if returncode not in (0, -9):  # it stopped by itself: say why
            print("    " + (tmp_path / f"pledges-{trial}.out").read_text()[-500:])
        assert added in (0, ROWS), f"trial {trial}: {added} of {ROWS} rows after a kill"
        assert state["audit_events"] - before["audit_events"] == added
        assert state["audit_verify"] == "ok"
        if state["vendor"] == "sqlite":
            assert state["integrity"] == ["ok"]
    assert "none" in outcomes, "no kill landed before the commit"
