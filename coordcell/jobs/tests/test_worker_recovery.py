"""The sweep fails the jobs of a worker that stopped, with their runs, and never a live one's."""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import os
import pkgutil
import subprocess

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.tasks import Task, TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

import coordcell
from coordcell.allocation.models import AllocationRun
from coordcell.allocation.services import run_create
from coordcell.allocation.tasks import execute_allocation_run
from coordcell.audit.models import AuditEvent
from coordcell.jobs import kinds, machine
from coordcell.jobs.models import WorkerHeartbeat
from coordcell.jobs.services import LOST_MESSAGE, WORKER_LOST, jobs_recover, worker_register
from coordcell.registry.models import Role
from coordcell.training import scheduling
from coordcell.training.models import ScheduleRun
from coordcell.training.tasks import execute_schedule_run

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _database_queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def _heartbeat(worker_id: str, *, seconds_ago: float = 0, **fields) -> WorkerHeartbeat:
    now = timezone.now()
    values = {
        "hostname": "elsewhere",
        "machine": "elsewhere|boot|pid:[1]",
        "pid": 4242,
        "process_started": "1",
        "beat_seconds": 10.0,
        "started_at": now - dt.timedelta(hours=1),
        "last_seen_at": now - dt.timedelta(seconds=seconds_ago),
        **fields,
    }
    return WorkerHeartbeat.objects.create(worker_id=worker_id, **values)


def _running_allocation(world, worker_id: str) -> tuple[AllocationRun, DBTaskResult]:
    run = run_create(actor=world.users[Role.COORDINATOR], enqueue=False)
    job = DBTaskResult.objects.get(id=execute_allocation_run.enqueue(run.pk).id)
    job.claim(worker_id)
    AllocationRun.objects.filter(pk=run.pk).update(status=AllocationRun.Status.RUNNING)
    return run, job


def _dead_pid() -> tuple[int, str]:
    process = subprocess.Popen(["sleep", "60"])  # noqa: S607
    started = machine.process_started(process.pid)
    process.kill()
    process.wait()
    return process.pid, started


def test_a_killed_workers_job_and_its_run_are_marked_failed_with_the_message(world):
    pid, started = _dead_pid()
    _heartbeat("w-killed", machine=machine.machine_id(), pid=pid, process_started=started)
    run, job = _running_allocation(world, "w-killed")

    lost_jobs = jobs_recover(stale_after=60)

    assert [(j.job_id, j.worker_id, j.object_failed) for j in lost_jobs] == [
        (str(job.pk), "w-killed", True)
    ]
    job.refresh_from_db()
    assert job.status == TaskResultStatus.FAILED
    assert job.exception_class_path == WORKER_LOST
    assert LOST_MESSAGE in job.traceback
    assert job.worker_ids == ["w-killed"]  # not handed to another worker
    run.refresh_from_db()
    assert (run.status, run.error) == (AllocationRun.Status.FAILED, LOST_MESSAGE)
    assert AuditEvent.objects.filter(verb="allocation-run-failed").count() == 1
    assert not WorkerHeartbeat.objects.filter(worker_id="w-killed").exists()


def test_the_failed_job_reads_as_failed_through_djangos_task_result(world):
    _heartbeat("w-gone", seconds_ago=3600)
    _, job = _running_allocation(world, "w-gone")
    jobs_recover(stale_after=60)
    result = execute_allocation_run.get_result(str(job.pk))
    assert result.status == TaskResultStatus.FAILED
    assert result.errors[0].exception_class_path == WORKER_LOST


def test_a_second_sweep_changes_nothing(world):
    _heartbeat("w-gone", seconds_ago=3600)
    _running_allocation(world, "w-gone")
    assert len(jobs_recover(stale_after=60)) == 1
    assert jobs_recover(stale_after=60) == []
    assert AuditEvent.objects.filter(verb="allocation-run-failed").count() == 1


def test_a_live_worker_on_this_machine_is_never_swept_even_with_a_stale_heartbeat(world):
    pid = os.getpid()
    _heartbeat(
        "w-me",
        seconds_ago=3600,
        machine=machine.machine_id(),
        pid=pid,
        process_started=machine.process_started(pid),
    )
    run, job = _running_allocation(world, "w-me")
    assert jobs_recover(stale_after=60) == []
    job.refresh_from_db()
    run.refresh_from_db()
    assert (job.status, run.status) == (TaskResultStatus.RUNNING, AllocationRun.Status.RUNNING)


def test_a_new_process_with_a_dead_workers_pid_does_not_keep_its_job_running(world):
    pid = os.getpid()  # alive, but not the process that registered (another start time)
    _heartbeat("w-old", machine=machine.machine_id(), pid=pid, process_started="12345")
    _, job = _running_allocation(world, "w-old")
    assert len(jobs_recover(stale_after=60)) == 1


def test_a_worker_on_another_machine_is_swept_only_once_its_heartbeat_is_stale(world):
    _heartbeat("w-remote", seconds_ago=30)
    _, job = _running_allocation(world, "w-remote")
    assert jobs_recover(stale_after=60) == []
    WorkerHeartbeat.objects.update(last_seen_at=timezone.now() - dt.timedelta(seconds=61))
    assert [j.job_id for j in jobs_recover(stale_after=60)] == [str(job.pk)]


