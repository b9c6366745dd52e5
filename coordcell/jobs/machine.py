"""Which machine and process a worker is, so that a worker on the same machine can tell at once
whether another one has died, without waiting for its heartbeat to go stale.

Linux only (``/proc``); elsewhere ``machine_id()`` is empty and the heartbeat alone decides.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path


def machine_id() -> str:
    """This boot of this machine and this process-id namespace: where a pid names one process.

    Two containers on one host share the boot but not the pid namespace, so they never take each
    other's pids for their own.
    """
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        pid_namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        return ""
    return f"{socket.gethostname()}|{boot}|{pid_namespace}"[:200]


def process_started(pid: int) -> str:
    """The kernel's start time of a running process (clock ticks since boot); '' if none runs."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (command) ": state is field 3
    if fields[0] in {"Z", "X"}:
        return ""  # a zombie has stopped: only its exit status is left for its parent
    return fields[19]  # field 22: starttime


def process_alive(pid: int, started: str) -> bool:
    """Whether the process that started at ``started`` still runs (not a new one with its pid)."""
    return bool(started) and process_started(pid) == started
