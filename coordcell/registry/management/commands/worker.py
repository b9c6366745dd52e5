import argparse
import os
from typing import Any

from django.conf import settings
from django.core.management.base import (
    BaseCommand,
    CommandError,
    CommandParser,
    DjangoHelpFormatter,
)
from django.db import DatabaseError
from django.tasks import DEFAULT_TASK_BACKEND_ALIAS, DEFAULT_TASK_QUEUE_NAME, task_backends
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from coordcell.jobs.heartbeat import Heartbeat
from coordcell.jobs.services import (
    LOST_MESSAGE,
    jobs_recover,
    new_worker_id,
    worker_register,
    worker_unregister,
)
from coordcell.jobs.worker import until_it_works, worker_run

HELP = f"""Run background jobs (allocation runs, training schedules, refreshes of dashboard figures)
from the database queue.

At each sweep (below) a worker also queues the periodic work of the apps: notification mails
whose retry is due, and once a day the digest and the look for shipments gone late
(docs/notifications.md).

Run as many workers as you like, on one machine or several sharing one PostgreSQL: each job is
claimed by exactly one of them. Stop a worker with Ctrl-C or SIGTERM: it finishes its job first.

A worker that is killed (kill -9, out of memory, machine lost) cannot record the end of its job.
Every worker therefore writes a heartbeat to the database every --heartbeat seconds, and at
start-up and every --stale-after/2 seconds it looks for jobs still running under a worker that
has stopped: on the same machine, a worker whose process is gone (known at once); from another
machine, a worker with no heartbeat for --stale-after seconds. Such a job is marked failed, and
so is its allocation run or training schedule, with the message:
  "{LOST_MESSAGE}"
It is never run a second time behind the coordinator's back: a killed run saved nothing (its
result is saved in one transaction at its end), and the coordinator runs it again with one
click. A worker that is alive is never swept, however long its job.

The worker and the solvers it starts run at a lower CPU priority (--nice, default 10, from
COORDCELL_WORKER_NICE): on a machine that also serves pages, an allocation run or a refresh of
dashboard figures takes the CPU the web requests leave, instead of slowing them down.

A database error (SQLite busy past its timeout behind a long import, a PostgreSQL connection lost
in a restart or fail-over) does not stop the worker: it waits (1 s, doubling up to 30 s) and goes
on, on a new connection. A job whose outcome it could not record is marked failed as soon as the
database answers, never left running.

Defaults come from COORDCELL_WORKER_HEARTBEAT (10 s) and COORDCELL_WORKER_STALE_AFTER (60 s).
With a dedicated queue (COORDCELL_TASKS_BACKEND) run that backend's own worker instead.
"""


class _Formatter(DjangoHelpFormatter, argparse.RawDescriptionHelpFormatter):
    pass


class Command(BaseCommand):
    help = HELP

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        return super().create_parser(prog_name, subcommand, formatter_class=_Formatter, **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--nice",
            type=int,
            choices=range(20),
            metavar="0-19",
            default=settings.COORDCELL_WORKER_NICE,
            help="CPU priority, as nice(1): higher yields to the web processes "
            "(default: %(default)s)",
        )
        parser.add_argument(
            "--interval", type=float, default=1.0, help="seconds between polls of an empty queue"
        )
        parser.add_argument(
            "--max-tasks",
            type=int,
            default=None,
            help="stop after this many jobs (default: run until stopped)",
        )
        parser.add_argument(
            "--batch", action="store_true", help="work off the jobs waiting now, then stop"
        )
        parser.add_argument(
            "--heartbeat",
            type=float,
            default=settings.COORDCELL_WORKER_HEARTBEAT,
            metavar="SECONDS",
            help="seconds between this worker's heartbeats (default: %(default)s)",
        )
        parser.add_argument(
            "--stale-after",
            type=float,
            default=settings.COORDCELL_WORKER_STALE_AFTER,
            metavar="SECONDS",
            help="a worker on another machine without a heartbeat for this long has stopped "
            "(default: %(default)s)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        queue = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
        if not isinstance(queue, DatabaseBackend):
            backend = type(queue)
            raise CommandError(
                f"The queue is {backend.__module__}.{backend.__qualname__} "
                "(COORDCELL_TASKS_BACKEND), not the database: run that backend's own worker."
            )
        beat, stale_after = options["heartbeat"], options["stale_after"]
        if beat <= 0 or stale_after < 3 * beat:
            raise CommandError(
                f"--stale-after ({stale_after:g} s) must be at least three heartbeats "
                f"(--heartbeat {beat:g} s): a late beat must not make a live worker look dead."
            )
        _lower_priority(options["nice"])
        worker_id = new_worker_id()
        forever = lambda: True  # noqa: E731  # until stopped by a signal
        # The database may be busy or away at start-up too (a long import, PostgreSQL
        # restarting): wait for it rather than exit.
        until_it_works(
            "worker start-up",
            lambda: worker_register(worker_id=worker_id, beat_seconds=beat),
            keep_going=forever,
        )
        try:
            lost_jobs = jobs_recover(stale_after=stale_after)
        except DatabaseError as exc:  # e.g. SQLite busy past its timeout: the next sweep retries
            self.stderr.write(f"The start-up sweep failed ({exc}); it runs again shortly.")
            lost_jobs = []
        for lost in lost_jobs:
            self.stderr.write(
                f"Job {lost.job_id} ({lost.task_path}) was running under worker {lost.worker_id},"
                " which stopped: marked failed."
            )
        heartbeat = Heartbeat(
            worker_id=worker_id,
            beat_seconds=beat,
            stale_after=stale_after,
            sweep_seconds=max(beat, stale_after / 2),
        )
        heartbeat.start()
        # Our OutputWrappers (an io.TextIOBase, which django-stubs' TextIO does not admit).
        worker = DbWorkerCommand(stdout=self.stdout, stderr=self.stderr)  # type: ignore[arg-type]
        worker.configure_logging(options["verbosity"])
        try:
            worker_run(
                queue_names=[DEFAULT_TASK_QUEUE_NAME],
                excluded_queue_names=[],
                interval=options["interval"],
                batch=options["batch"],
                backend_name=DEFAULT_TASK_BACKEND_ALIAS,
                startup_delay=False,
                max_tasks=options["max_tasks"],
                worker_id=worker_id,
            )
        finally:
            heartbeat.stop()
            try:
                worker_unregister(worker_id=worker_id)
            except DatabaseError as exc:  # the next sweep forgets it: its process is gone
                self.stderr.write(f"Could not remove this worker's heartbeat ({exc}).")


def _lower_priority(nice: int) -> None:
    """Raise this process's niceness to ``nice`` (never lower it: that needs privileges)."""
    if nice > os.getpriority(os.PRIO_PROCESS, 0):
        os.setpriority(os.PRIO_PROCESS, 0, nice)
