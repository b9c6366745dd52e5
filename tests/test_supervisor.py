"""`coordcell serve`'s supervisor with stand-in children (no Django, a few seconds): a worker that
keeps exiting is started again with longer pauses; a stop signal reaches each child once; serve
exits with the web server's status; a killed supervisor takes its children along."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# A child that says which signals it gets, and exits after the first but SIGHUP (gunicorn
# reloads on it) or after ``life`` seconds.
CHILD = """
import os, signal, sys, time
name, life, code = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
got = []
def say(line):  # one write: lines of the two children never interleave
    os.write(1, (line + "\\n").encode())
def note(signum, frame):
    say(f"{name} got {signal.Signals(signum).name}")
    if signum != signal.SIGHUP:
        got.append(signum)
for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(s, note)
say(f"{name} pid {os.getpid()}")
end = time.monotonic() + life
while time.monotonic() < end and not got:
    time.sleep(0.05)
time.sleep(0.3)  # a second copy of the signal would arrive meanwhile
sys.exit(code)
"""

SUPERVISE = """
import sys
from coordcell.supervisor import Supervisor
child = [sys.executable, "-c", sys.argv[1]]
web = [*child, "web", sys.argv[2], sys.argv[3]]
worker = [*child, "worker", sys.argv[4], "0"]
sys.exit(Supervisor(web, worker, say=lambda text: print(text, flush=True)).run())
"""


def _supervise(web_life: float, web_code: int, worker_life: float) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", SUPERVISE, CHILD, str(web_life), str(web_code), str(worker_life)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )


def test_a_worker_that_keeps_exiting_is_started_again_after_longer_pauses() -> None:
    supervisor = _supervise(web_life=4.5, web_code=3, worker_life=0)
    output, _ = supervisor.communicate(timeout=60)
    pauses = [float(p) for p in re.findall(r"starting it again in ([\d.]+) s", output)]
    assert pauses[:2] == [1, 2], output
    assert output.count("worker pid") >= len(pauses)  # the last pause may outlast the web
    assert "The web server exited (exit status 3): stopping." in output
    assert supervisor.returncode == 3  # the web server's status, for systemd to see


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_reaches_each_child_once(signum: signal.Signals) -> None:
    supervisor = _supervise(web_life=60, web_code=0, worker_life=60)
    assert supervisor.stdout is not None
    started = [supervisor.stdout.readline() for _ in range(2)]
    assert sorted(line.split()[0] for line in started) == ["web", "worker"]
    supervisor.send_signal(signum)
    output, _ = supervisor.communicate(timeout=30)
    assert output.count(f"web got {signum.name}") == 1, output
    assert output.count(f"worker got {signum.name}") == 1, output
    assert "starting it again" not in output  # a worker stopped with serve stays stopped
    assert supervisor.returncode == 0


def test_sighup_reloads_the_web_server_and_restarts_the_worker_at_once() -> None:
    supervisor = _supervise(web_life=60, web_code=0, worker_life=60)
    assert supervisor.stdout is not None
    pids = dict(supervisor.stdout.readline().split()[::2] for _ in range(2))
    supervisor.send_signal(signal.SIGHUP)
    lines = [supervisor.stdout.readline() for _ in range(3)]  # got HUP, got TERM, new pid
    supervisor.send_signal(signal.SIGTERM)
    output = "".join(lines) + supervisor.communicate(timeout=30)[0]
    assert "web got SIGHUP" in output and "worker got SIGTERM" in output, output
    new_worker = re.findall(r"worker pid (\d+)", output)
    assert new_worker and new_worker[0] != pids["worker"], output
    assert "starting it again" not in output  # a restart asked for waits for nothing


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal: Linux")
def test_a_killed_supervisor_takes_its_children_along() -> None:
    supervisor = _supervise(web_life=60, web_code=0, worker_life=60)
    assert supervisor.stdout is not None
    pids = [int(supervisor.stdout.readline().split()[2]) for _ in range(2)]
    supervisor.kill()
    supervisor.wait(timeout=10)
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in pids)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not stat.exists() or stat.read_text().rsplit(")", 1)[1].split()[0] not in "ZX"
