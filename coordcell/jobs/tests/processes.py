"""Real worker processes for the tests, and the ``worker_helper`` session that sets up their
database and answers questions about it (one Django start-up per module)."""

from __future__ import annotations

import json
import shlex
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
HELPER = "coordcell.jobs.tests.worker_helper"
FAST = ["--heartbeat", "1", "--stale-after", "3"]  # a stopped worker is found within seconds


class Helper:
    """``worker_helper session``: one process answers every question of a module's tests."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.process = subprocess.Popen(
            [sys.executable, "-m", HELPER, "session"],
            env=env,
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def __call__(self, *args: str) -> dict[str, Any]:
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write(shlex.join(args) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        assert line, f"worker_helper stopped (exit {self.process.poll()}); see its stderr above"
        return json.loads(line)

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait(timeout=60)


def start_worker(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen[str]:
    """``coordcell worker ARGS`` through ``worker_helper worker`` (see its options)."""
    with open(log, "w") as output:  # the child keeps its own descriptor
        return subprocess.Popen(
            [sys.executable, "-m", HELPER, "worker", *args],
            env=env,
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
        )


def stop(process: subprocess.Popen[str]) -> int:
    process.send_signal(signal.SIGTERM)  # finishes its job, deletes its heartbeat, exits
    return process.wait(timeout=60)
