"""The job loop of ``coordcell worker``: django-tasks-db's own, kept alive through database errors.

django-tasks-db's loop dies on the first database error it does not expect: SQLite "database is
locked" while it waits (past the 60 s busy timeout) to claim a job behind a long import, or a
PostgreSQL connection dropped by a restart or a fail-over. A worker that dies strands every job
queued after it until someone restarts it. Here such an error is logged and the loop starts again
after a pause (1 s, doubling up to 30 s), on a new connection.

An error while recording a job's outcome would leave that job RUNNING under a worker that is
alive, which the recovery sweep never touches: the job is then marked failed as soon as the
database answers again, with its object (allocation run, training schedule) failed too if its
own code had not recorded an outcome either.
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable
from typing import Any

from django.db import InterfaceError, OperationalError, connections
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from .services import UNRECORDED_MESSAGE, job_fail

logger = logging.getLogger(__name__)

# What a lost connection or a busy database raises; anything else is a bug to surface.
TRANSIENT = (OperationalError, InterfaceError)
FIRST_PAUSE, LONGEST_PAUSE = 1.0, 30.0
DUPLICATE_SECONDS = 2.0


def until_it_works[T](what: str, action: Callable[[], T], *, keep_going: Callable[[], bool]) -> T:
    """``action()``, tried again after each transient database error while ``keep_going()``."""
    pause = FIRST_PAUSE
    while True:
        try:
            return action()
        except TRANSIENT as exc:
            if not keep_going():
                raise
            logger.warning("%s: database error (%s); trying again in %g s", what, exc, pause)
            connections.close_all()  # a broken connection is opened anew
            time.sleep(pause)
            pause = min(2 * pause, LONGEST_PAUSE)


class ResilientWorker(Worker):
    """django-tasks-db's worker, which a database error no longer stops."""

    _stopped_at: float | None = None

    def shutdown(self, signum: int, frame: Any) -> None:
        # A SIGTERM again within a moment is the same stop delivered twice (systemd signals
        # every process of a unit, and `coordcell serve` passes the signal on as well): it must
        # not turn "finish the job, then stop" into "stop now". A second Ctrl-C still does.
        now = time.monotonic()
        stopped_at = self._stopped_at
        if signum == signal.SIGTERM and stopped_at and now - stopped_at < DUPLICATE_SECONDS:
            return
        if self.running:
            self._stopped_at = now
        super().shutdown(signum, frame)

    def run(self) -> None:
        until_it_works(f"worker {self.worker_id}", super().run, keep_going=lambda: self.running)

    def run_task(self, db_task_result: DBTaskResult) -> None:
        try:
            super().run_task(db_task_result)
        except TRANSIENT as exc:
            # The job ran (or failed) but its outcome could not be written: write "failed"
            # instead, however long the database takes to come back.
            logger.warning("job %s: its outcome was not recorded (%s)", db_task_result.pk, exc)
            until_it_works(
                f"job {db_task_result.pk}",
                lambda: job_fail(
                    job_id=str(db_task_result.pk),
                    worker_id=self.worker_id,
                    message=UNRECORDED_MESSAGE,
                ),
                keep_going=lambda: True,
            )


def worker_run(**options: Any) -> None:
    """Run the loop with django-tasks-db's options (as its ``db_worker`` command would)."""
    worker = ResilientWorker(**options)
    worker.configure_signals()
    worker.run()
