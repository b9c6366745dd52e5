"""A real ``coordcell worker`` killed with SIGKILL mid-job: its job and run end failed with the
message, nothing is applied, a second worker carries on; and a live worker is never swept.

The workers run as processes of their own against a database of their own (SQLite always;
PostgreSQL as well when the suite runs with a PostgreSQL ``DATABASE_URL``), loaded once per
module with the small demo. ``worker_helper`` makes the first worker's solver sleep first, so
the kill lands while the run is in its solver, every time.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from coordcell.jobs.services import LOST_MESSAGE

from .processes import FAST, Helper
from .processes import start_worker as _worker
from .processes import stop as _stop

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("where", ["same-machine", "other-machine"])
def test_a_worker_killed_mid_job_leaves_a_failed_job_and_run_and_a_second_worker_goes_on(
    helper: Helper, tmp_path: Path, where: str
) -> None:
    queued = helper("enqueue")
    run, job = str(queued["run"]), queued["job"]
    extra = ["--other-machine"] if where == "other-machine" else []
    first = _worker(helper.env, tmp_path / "first.log", "--slow-solve", "600", *extra, *FAST)
    try:
        solving = helper("wait", run, job, "--solving", "--timeout", "120")
        assert not solving["timed_out"], (tmp_path / "first.log").read_text()[-3000:]
        assert solving["job_status"] == "RUNNING" and solving["run_status"] == "running"
        [killed_worker] = solving["job_workers"]
        assert os.getpriority(os.PRIO_PROCESS, first.pid) == 10  # yields the CPU to the web
    finally:
        first.kill()  # SIGKILL: no clean-up of any kind
        assert first.wait(timeout=60) == -signal.SIGKILL

    second = _worker(helper.env, tmp_path / "second.log", *FAST)
    try:
        after = helper("wait", run, job, "--job-status", "FAILED", "--timeout", "120")
        assert not after["timed_out"], (tmp_path / "second.log").read_text()[-3000:]
        assert LOST_MESSAGE in after["job_error"]
        assert after["job_workers"] == [killed_worker]  # never handed to another worker
        assert (after["run_status"], after["run_error"]) == ("failed", LOST_MESSAGE)
        assert after["run_lines"] == 0  # the plan is saved in one transaction at the end
        assert killed_worker not in after["workers"]
        assert after["audit"] == "ok"

        # The queue goes on: a new run is solved by the second worker, once.
        queued = helper("enqueue")
        done = helper("wait", str(queued["run"]), queued["job"], "--job-status", "SUCCESSFUL")
        assert not done["timed_out"], (tmp_path / "second.log").read_text()[-3000:]
        assert done["run_status"] == "solved" and done["run_lines"] > 0
        assert done["job_workers"] == after["workers"]  # the second worker, the only one left
        assert done["lines"] - after["lines"] == done["run_lines"]  # nothing else was added
        assert done["runs"] - after["runs"] == 1
    finally:
        assert _stop(second) == 0
    final = helper("wait", run, job)
    assert final["workers"] == [] and final["audit"] == "ok"


def test_a_live_worker_on_another_machine_keeps_its_job_while_others_sweep(
    helper: Helper, tmp_path: Path
) -> None:
    queued = helper("enqueue")
    run, job = str(queued["run"]), queued["job"]
    # 15 s in the solver, judged only by its heartbeat (as from another machine) by a second
    # worker that calls a worker stopped after 3 s of silence and sweeps every 1.5 s.
    first = _worker(
        helper.env, tmp_path / "first.log", "--slow-solve", "15", "--other-machine", *FAST
    )
    second = None
    try:
        solving = helper("wait", run, job, "--solving", "--timeout", "120")
        assert not solving["timed_out"], (tmp_path / "first.log").read_text()[-3000:]
        second = _worker(helper.env, tmp_path / "second.log", *FAST)
        both = helper("wait", run, job, "--workers", "2", "--timeout", "60")
        assert not both["timed_out"] and both["job_status"] == "RUNNING"

        done = helper("wait", run, job, "--job-status", "SUCCESSFUL", "--timeout", "180")
        assert not done["timed_out"], (tmp_path / "first.log").read_text()[-3000:]
        assert done["job_workers"] == solving["job_workers"]
        assert done["run_status"] == "solved" and done["run_error"] == ""
        assert "marked failed" not in (tmp_path / "second.log").read_text()
    finally:
        assert _stop(first) == 0
        if second is not None:
            assert _stop(second) == 0
