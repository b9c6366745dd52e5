"""Periodic work (kinds.register_periodic): every worker's heartbeat calls it at each sweep, and
one failing function neither stops the others nor the heartbeat."""

from __future__ import annotations

import time
from typing import Any

from coordcell.jobs import heartbeat, kinds


def test_the_heartbeat_runs_the_periodic_work_at_each_sweep(monkeypatch: Any) -> None:
    calls: list[str] = []
    monkeypatch.setattr(heartbeat, "worker_beat", lambda **kw: True)
    monkeypatch.setattr(heartbeat, "jobs_recover", lambda **kw: [])

    def broken() -> None:
        calls.append("broken")
        raise RuntimeError("a bug in one app's periodic work")

    monkeypatch.setattr(kinds, "PERIODIC", [])
    kinds.register_periodic(broken)
    kinds.register_periodic(lambda: calls.append("mail"))
    beat = heartbeat.Heartbeat(
        worker_id="test", beat_seconds=0.01, stale_after=0.03, sweep_seconds=0.01
    )
    beat.start()
    time.sleep(0.3)
    beat.stop()
    assert calls.count("mail") >= 2 and calls.count("broken") == calls.count("mail")


def test_a_function_is_registered_once(monkeypatch: Any) -> None:
    monkeypatch.setattr(kinds, "PERIODIC", [])

    def work() -> None:
        pass

    kinds.register_periodic(work)
    kinds.register_periodic(work)  # an AppConfig.ready() run twice
    assert len(kinds.PERIODIC) == 1 and kinds.PERIODIC[0] is work
