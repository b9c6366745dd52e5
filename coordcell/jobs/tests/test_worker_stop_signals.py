"""SIGTERM delivered twice at once (systemd signals every process of a unit, and `coordcell
serve` passes it on too) is one request to stop after the job; a later one, or a second Ctrl-C,
stops at once."""

from __future__ import annotations

import signal

import pytest

from coordcell.jobs import worker as worker_module
from coordcell.jobs.worker import ResilientWorker


def _busy_worker() -> ResilientWorker:
    worker = ResilientWorker(
        queue_names=["default"],
        excluded_queue_names=[],
        interval=1,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="w-test",
    )
    worker.running_task = True  # in the middle of a job
    return worker


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    now = [100.0]
    monkeypatch.setattr(worker_module.time, "monotonic", lambda: now[0])
    monkeypatch.setattr(worker_module.Worker, "reset_signals", lambda self: None)
    return now


def test_a_sigterm_repeated_at_once_lets_the_job_finish(clock: list[float]) -> None:
    worker = _busy_worker()
    worker.shutdown(signal.SIGTERM, None)
    clock[0] += 0.01
    worker.shutdown(signal.SIGTERM, None)  # the same stop, delivered twice: no exit
    assert worker.running is False


def test_a_later_sigterm_stops_the_job(clock: list[float]) -> None:
    worker = _busy_worker()
    worker.shutdown(signal.SIGTERM, None)
    clock[0] += 5
    with pytest.raises(SystemExit):
        worker.shutdown(signal.SIGTERM, None)


def test_a_second_ctrl_c_stops_the_job_at_once(clock: list[float]) -> None:
    worker = _busy_worker()
    worker.shutdown(signal.SIGINT, None)
    with pytest.raises(SystemExit):
        worker.shutdown(signal.SIGINT, None)
