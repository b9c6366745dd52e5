"""Worker heartbeats, and the sweep that fails the jobs of a worker that died.

A job of the database queue is RUNNING from the moment a worker claims it until that worker
records its outcome. When the worker is killed (``kill -9``, the out-of-memory killer, a lost
machine) nobody records one, and without this sweep the job and its allocation run would show
"running" for ever. Every ``coordcell worker`` therefore keeps a heartbeat row, and at start-up
and periodically sweeps: a job RUNNING under a worker that has stopped is marked FAILED with
``LOST_MESSAGE``, and so is its object (through ``kinds.register``), in one transaction.

A job is failed, never run again: an allocation run or a training schedule saves its result in
one transaction at its end, so a job that was killed saved nothing, and the coordinator re-runs
it with one click. A job whose worker died after that transaction committed keeps its result.

A worker has stopped when, on the sweeper's own machine, its process no longer exists (known at
once), or, from another machine, its heartbeat is older than ``stale_after`` seconds (and three of
its own beats). A live worker is never swept: the decision is re-checked under the lock of its row
(PostgreSQL) or the database's write lock (SQLite), which its heartbeat also needs.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict

from django.db import transaction
from django.db.models.functions import Now
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from . import kinds, machine
from .models import WorkerHeartbeat

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

logger = logging.getLogger(__name__)

LOST_MESSAGE = "The worker stopped while running this job (killed?); re-run it."
UNRECORDED_MESSAGE = (
    "The worker lost the database while recording how this job ended; its run or schedule shows "
    "what happened (re-run it if it is marked failed)."
)


class WorkerLost(Exception):  # noqa: N818  # the name the failed job's error shows
    """The worker running a job stopped (killed, crashed, machine lost) before it finished."""


class OutcomeUnrecorded(Exception):  # noqa: N818  # idem
    """The worker could not write a job's outcome to the database."""


WORKER_LOST = f"{WorkerLost.__module__}.{WorkerLost.__qualname__}"
OUTCOME_UNRECORDED = f"{OutcomeUnrecorded.__module__}.{OutcomeUnrecorded.__qualname__}"


@dataclass(frozen=True)
class LostJob:
    job_id: str
    task_path: str
    worker_id: str
    object_failed: bool  # False when the object had finished (or its task has no recovery)


def new_worker_id() -> str:
    """Unique across machines and restarts; readable in the queue's ``worker_ids`` (<= 64)."""
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{secrets.token_hex(4)}"


def worker_register(*, worker_id: str, beat_seconds: float) -> WorkerHeartbeat:
    """Record a worker before it takes its first job."""
    pid = os.getpid()
    heartbeat = WorkerHeartbeat(
        worker_id=worker_id,
        hostname=socket.gethostname()[:255],
        machine=machine.machine_id(),
        pid=pid,
        process_started=machine.process_started(pid),
        beat_seconds=beat_seconds,
    )
    heartbeat.started_at = heartbeat.last_seen_at = Now()  # the database's clock, on every host
    heartbeat.save()
    return heartbeat


def worker_beat(*, worker_id: str) -> bool:
    """Say the worker is alive; False if its row is gone (another worker took it for dead)."""
    return WorkerHeartbeat.objects.filter(worker_id=worker_id).update(last_seen_at=Now()) == 1


def worker_unregister(*, worker_id: str) -> None:
    """A worker that stops cleanly leaves no row behind."""
    WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()


def _has_stopped(
    heartbeat: WorkerHeartbeat, *, here: str, now: dt.datetime, stale_after: float
) -> bool:
    if here and heartbeat.machine == here and heartbeat.process_started:
        # Same machine: the process table answers for sure, whatever the heartbeat says (a live
        # worker's beat may wait behind a long SQLite write; it is still alive).
        return not machine.process_alive(heartbeat.pid, heartbeat.process_started)
    limit = max(stale_after, 3 * heartbeat.beat_seconds)
    return (now - heartbeat.last_seen_at).total_seconds() > limit


class _DbNow(TypedDict):
    db_now: dt.datetime  # the database's clock, annotated on each row (Now())


def _stopped(
    heartbeats: Iterable[WithAnnotations[WorkerHeartbeat, _DbNow]], stale_after: float
) -> set[str]:
    here = machine.machine_id()
    return {
        h.worker_id
        for h in heartbeats
        if _has_stopped(h, here=here, now=h.db_now, stale_after=stale_after)
    }


