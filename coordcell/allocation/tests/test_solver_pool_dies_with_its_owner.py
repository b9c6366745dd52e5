"""A process killed with SIGKILL while it solves leaves no solver process behind.

The solver's worker processes are children of a fork server, not of the process that solves, so
nothing the kernel does for a dead parent reaches them; they used to run on for good after a
``coordcell worker`` was killed (~46-100 MB each). Pure: no database, no Django.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)"),
]

# Solves once (the pool starts), then says so and solves a larger instance until it is killed.
SOLVER = """
import dataclasses
from coordcell.allocation.solver import solve
from coordcell.allocation.solver.generator import generate_instance
from coordcell.allocation.solver.model import Parameters

if __name__ == "__main__":
    for n, seed in ((1000, 6), (4000, 7)):
        instance = generate_instance(n, seed=seed)
        instance = dataclasses.replace(instance, parameters=Parameters(threads=3))
        print("solving", n, flush=True)
        solve(instance)
    print("done", flush=True)
"""


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()
        tree.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    return tree


def _descendants(pid: int) -> set[int]:
    tree, found, todo = _children(), set(), [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _running(pid: int) -> bool:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return text[text.rindex(")") + 2] not in "ZX"  # a zombie has stopped


def test_killing_a_solving_process_stops_its_solver_processes() -> None:
    solver = subprocess.Popen(
        [sys.executable, "-c", SOLVER],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[3],
    )
    try:
        assert solver.stdout is not None
        assert solver.stdout.readline().startswith("solving 1000")
        assert solver.stdout.readline().startswith("solving 4000"), "the first solve failed"
        time.sleep(1.0)  # the pool's workers are solving parts of the second instance
        helpers = _descendants(solver.pid)
        assert len(helpers) >= 3, "expected a fork server and two solver processes"
    finally:
        os.kill(solver.pid, signal.SIGKILL)
        solver.wait(timeout=30)
    deadline = time.monotonic() + 10
    while (left := {pid for pid in helpers if _running(pid)}) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in left:  # never leave them to the next test
        os.kill(pid, signal.SIGKILL)
    assert not left, f"solver processes {sorted(left)} outlived their killed owner"
