"""Solver instances of the demo scenarios (small, medium, large), as the app builds them.

Each size is loaded once into its own SQLite database under ``var/bench/<size>/`` with
``coordcell demo-data`` and exported with ``coordcell allocate --export-instance``: the instance
the allocation page would solve. Later calls reuse the exported JSON.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coordcell.allocation.solver import Instance, instance_from_json  # noqa: E402

START = "2027-01-04"  # a fixed Monday, so every run of the benchmark solves the same instance
SEED = 1


def demo_instance_path(size: str, hubs: str = "even") -> Path:
    """``hubs``: the demo's hub profile (``demo-data --hubs``): ``even``, the hub capacities the
    allocation benchmarks' targets were set on (every hub near full), or ``main``, the demo's
    default (as in 2025: one main hub, the other nodes taking the overflow)."""
    folder = ROOT / "var" / "bench" / (size if hubs == "even" else f"{size}-{hubs}")
    path = folder / f"instance-seed{SEED}-{START}-bare.json"
    if path.exists():
        return path
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "coordcell.sqlite3").unlink(missing_ok=True)
    env = {**os.environ, "COORDCELL_DATA_DIR": str(folder), "DATABASE_URL": ""}
    cli = [sys.executable, "-m", "coordcell.cli"]
    for args in (
        ["migrate", "-v", "0"],
        # --bare: the scenario alone (without it, demo-data commits a plan first)
        [
            "demo-data",
            "--size",
            size,
            "--seed",
            str(SEED),
            "--start",
            START,
            "--no-audit",
            "--bare",
            "--hubs",
            hubs,
        ],
        ["allocate", "--start", START, "--export-instance", str(path)],
    ):
        subprocess.run([*cli, *args], env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return path


def demo_instance(size: str, hubs: str = "even") -> Instance:
    return instance_from_json(demo_instance_path(size, hubs).read_text())


if __name__ == "__main__":
    for name in sys.argv[1:] or ["small"]:
        inst = demo_instance(name)
        print(
            f"{name}: {len(inst.supplies):,} pledges × {len(inst.demands):,} requirements, "
            f"{len(inst.hubs)} hubs, horizon {inst.horizon}"
        )
