"""Allocation solver benchmark: ``python benchmarks/bench_allocation.py [--sizes 200,5000,50000]``.

For each size and each mode (demo = the app's demo scenario of that size; per-domain = generated,
separable by domain; shared = generated, one capacity per hub)
it runs, each in its own subprocess so that peak memory (max RSS) is per measurement:
  * the solver (group -> per-part LP -> bound -> integral rounding -> disaggregation),
  * the greedy hand method,
  * one plain, undivided HiGHS LP of the same instance (no decomposition, no grouping),
and, for the medium size, what-if re-solves (a pledge slipped: cached parts reused; a hub closed
in weeks 3-6: full re-solve).  Instances come from :func:`make_instance` only.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import subprocess
import sys
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from coordcell.allocation.solver import (  # noqa: E402
    Instance,
    Plan,
    SolveCache,
    check_plan,
    generate_instance,
    greedy,
    solve,
)

SEED = 1


DEMO_SIZES = {200: "small", 5000: "medium", 50000: "large"}
SIZE_NAMES = {name: n for n, name in DEMO_SIZES.items()}


def make_instance(size: int, mode: str) -> Instance:
    """The benchmark instance: ``demo`` = the app's demo scenario of that size (per-domain hub
    capacities, as the app builds it); ``per-domain``/``shared`` = a generated instance."""
    if mode == "demo":
        from demo_instances import demo_instance

        return demo_instance(DEMO_SIZES[size])
    return generate_instance(size, seed=SEED, shared_capacity=mode == "shared")


def _rss_mb() -> float:
    return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / 1024.0


def _p1_share(inst: Instance, plan: Plan) -> float:
    p1 = {d.id: d.quantity for d in inst.demands if d.priority == 1}
    met = sum(r.on_time for r in plan.demand_results if r.demand_id in p1)
    return met / max(1, sum(p1.values()))


def run_solver(size: int, mode: str) -> dict[str, Any]:
    inst = make_instance(size, mode)
    t = time.perf_counter()
    plan = solve(inst)
    wall = time.perf_counter() - t
    errors = check_plan(inst, plan)
    s = plan.stats
    return {
        "wall": wall,
        "build": s.build_seconds,
        "solve": s.solve_seconds,
        "rounding": s.rounding_seconds,
        "rows": s.rows,
        "cols": s.columns,
        "parts": s.parts,
        "method": s.method,
        "objective": plan.objective,
        "bound": plan.lp_bound,
        "gap": plan.gap,
        "p1": _p1_share(inst, plan),
        "violations": len(errors),
        "groups": f"{s.supply_groups}/{s.demand_groups}",
        "rss_mb": _rss_mb(),
        "cpu": s.cpu_seconds,
        "worker_mb": s.peak_worker_mb,
        "bound_kind": s.bound_kind,
    }


def run_greedy(size: int, mode: str) -> dict[str, Any]:
    inst = make_instance(size, mode)
    t = time.perf_counter()
    plan = greedy(inst)
    return {
        "wall": time.perf_counter() - t,
        "objective": plan.objective,
        "p1": _p1_share(inst, plan),
        "rss_mb": _rss_mb(),
    }


def run_plain(size: int, mode: str, limit: float) -> dict[str, Any]:
    """One undivided LP: no grouping, no split into parts, HiGHS dual simplex to optimality:
    the LP optimum the plan and its reported bound are measured against."""
    from coordcell.allocation.solver.aggregate import build_groups
    from coordcell.allocation.solver.lp import solve_lp
    from coordcell.allocation.solver.network import build_network

    inst = make_instance(size, mode)
    t = time.perf_counter()
    g = build_groups(inst, aggregate=False)
    net = build_network(inst, g, tuple(range(len(g.domains))))
    lp = solve_lp(net.matrix, net.row_lower, net.row_upper, net.cost, "simplex", time_limit=limit)
    wall = time.perf_counter() - t
    return {
        "wall": wall,
        "objective": lp.objective,
        "rows": net.n_rows,
        "cols": net.n_cols,
        "timed_out": wall >= limit,
        "rss_mb": _rss_mb(),
    }


def run_what_if(size: int, mode: str) -> dict[str, Any]:
    """What-ifs after a base plan: a pledge slipped (one part changes: the others are reused as
    solved), a hub closed in weeks 3-6 (every part changes), the latter both solved afresh and
    warm-started from the base plan's LPs."""
    inst = make_instance(size, mode)
    cache = SolveCache()
    warm_cache = SolveCache(warm_start=True)
    solve(inst, cache)  # the base plan; its parts are cached
    solve(inst, warm_cache)
    slip = max(inst.supplies, key=lambda s: (s.quantity, s.id))
    slipped = dataclasses.replace(
        inst,
        supplies=tuple(
            dataclasses.replace(s, available_period=s.available_period + 3)
            if s.id == slip.id
            else s
            for s in inst.supplies
        ),
    )
    t = time.perf_counter()
    p1 = solve(slipped, cache)
    t_slip = time.perf_counter() - t
    hub = inst.hubs[0]
    closed = dataclasses.replace(
        inst,
        hubs=(dataclasses.replace(hub, closed_periods=frozenset({3, 4, 5, 6})), *inst.hubs[1:]),
    )
    t = time.perf_counter()
    p2 = solve(closed, cache)
    t_close = time.perf_counter() - t
    t = time.perf_counter()
    p3 = solve(closed, warm_cache)
    t_warm = time.perf_counter() - t
    return {
        "slip": t_slip,
        "slip_gap": p1.gap,
        "hub": hub.id,
        "close": t_close,
        "close_gap": p2.gap,
        "close_cpu": p2.stats.cpu_seconds,
        "close_objective": p2.objective,
        "warm": t_warm,
        "warm_gap": p3.gap,
        "warm_cpu": p3.stats.cpu_seconds,
        "rss_mb": _rss_mb(),
    }


