"""The thread that keeps a worker's heartbeat while the worker's main thread runs jobs."""

from __future__ import annotations

import logging
import threading
import time

from django.db import close_old_connections, connection

from .kinds import run_periodic
from .services import jobs_recover, worker_beat, worker_register

logger = logging.getLogger(__name__)


class Heartbeat(threading.Thread):
    """Beats every ``beat_seconds`` and sweeps every ``sweep_seconds``, on its own connection.

    A thread, not the job loop: a job may run for minutes and the beat must go on meanwhile (a
    solver call holding the interpreter delayed it by 0.3 s at most on the small demo scenario;
    the default stale limit is 60 s). Database errors (a restart of PostgreSQL, a long SQLite
    write) are logged and the beat is tried again next time.
    """

    def __init__(
        self, *, worker_id: str, beat_seconds: float, stale_after: float, sweep_seconds: float
    ) -> None:
        super().__init__(name=f"heartbeat-{worker_id}", daemon=True)
        self.worker_id = worker_id
        self.beat_seconds = beat_seconds
        self.stale_after = stale_after
        self.sweep_seconds = sweep_seconds
        self._stopping = threading.Event()

    def run(self) -> None:
        next_sweep = time.monotonic() + self.sweep_seconds
        try:
            while not self._stopping.wait(self.beat_seconds):
                close_old_connections()
                try:
                    if not worker_beat(worker_id=self.worker_id):
                        logger.error(
                            "worker %s: another worker took this one for dead (no heartbeat for "
                            "%s s) and failed its running job; registering again",
                            self.worker_id,
                            self.stale_after,
                        )
                        worker_register(worker_id=self.worker_id, beat_seconds=self.beat_seconds)
                    if time.monotonic() >= next_sweep:
                        next_sweep = time.monotonic() + self.sweep_seconds
                        jobs_recover(stale_after=self.stale_after)
                        run_periodic()
                except Exception:
                    logger.exception("worker %s: heartbeat failed; trying again", self.worker_id)
        finally:
            connection.close()

    def stop(self) -> None:
        self._stopping.set()
        self.join(timeout=30)
