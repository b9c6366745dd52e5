"""Training scheduler benchmark: ``python benchmarks/bench_training.py [--sizes 200,2000,10000]``.

For each size (number of trainees) it generates the synthetic instance
(:func:`generate_instance`, seed 0), runs the CP-SAT scheduler with a per-size time limit and the
first-come-first-served baseline, checks both schedules with the independent validator, and
prints one table row: cohorts and sessions, booleans in the model, wall time, objective (weighted
lateness, untrained cohorts included at their penalty), best bound and gap, status, the baseline's
objective and the ratio baseline / scheduler, and late / untrained counts for both.

The time limits (default 10 s, 30 s, 60 s) keep the whole run under about three minutes on the
2-core reference machine; they are work limits (deterministic time), so on a loaded machine the
wall time grows while the schedules stay the same.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from coordcell.training.scheduler import (  # noqa: E402
    Parameters,
    check_schedule,
    fcfs_baseline,
    generate_instance,
    schedule_training,
)

SEED = 0
TIME_LIMITS = {200: 10.0, 2000: 30.0, 10_000: 60.0}

COLUMNS = (
    ("trainees", 8),
    ("cohorts", 7),
    ("sessions", 8),
    ("bools", 7),
    ("time s", 7),
    ("objective", 9),
    ("bound", 7),
    ("gap", 6),
    ("status", 9),
    ("FCFS obj", 9),
    ("FCFS/opt", 8),
    ("late", 9),
    ("untrained", 9),
    ("valid", 5),
    ("repro", 5),
)


def run(trainees: int, time_limit: float) -> list[str]:
    inst = generate_instance(trainees, seed=SEED)
    params = Parameters(time_limit_s=time_limit)
    started = time.perf_counter()
    schedule = schedule_training(inst, params)
    wall = time.perf_counter() - started
    baseline = fcfs_baseline(inst, params)
    errors = check_schedule(inst, schedule, params) + check_schedule(inst, baseline, params)
    ratio = baseline.objective / schedule.objective if schedule.objective else float("inf")
    return [
        f"{trainees:,}",
        f"{len(inst.cohorts):,}",
        f"{len(inst.sessions):,}",
        f"{schedule.stats.get('variables', 0):,}",
        f"{wall:.1f}",
        f"{schedule.objective:,}",
        f"{schedule.best_bound:,}",
        f"{schedule.gap:.1%}",
        schedule.status.value,
        f"{baseline.objective:,}",
        f"{ratio:.2f}",
        f"{len(schedule.late)}/{len(baseline.late)}",
        f"{len(schedule.unscheduled)}/{len(baseline.unscheduled)}",
        "yes" if not errors else f"NO ({len(errors)})",
        "yes" if schedule.deterministic else "no",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="200,2000,10000", help="comma-separated trainee counts")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every time limit")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    print("Training scheduler (CP-SAT) vs first-come-first-served; late and untrained: opt/FCFS")
    print("  ".join(name.rjust(width) for name, width in COLUMNS))
    total = time.perf_counter()
    for size in sizes:
        limit = TIME_LIMITS.get(size, 30.0) * args.scale
        row = run(size, limit)
        print("  ".join(cell.rjust(width) for cell, (_, width) in zip(row, COLUMNS, strict=True)))
        sys.stdout.flush()
    print(f"total {time.perf_counter() - total:.0f} s")


if __name__ == "__main__":
    main()