def _child(args: list[str], timeout: float) -> dict[str, Any]:
    cmd = [sys.executable, os.path.abspath(__file__), "--one", *args]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=True)
    except subprocess.TimeoutExpired:
        return {"error": f"timeout after {timeout:.0f} s"}
    except subprocess.CalledProcessError as e:
        return {"error": e.stderr.strip().splitlines()[-1] if e.stderr else "failed"}
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def _f(v: Any, fmt: str) -> str:
    return "-" if v is None else format(v, fmt)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default=os.environ.get("BENCH_SIZES") or "200,5000,50000")
    ap.add_argument("--modes", default="demo,per-domain,shared")
    ap.add_argument(
        "--plain-limit",
        type=float,
        default=600.0,
        help="time limit of the plain undivided LP, seconds",
    )
    ap.add_argument("--no-plain", action="store_true", help="skip the plain undivided LP")
    ap.add_argument(
        "--what-if-size",
        type=int,
        default=None,
        help="size of the what-if re-solves (default: the middle size; 0 = skip)",
    )
    ap.add_argument("--one", nargs="+", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.one:
        kind, size, mode = a.one[0], int(a.one[1]), a.one[2]
        res = {
            "solver": lambda: run_solver(size, mode),
            "greedy": lambda: run_greedy(size, mode),
            "plain": lambda: run_plain(size, mode, float(a.one[3])),
            "whatif": lambda: run_what_if(size, mode),
        }[kind]()
        print(json.dumps(res))
        return
    sizes = [SIZE_NAMES[x] if x in SIZE_NAMES else int(x) for x in a.sizes.split(",") if x]
    medium = sorted(sizes)[len(sizes) // 2] if a.what_if_size is None else a.what_if_size
    print(
        f"machine: {os.cpu_count()} cores, load average at start {os.getloadavg()[0]:.1f}; "
        "times in seconds (wall; CPU = all processes); memory = peak RSS (main / largest worker)"
    )
    head = (
        "| n | capacity | solver s (build/LP+bound/round) | CPU s | MB main/worker | parts "
        "| LP cols | objective "
        "| bound | gap | greedy s | greedy obj | plan vs greedy | P1 on time plan / greedy "
        "| plain LP s | plain MB | speed-up | LP optimum (plain, simplex) | plan below it "
        "| bound above it | bound |"
    )
    print(head)
    print("|" + "---|" * head.count("|")[:-1] if False else "|" + "---|" * (head.count("|") - 1))
    for size in sizes:
        for mode in a.modes.split(","):
            s = _child(["solver", str(size), mode], 3600)
            g = _child(["greedy", str(size), mode], 3600)
            p: dict[str, Any] = {}
            if not a.no_plain:
                p = _child(["plain", str(size), mode, str(a.plain_limit)], a.plain_limit * 3 + 300)
            if "error" in s:
                print(f"| {size} | {mode} | error: {s['error']} |")
                continue
            plain = (
                "-"
                if not p
                else p.get("error") or f"{p['wall']:.1f}{' (limit)' if p['timed_out'] else ''}"
            )
            ratio = "-" if not p or "error" in p else f"{p['wall'] / s['wall']:.1f}x"
            exact = bool(p) and "error" not in p and not p["timed_out"]
            opt = p["objective"] if exact else None
            below = "-" if opt is None else f"{(opt - s['objective']) / max(1.0, abs(opt)):.4%}"
            above = (
                "-"
                if opt is None or s["bound"] is None
                else f"{(s['bound'] - opt) / max(1.0, abs(opt)):.4%}"
            )
            vs = "-" if "error" in g else f"{(s['objective'] / g['objective'] - 1) * 100:+.1f}%"
            print(
                f"| {size} | {mode} | {s['wall']:.2f} ({s['build']:.2f}/{s['solve']:.2f}/"
                f"{s['rounding']:.2f}) | {s['cpu']:.1f} | {s['rss_mb']:.0f}/{s['worker_mb']:.0f} "
                f"| {s['parts']} | {s['cols']} "
                f"| {s['objective']:.1f} | {_f(s['bound'], '.1f')} | {_f(s['gap'], '.4%')} "
                f"| {_f(g.get('wall'), '.2f')} | {_f(g.get('objective'), '.1f')} | {vs} "
                f"| {s['p1']:.1%} / {_f(g.get('p1'), '.1%')} | {plain} "
                f"| {_f(p.get('rss_mb'), '.0f')} | {ratio} | {_f(opt, '.1f')} | {below} "
                f"| {above} | {s['bound_kind'] or '-'} |",
                flush=True,
            )
            if s["violations"]:
                print(f"  !! plan has {s['violations']} violations")
    for mode in a.modes.split(",") if medium else []:
        w = _child(["whatif", str(medium), mode], 3600)
        if "error" in w:
            print(f"what-if n={medium} {mode}: error {w['error']}")
            continue
        print(
            f"what-if n={medium} {mode}: pledge slipped 3 weeks {w['slip']:.2f} s "
            f"(gap {_f(w['slip_gap'], '.4%')}); hub {w['hub']} closed weeks 3-6: afresh "
            f"{w['close']:.2f} s, {w['close_cpu']:.1f} CPU s (gap {_f(w['close_gap'], '.4%')}), "
            f"warm-started {w['warm']:.2f} s, {w['warm_cpu']:.1f} CPU s "
            f"(gap {_f(w['warm_gap'], '.4%')})"
        )


if __name__ == "__main__":
    main()
