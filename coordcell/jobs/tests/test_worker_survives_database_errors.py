"""A worker goes on through database errors: SQLite busy behind a long import, PostgreSQL
connections dropped. It used to die on the first one, and every job queued afterwards stayed
queued. A job whose outcome it could not record ends failed, never RUNNING for ever."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import OperationalError
from django.tasks import TaskResultStatus
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from coordcell.jobs import worker as worker_module
from coordcell.jobs.services import OUTCOME_UNRECORDED, UNRECORDED_MESSAGE
from coordcell.jobs.worker import ResilientWorker
from coordcell.reports.reuse import refresh_figures

from .processes import FAST, Helper, start_worker, stop


@pytest.fixture
def _database_queue(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def _batch_worker() -> ResilientWorker:
    return ResilientWorker(
        queue_names=["default"],
        excluded_queue_names=[],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="w-test",
    )


def _quick_job() -> str:
    """A job that finishes at once: refreshing the figures of a user who does not exist."""
    return str(refresh_figures.enqueue("home", 999_999, "2027-01-04", "", "en").id)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("_database_queue")
def test_the_loop_goes_on_after_the_database_was_locked(monkeypatch: pytest.MonkeyPatch) -> None:
    job_id = _quick_job()
    real = db_worker.exclusive_transaction
    calls = {"n": 0}

    @contextlib.contextmanager
    def locked_once(using: Any = None) -> Iterator[None]:
        calls["n"] += 1
        if calls["n"] == 1:
            raise OperationalError("database is locked")
        with real(using):
            yield

    monkeypatch.setattr(db_worker, "exclusive_transaction", locked_once)
    monkeypatch.setattr(worker_module.time, "sleep", lambda seconds: None)

    _batch_worker().run()

    assert DBTaskResult.objects.get(pk=job_id).status == TaskResultStatus.SUCCESSFUL


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("_database_queue")
def test_a_job_whose_outcome_could_not_be_written_ends_failed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    job_id = _quick_job()

    def unwritable(self: DBTaskResult, *args: Any) -> None:
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(DBTaskResult, "set_successful", unwritable)
    monkeypatch.setattr(DBTaskResult, "set_failed", unwritable)

    _batch_worker().run()

    job = DBTaskResult.objects.get(pk=job_id)
    assert job.status == TaskResultStatus.FAILED
    assert job.exception_class_path == OUTCOME_UNRECORDED
    assert UNRECORDED_MESSAGE in job.traceback


@pytest.mark.slow
def test_a_real_worker_survives_database_errors_and_solves_the_next_run(
    helper: Helper, tmp_path: Path
) -> None:
    log = tmp_path / "worker.log"
    postgresql = bool(helper.env["DATABASE_URL"])
    # SQLite's busy timeout made 1 s (60 s in production): a 4 s write lock outlasts it, as a
    # long import outlasts the real one.
    short_timeout = [] if postgresql else ["--db-timeout", "1"]
    worker = start_worker(helper.env, log, *short_timeout, *FAST)
    try:
        queued = helper("enqueue")
        run, job = str(queued["run"]), queued["job"]
        first = helper("wait", run, job, "--job-status", "SUCCESSFUL", "--timeout", "120")
        assert not first["timed_out"], log.read_text()[-3000:]

        if postgresql:
            assert helper("drop-connections")["dropped"] >= 1
        else:
            helper("hold-lock", "4", str(log))
        assert worker.poll() is None, log.read_text()[-3000:]

        queued = helper("enqueue")
        run, job = str(queued["run"]), queued["job"]
        done = helper("wait", run, job, "--job-status", "SUCCESSFUL", "--timeout", "120")
        assert not done["timed_out"], log.read_text()[-3000:]
        assert done["job_workers"] == first["job_workers"]  # the same worker, still alive
        assert done["run_status"] == "solved"
        assert "database error" in log.read_text()  # it did meet one, and went on
    finally:
        assert stop(worker) == 0, log.read_text()[-3000:]