def test_a_slow_beater_is_given_three_of_its_own_beats(world):
    _heartbeat("w-slow", seconds_ago=120, beat_seconds=60)
    _running_allocation(world, "w-slow")
    assert jobs_recover(stale_after=60) == []


def test_a_run_that_had_finished_keeps_its_result(world):
    _heartbeat("w-gone", seconds_ago=3600)
    run, job = _running_allocation(world, "w-gone")
    AllocationRun.objects.filter(pk=run.pk).update(status=AllocationRun.Status.SOLVED)
    [lost_job] = jobs_recover(stale_after=60)
    assert not lost_job.object_failed
    run.refresh_from_db()
    assert run.status == AllocationRun.Status.SOLVED and run.error == ""


def test_a_job_of_an_unregistered_worker_is_failed_after_the_stale_limit_only(world):
    _, job = _running_allocation(world, "plain-db-worker")
    assert jobs_recover(stale_after=60) == []
    DBTaskResult.objects.filter(pk=job.pk).update(
        started_at=timezone.now() - dt.timedelta(seconds=61)
    )
    assert [j.worker_id for j in jobs_recover(stale_after=60)] == ["plain-db-worker"]


def test_a_stopped_idle_worker_is_forgotten(world):
    _heartbeat("w-idle", seconds_ago=3600)
    _heartbeat("w-live")
    assert jobs_recover(stale_after=60) == []
    assert list(WorkerHeartbeat.objects.values_list("worker_id", flat=True)) == ["w-live"]


def test_a_training_schedule_run_is_marked_failed_too(world):
    _heartbeat("w-gone", seconds_ago=3600)
    run = scheduling.run_create(actor=world.users[Role.COORDINATOR], enqueue=False)
    ScheduleRun.objects.filter(pk=run.pk).update(status=ScheduleRun.Status.RUNNING)
    DBTaskResult.objects.get(id=execute_schedule_run.enqueue(run.pk).id).claim("w-gone")
    [lost_job] = jobs_recover(stale_after=60)
    assert lost_job.object_failed
    run.refresh_from_db()
    assert (run.status, run.error) == (ScheduleRun.Status.FAILED, LOST_MESSAGE)
    assert AuditEvent.objects.filter(verb="training-run-failed").count() == 1


def _tasks() -> list[Task]:
    found = []
    for module in pkgutil.walk_packages(coordcell.__path__, "coordcell."):
        if module.name.endswith(".tasks"):
            imported = importlib.import_module(module.name)
            found += [value for value in vars(imported).values() if isinstance(value, Task)]
    return found


def test_every_task_has_a_recovery_that_takes_its_arguments():
    tasks = _tasks()
    assert len(tasks) >= 2
    for task in tasks:
        assert task.module_path in kinds.KINDS, f"{task.module_path}: register it (jobs/kinds.py)"
        parameters = inspect.signature(kinds.KINDS[task.module_path].on_lost).parameters
        assert set(parameters) == {*inspect.signature(task.func).parameters, "message"}
        assert all(p.kind is p.KEYWORD_ONLY for p in parameters.values())


# Committing: the worker loop closes a connection left outside autocommit, as a test's is.
@pytest.mark.django_db(transaction=True)
def test_a_worker_leaves_no_heartbeat_behind_when_it_stops():
    worker_register(worker_id="w-live", beat_seconds=10)
    call_command("worker", "--batch", verbosity=0)
    assert list(WorkerHeartbeat.objects.values_list("worker_id", flat=True)) == ["w-live"]


def test_the_worker_refuses_a_queue_that_is_not_the_database(settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    with pytest.raises(CommandError, match="not the database"):
        call_command("worker", "--batch")


def test_the_worker_refuses_a_stale_limit_shorter_than_three_beats():
    with pytest.raises(CommandError, match="three heartbeats"):
        call_command("worker", "--batch", "--heartbeat", "10", "--stale-after", "20")


def test_a_job_stopped_by_system_exit_leaves_its_run_failed_not_running(
    world, settings, monkeypatch
):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}

    def stopped(run_id: int) -> None:
        AllocationRun.objects.filter(pk=run_id).update(status=AllocationRun.Status.RUNNING)
        raise SystemExit(1)  # what a worker's second Ctrl-C raises in the middle of a job

    monkeypatch.setattr("coordcell.allocation.services.run_execute", stopped)
    run = run_create(actor=world.users[Role.COORDINATOR], enqueue=False)
    result = execute_allocation_run.enqueue(run.pk)
    assert result.status == TaskResultStatus.FAILED
    run.refresh_from_db()
    assert run.status == AllocationRun.Status.FAILED
    assert run.error == "The job ended with SystemExit before it recorded an outcome; re-run it."


def test_a_run_that_failed_by_itself_keeps_its_own_message(world, settings, monkeypatch):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    monkeypatch.setattr(
        "coordcell.allocation.services.solver.solve",
        lambda *args, **kwargs: (_ for _ in ()).throw(RuntimeError("no solver today")),
    )
    run = run_create(actor=world.users[Role.COORDINATOR], enqueue=False)
    execute_allocation_run.enqueue(run.pk)
    run.refresh_from_db()
    assert (run.status, run.error) == (AllocationRun.Status.FAILED, "RuntimeError: no solver today")
