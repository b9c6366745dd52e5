"""Resilience benchmark: ``python benchmarks/bench_resilience.py [--sizes medium,large]``.

For each demo scenario size and hub profile (``--hubs``: ``main``, the demo's default, hubs as
in 2025 with one main hub; ``even``, every hub near full, the instance the allocation
benchmarks' targets were set on), each measurement in its own subprocess:
  * the plain plan and the resilient one (``hub_share_cap``, default 0.15): objective, time to
    solve, priority-1 units on time, the worst single-hub loss (priority-1 units on time through
    the hub carrying most; what its loss cuts before re-planning) and the worst case after
    re-planning (the N-1 table's least priority-1 units on time);
  * the N-1 table of the plain plan (every hub closed over the whole horizon, re-optimised):
    its time, CPU time and the worst hub.
The N-1 tables run on the sizes in ``--n1-sizes`` (default: medium and large), with the time
and CPU of one full solve beside them and their ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from coordcell.allocation.solver import Instance, SolveCache, solve  # noqa: E402
from coordcell.allocation.solver.resilience import (  # noqa: E402
    exposure,
    n_minus_one,
    plan_resilient,
)

HUB_LABELS = {"main": "hubs as in 2025", "even": "even hubs"}


def _instance(size: str, hubs: str) -> Instance:
    from demo_instances import demo_instance

    return demo_instance(size, hubs)


def _cpu() -> float:
    """CPU seconds of this process, its ended children and the solver's worker processes
    (children of the fork server, alive: read from /proc)."""
    from coordcell.allocation.solver import optimise

    a = resource.getrusage(resource.RUSAGE_SELF)
    b = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime
    pool = optimise._POOL
    for pid in list(getattr(pool, "_processes", None) or {}):
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            pass
    return total


def run_one(size: str, cap: float, n1: bool, hubs: str) -> dict[str, Any]:
    inst = _instance(size, hubs)
    cache = SolveCache(warm_start=True)
    c = _cpu()
    t = time.perf_counter()
    plain = solve(inst, cache)
    t_plain = time.perf_counter() - t
    cpu_plain = _cpu() - c
    t = time.perf_counter()
    res = plan_resilient(inst, cap, plain=plain)
    t_res = time.perf_counter() - t
    out: dict[str, Any] = {
        "plain": plain.objective,
        "plain_s": t_plain,
        "plain_cpu": cpu_plain,
        "hubs": len(inst.hubs),
        "plain_gap": plain.gap,
        "bound_kind": plain.stats.bound_kind,
        "res": res.plan.objective,
        "res_s": t_res,
        "res_gap": res.plan.gap,
        "kept_plain": res.kept_plain,
        "p1_demand": exposure(inst, plain).p1_demand,
        "p1_plain": exposure(inst, plain).p1_on_time,
        "p1_res": exposure(inst, res.plan).p1_on_time,
        "worst_plain": res.worst_plain,
        "worst_res": res.worst,
    }
    if n1:
        c = _cpu()
        t = time.perf_counter()
        table = n_minus_one(inst, plain, cache=cache)
        out["n1_s"] = time.perf_counter() - t
        out["n1_cpu"] = _cpu() - c
        out["n1_parts"] = table.parts_resolved
        worst = table.losses[0]
        out["n1_worst_hub"] = worst.hub_id
        out["n1_worst_p1_plain"] = table.worst_p1_on_time
        res_table = n_minus_one(inst, res.plan)
        out["n1_worst_p1_res"] = res_table.worst_p1_on_time
        out["n1_worst_value_plain"] = min(x.objective for x in table.losses)
        out["n1_worst_value_res"] = min(x.objective for x in res_table.losses)
    out["load"] = os.getloadavg()[0]
    return out


def _child(args: list[str], timeout: float) -> dict[str, Any]:
    cmd = [sys.executable, os.path.abspath(__file__), "--one", *args]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=True)
    except subprocess.TimeoutExpired:
        return {"error": f"timeout after {timeout:.0f} s"}
    except subprocess.CalledProcessError as e:
        return {"error": e.stderr.strip().splitlines()[-1] if e.stderr else "failed"}
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default=os.environ.get("BENCH_SIZES") or "medium,large")
    ap.add_argument("--n1-sizes", default="medium,large")
    ap.add_argument("--hubs", default="main,even", help="hub profiles: main, even")
    # near an even split of the demo's 8 hubs: a cap that binds (0.3 and above hardly do)
    ap.add_argument("--cap", type=float, default=0.15)
    ap.add_argument("--one", nargs="+", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.one:
        print(json.dumps(run_one(a.one[0], float(a.one[1]), a.one[2] == "1", a.one[3])))
        return
    sizes = [s for s in a.sizes.split(",") if s in ("small", "medium", "large")]
    print(
        f"machine: {os.cpu_count()} cores, load average at start {os.getloadavg()[0]:.1f}; "
        f"resilient = no hub passes more than {a.cap:.0%} of its domain's units in any week"
    )
    head = (
        "| scenario | plan | objective | solve s | gap (bound) | P1 on time | worst single-hub "
        "loss (P1 units) | worst P1 on time after N-1 re-plan | worst value after N-1 |"
    )
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    n1_lines = []
    runs = [(size, hubs) for size in sizes for hubs in a.hubs.split(",") if hubs in HUB_LABELS]
    for size_only, hubs in runs:
        r = _child(
            [size_only, str(a.cap), "1" if size_only in a.n1_sizes.split(",") else "0", hubs], 7200
        )
        size = f"{size_only}, {HUB_LABELS[hubs]}"
        if "error" in r:
            print(f"| {size} | error: {r['error']} |")
            continue
        for name, obj, sec, gap, p1, worst, n1p, n1v in (
            (
                "plain",
                r["plain"],
                r["plain_s"],
                f"{r['plain_gap']:.4%} ({r['bound_kind']})",
                r["p1_plain"],
                r["worst_plain"],
                r.get("n1_worst_p1_plain"),
                r.get("n1_worst_value_plain"),
            ),
            (
                "resilient" + (" (kept plain)" if r["kept_plain"] else ""),
                r["res"],
                r["res_s"],
                "-" if r["res_gap"] is None else f"{r['res_gap']:.4%}",
                r["p1_res"],
                r["worst_res"],
                r.get("n1_worst_p1_res"),
                r.get("n1_worst_value_res"),
            ),
        ):
            print(
                f"| {size} | {name} | {obj:,.0f} | {sec:.1f} | {gap} "
                f"| {p1:,} of {r['p1_demand']:,} | {worst:,} "
                f"| {'-' if n1p is None else f'{n1p:,}'} "
                f"| {'-' if n1v is None else f'{n1v:,.0f}'} |",
                flush=True,
            )
        print(
            f"| {size} | price | {r['plain'] - r['res']:,.0f} "
            f"({(r['plain'] - r['res']) / max(1.0, r['plain']):.2%}) | | | | "
            f"{r['worst_plain'] - r['worst_res']:+,} gained | | |"
        )
        if "n1_s" in r:
            n1_lines.append(
                f"N-1 table {size}: every hub ({r['hubs']}) closed over the horizon, "
                f"re-optimised: {r['n1_s']:.1f} s wall, {r['n1_cpu']:.1f} CPU s "
                f"(this process and the solver's workers), {r['n1_parts']} parts re-solved; "
                f"one full solve {r['plain_s']:.1f} s wall, {r['plain_cpu']:.1f} CPU s; "
                f"ratio N-1 / full solve {r['n1_s'] / max(r['plain_s'], 1e-9):.1f}x wall, "
                f"{r['n1_cpu'] / max(r['plain_cpu'], 1e-9):.1f}x CPU; a closure "
                f"{r['n1_s'] / max(r['hubs'], 1):.1f} s wall, "
                f"{r['n1_cpu'] / max(r['hubs'], 1):.1f} CPU s; worst hub {r['n1_worst_hub']} "
                f"(load average {r['load']:.1f})"
            )
    for line in n1_lines:
        print(line)


if __name__ == "__main__":
    main()
