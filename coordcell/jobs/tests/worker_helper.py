"""Helper for ``test_worker_kill``: runs in its own process against the database named by
``COORDCELL_DATA_DIR`` / ``DATABASE_URL``, and prints one JSON line.

    python -m coordcell.jobs.tests.worker_helper session      reads one command a line (setup,
                  enqueue, wait ...) and answers each with one JSON line: one Django start-up
    python -m coordcell.jobs.tests.worker_helper setup        migrate and load the small demo
    python -m coordcell.jobs.tests.worker_helper enqueue      queue an allocation run: {run, job}
    python -m coordcell.jobs.tests.worker_helper wait RUN JOB [--solving] [--job-status S]
                  [--workers N] [--timeout T]                 until then; prints the state
    python -m coordcell.jobs.tests.worker_helper hold-lock S [LOG]   SQLite: hold the write lock
        S s (and until the worker's LOG shows a database error)
    python -m coordcell.jobs.tests.worker_helper drop-connections   PostgreSQL: end the others'
    python -m coordcell.jobs.tests.worker_helper worker [--slow-solve S] [--other-machine]
                  [--db-timeout S] ARGS
                  ``coordcell worker ARGS``, its solver made slow (S seconds' sleep first) and,
                  with --other-machine, its heartbeat row claiming a machine other than this one
                  (so that other workers must judge it by its heartbeat, as across machines);
                  --db-timeout: SQLite's busy timeout (60 s) made this short
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shlex
import sys
import time
from pathlib import Path
from typing import Any


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coordcell.settings")
    import django

    django.setup()


def setup() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    # The scenario alone: the runs these tests queue are the only ones.
    call_command("demo_data", "--size", "small", "--seed", "1", "--if-empty", "--bare", verbosity=0)


def enqueue() -> dict[str, Any]:
    from coordcell.allocation.services import run_create
    from coordcell.allocation.tasks import execute_allocation_run
    from coordcell.registry.models import Role, User

    coordinator = User.objects.filter(role=Role.COORDINATOR).earliest("pk")
    run = run_create(actor=coordinator, enqueue=False)
    return {"run": run.pk, "job": str(execute_allocation_run.enqueue(run.pk).id)}


def state(run_id: int, job_id: str, *, audit: bool = False) -> dict[str, Any]:
    from django.core.management import CommandError, call_command
    from django_tasks_db.models import DBTaskResult

    from coordcell.allocation.models import AllocationLine, AllocationRun
    from coordcell.jobs.models import WorkerHeartbeat

    run = AllocationRun.objects.get(pk=run_id)
    job = DBTaskResult.objects.get(pk=job_id)
    verified = ""
    if audit:
        try:
            call_command("audit", "verify", stdout=open(os.devnull, "w"))  # noqa: SIM115
            verified = "ok"
        except CommandError as exc:
            verified = str(exc)
    return {
        "run_status": run.status,
        "run_error": run.error,
        "run_message": run.progress_message,
        "run_lines": AllocationLine.objects.filter(run=run).count(),
        "runs": AllocationRun.objects.count(),
        "lines": AllocationLine.objects.count(),
        "job_status": job.status,
        "job_error": job.traceback,
        "job_workers": job.worker_ids,
        "workers": sorted(WorkerHeartbeat.objects.values_list("worker_id", flat=True)),
        "audit": verified,
    }


def wait(argv: list[str]) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="wait")
    parser.add_argument("run", type=int)
    parser.add_argument("job")
    parser.add_argument("--solving", action="store_true", help="the run is in its solver")
    parser.add_argument("--job-status")
    parser.add_argument("--workers", type=int, help="this many workers have a heartbeat")
    parser.add_argument("--timeout", type=float, default=120)
    wanted = parser.parse_args(argv)
    deadline = time.monotonic() + wanted.timeout
    while True:
        now = state(wanted.run, wanted.job)
        done = (
            (not wanted.solving or now["run_message"].startswith("Solving"))
            and wanted.job_status in (None, now["job_status"])
            and wanted.workers in (None, len(now["workers"]))
        )
        if done or time.monotonic() > deadline:
            now = state(wanted.run, wanted.job, audit=True)
            now["timed_out"] = not done
            return now
        time.sleep(0.2)


def worker(argv: list[str]) -> None:
    import coordcell.allocation.solver as solver
    from coordcell import cli
    from coordcell.jobs import machine

    if "--slow-solve" in argv:
        at = argv.index("--slow-solve")
        delay = float(argv[at + 1])
        del argv[at : at + 2]
        solve = solver.solve

        def slow_solve(*args: Any, **kwargs: Any) -> Any:
            time.sleep(delay)
            return solve(*args, **kwargs)

        solver.solve = slow_solve
    if "--db-timeout" in argv:
        at = argv.index("--db-timeout")
        seconds = float(argv[at + 1])
        del argv[at : at + 2]
        from django.conf import settings

        settings.DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = seconds
    if "--other-machine" in argv:
        argv.remove("--other-machine")
        machine.machine_id = lambda: "another-machine|boot|pid:[0]"
    sys.exit(cli.main(["worker", *argv]))


def hold_lock(seconds: float, until_logged: str = "") -> dict[str, Any]:
    """SQLite: keep the write lock for this long, as a long import does; with
    ``until_logged`` (a worker's log file), also until the worker has logged a database error
    (at most a minute: on a busy machine the worker may reach the lock late)."""
    from django.db import connection, transaction

    from coordcell.jobs.models import WorkerHeartbeat

    log = Path(until_logged) if until_logged else None
    began = time.monotonic()
    with transaction.atomic():  # IMMEDIATE: the write lock from BEGIN to COMMIT
        WorkerHeartbeat.objects.filter(pk=-1).update(pid=0)
        time.sleep(seconds)
        while log is not None and time.monotonic() - began < 60:
            if "database error" in log.read_text(errors="replace"):
                break
            time.sleep(0.2)
    return {"vendor": connection.vendor, "held": round(time.monotonic() - began, 1)}


def drop_connections() -> dict[str, Any]:
    """PostgreSQL: end every other session on this database, as a restart of the server does."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return {"dropped": cursor.fetchone()[0]}


def answer(command: str, args: list[str]) -> dict[str, Any]:
    if command == "hold-lock":
        return hold_lock(float(args[0]), *args[1:2])
    if command == "drop-connections":
        return drop_connections()
    if command == "setup":
        setup()
        return {"setup": "done"}
    if command == "enqueue":
        return enqueue()
    if command == "wait":
        return wait(args)
    raise SystemExit(__doc__)


def main(argv: list[str]) -> int:
    _django()
    command, args = argv[0], argv[1:]
    if command == "worker":
        worker(args)
    elif command == "session":
        for line in sys.stdin:
            command, *args = shlex.split(line)
            with contextlib.redirect_stdout(sys.stderr):  # commands' own output stays apart
                result = answer(command, args)
            print(json.dumps(result), flush=True)
    else:
        print(json.dumps(answer(command, args)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