def _owner(worker_ids: list[str]) -> str:
    return worker_ids[-1] if worker_ids else ""


def jobs_recover(*, stale_after: float) -> list[LostJob]:
    """Fail the RUNNING jobs whose worker has stopped, and their objects; forget those workers.

    Safe to run from every worker at once, on SQLite and PostgreSQL. A job RUNNING under a worker
    id that no worker registered (claimed by a plain ``db_worker``, or before this sweep existed)
    counts as lost once it has run for ``stale_after`` seconds.
    """
    # Jobs first, then heartbeats: a worker registers before it claims, so the owner of every
    # job read here is among the heartbeats read next, unless it was already forgotten.
    running = {
        job_id: (_owner(worker_ids), started_at, now)
        for job_id, worker_ids, started_at, now in DBTaskResult.objects.running()
        .annotate(db_now=Now())
        .values_list("id", "worker_ids", "started_at", "db_now")
    }
    heartbeats = list(WorkerHeartbeat.objects.annotate(db_now=Now()))
    known = {h.worker_id for h in heartbeats}
    stopped = _stopped(heartbeats, stale_after)
    orphans = {
        job_id
        for job_id, (owner, started_at, now) in running.items()
        if owner not in known
        and started_at is not None
        and (now - started_at).total_seconds() > stale_after
    }
    if not stopped and not orphans:
        return []  # the common case: no write, so no write lock on SQLite

    lost_jobs: list[LostJob] = []
    with transaction.atomic():
        # Again under the lock: a heartbeat that arrived since the first look keeps its worker.
        locked = (
            WorkerHeartbeat.objects.select_for_update()
            .filter(worker_id__in=stopped)
            .order_by("pk")
            .annotate(db_now=Now())
        )
        stopped = _stopped(locked, stale_after)
        registered = set(
            WorkerHeartbeat.objects.filter(
                worker_id__in={running[job_id][0] for job_id in orphans}
            ).values_list("worker_id", flat=True)
        )
        lost_ids = [
            job_id
            for job_id, (owner, *_) in running.items()
            if owner in stopped or (job_id in orphans and owner not in registered)
        ]
        for job in DBTaskResult.objects.running().filter(pk__in=lost_ids).order_by("pk"):
            lost_job = _fail_job(job, _owner(job.worker_ids), WORKER_LOST, LOST_MESSAGE)
            if lost_job is not None:
                lost_jobs.append(lost_job)
        WorkerHeartbeat.objects.filter(worker_id__in=stopped).delete()
    return lost_jobs


def job_fail(*, job_id: str, worker_id: str, message: str) -> bool:
    """Mark a job its own worker could not finish recording failed, and its object too (if
    still queued or running). False if the job was no longer RUNNING."""
    with transaction.atomic():
        job = DBTaskResult.objects.running().select_for_update().filter(pk=job_id).first()
        if job is None:
            return False
        return _fail_job(job, worker_id, OUTCOME_UNRECORDED, message) is not None


def _fail_job(job: DBTaskResult[..., Any], owner: str, error: str, message: str) -> LostJob | None:
    failed = DBTaskResult.objects.filter(pk=job.pk, status=TaskResultStatus.RUNNING).update(
        status=TaskResultStatus.FAILED,
        finished_at=Now(),
        return_value=None,
        exception_class_path=error,
        traceback=f"{error}: {message}\n(worker {owner or 'unknown'})\n",
    )
    if not failed:
        return None  # its worker recorded an outcome after all
    try:
        with transaction.atomic():  # a savepoint: a broken recovery never keeps a job RUNNING
            object_failed = kinds.mark_object_failed(
                task_path=job.task_path, args_kwargs=job.args_kwargs, message=message
            )
    except Exception:
        logger.exception("job %s (%s): could not mark its object failed", job.pk, job.task_path)
        object_failed = False
    logger.warning(
        "job %s (%s) of worker %s marked failed: %s",
        job.pk,
        job.task_path,
        owner or "unknown",
        message,
    )
    return LostJob(
        job_id=str(job.pk), task_path=job.task_path, worker_id=owner, object_failed=object_failed
    )


def jobs_forget_finished(*, task_path: str, older_than: dt.timedelta) -> int:
    """Delete the results of this task's jobs that finished more than ``older_than`` ago (for
    frequent jobs whose results nobody reads afterwards). Returns how many went."""
    deleted, _ = DBTaskResult.objects.filter(
        task_path=task_path, finished_at__lt=Now() - older_than
    ).delete()
    return deleted
