"""Entry point: ``solve(instance) -> Plan``.

Pipeline per independent part (a domain, or all domains when a hub capacity is shared):
group identical pledges/requirements -> build the time-expanded network LP over arrays -> solve
the LP (HiGHS interior point / simplex or OR-Tools PDLP) -> Lagrangian upper bound from its
capacity duals -> round into an integral min-cost flow -> split into (pledge, hub, requirement)
flows.  Parts run in forked worker processes (the solvers hold the GIL); results are assembled
in part order, so timing never changes the plan.
"""

from __future__ import annotations

import hashlib
import time
import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from .aggregate import Groups, build_groups, split_parts
from .check import evaluate
from .lp import solve_lp
from .model import Flow, Instance, Plan, PlanStatus, SolveStats
from .network import DELIVER, Network, build_network
from .rounding import dual_bound, lagrangian_bound, round_flow

# "auto": dual simplex for parts up to this many columns (its vertex solutions round without
# loss), PDLP above (faster at scale; its rounding loses ~0.03%).  Measured, see the benchmark.
AUTO_SIMPLEX_COLUMNS = 8_000


@dataclass(slots=True)
class PartResult:
    rows: np.ndarray  # (supply index, hub index, demand index, qty, hub week, arrival week)
    bound: float
    rows_lp: int
    cols_lp: int
    build_seconds: float
    solve_seconds: float
    rounding_seconds: float
    method: str


@dataclass
class SolveCache:
    """Results of parts by a digest of their inputs: a what-if re-solve recomputes only the parts
    whose pledges, requirements, hubs, routes or parameters changed (exact reuse)."""

    parts: dict[str, PartResult] = field(default_factory=dict)
    hits: int = 0


def _pick_method(par_method: str, n_cols: int) -> str:
    if par_method != "auto":
        return par_method
    return "pdlp" if n_cols > AUTO_SIMPLEX_COLUMNS else "simplex"


def _lexicographic(net: Network, method: str, time_limit: float | None) -> tuple[np.ndarray, float]:
    """Priority 1 first: maximise each priority's on-time-equivalent delivery in turn, holding
    the earlier optima as constraints, then the full objective.  Returns (x, final objective)."""
    dl = net.kind == DELIVER
    late_factor = np.zeros(net.n_cols)
    pen = net.cost.copy()
    matrix, lo, up = net.matrix, net.row_lower, net.row_upper
    extra: list[np.ndarray] = []
    extra_lo: list[float] = []
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(dl, net.cost, 0.0)
    for p in sorted({int(p) for p in net.priority[dl]}):
        sel = dl & (net.priority == p)
        late_factor[:] = 0.0
        top = w[sel].max(initial=0.0)
        late_factor[sel] = w[sel] / top if top > 0 else 0.0
        m = sp.vstack([matrix, sp.csr_matrix(np.array(extra))]).tocsc() if extra else matrix
        r = solve_lp(m, np.concatenate([lo, extra_lo]), np.concatenate([up, [np.inf] * len(extra)]),
                     late_factor, method, time_limit)
        extra.append(late_factor.copy())
        extra_lo.append(r.objective - 1e-6 * max(1.0, abs(r.objective)))
    m = sp.vstack([matrix, sp.csr_matrix(np.array(extra))]).tocsc() if extra else matrix
    r = solve_lp(m, np.concatenate([lo, extra_lo]), np.concatenate([up, [np.inf] * len(extra)]),
                 pen, method, time_limit)
    return r.x, r.objective


def _solve_part(inst: Instance, g: Groups, part: tuple[int, ...], sq: np.ndarray,
                dq: np.ndarray) -> PartResult:
    from .decompose import decompose

    par = inst.parameters
    t0 = time.perf_counter()
    net = build_network(inst, g, part)
    t1 = time.perf_counter()
    method = _pick_method(par.method, net.n_cols)
    if net.n_cols == 0:
        return PartResult(np.zeros((0, 6), dtype=np.int64), 0.0, net.n_rows, 0, t1 - t0, 0.0,
                          0.0, method)
    if par.lexicographic:
        base = "ipm" if method in ("ipm", "pdlp") else "simplex"
        method = "lexicographic-" + base
        x, bound = _lexicographic(net, base, par.time_limit)
        t2 = time.perf_counter()
        cost = net.cost.copy()
        dl = net.kind == DELIVER
        # priority p outweighs what is below it when the rounded flow is re-optimised
        cost[dl] = cost[dl] * 8.0 ** (5 - net.priority[dl])
        flow = round_flow(net, x, cost)
    else:
        lp = solve_lp(net.matrix, net.row_lower, net.row_upper, net.cost, method, par.time_limit)
        # interior point duals are accurate: weak duality is a tight bound at no cost; PDLP's are
        # not, but its capacity prices are good enough for the (exact) Lagrangian bound
        bound = dual_bound(net, lp.y)
        if bound > lp.objective + 1e-6 * max(1.0, abs(lp.objective)):
            bound = min(bound, lagrangian_bound(net, lp.y)[0])
        t2 = time.perf_counter()
        flow = round_flow(net, lp.x)
    rows = decompose(net, flow, g.sg_members, sq, g.dg_members, dq)
    t3 = time.perf_counter()
    return PartResult(rows, bound, net.n_rows, net.n_cols, t1 - t0, t2 - t1, t3 - t2, method)


_SHARED: tuple[Instance, Groups, list[tuple[int, ...]], np.ndarray, np.ndarray] | None = None


def _solve_shared(i: int) -> PartResult:
    assert _SHARED is not None
    inst, g, parts, sq, dq = _SHARED
    return _solve_part(inst, g, parts[i], sq, dq)


def _part_digest(inst: Instance, g: Groups, part: tuple[int, ...]) -> str:
    doms = {g.domains[d] for d in part}
    dom_of = inst.domain_of()
    h = hashlib.sha256()
    h.update(repr((inst.horizon, inst.parameters, sorted(doms))).encode())
    h.update(repr(sorted((k, sorted(v)) for k, v in inst.compatibility.items())).encode())
    h.update(repr(sorted(
        (s.id, s.category, s.quantity, s.available_period, s.origin,
         None if s.allowed_hubs is None else sorted(s.allowed_hubs),
         None if s.allowed_capabilities is None else sorted(s.allowed_capabilities))
        for s in inst.supplies if dom_of.get(s.category) in doms)).encode())
    h.update(repr(sorted(
        (d.id, d.category, d.quantity, d.need_by_period, d.delivery_point, d.priority,
         d.capability) for d in inst.demands if dom_of.get(d.category) in doms)).encode())
    h.update(repr([(x.id, x.shared_capacity, sorted(x.closed_periods),
                    sorted((k, v) for k, v in x.capacity.items() if k in doms or
                           x.shared_capacity is not None))
                   for x in sorted(inst.hubs, key=lambda x: x.id)]).encode())
    h.update(repr(sorted(inst.origin_to_hub.items())).encode())
    h.update(repr(sorted(inst.hub_to_point.items())).encode())
    return h.hexdigest()


def solve(instance: Instance, cache: SolveCache | None = None) -> Plan:
    """Optimised integral allocation plan for ``instance`` (deterministic).

    The plan respects every pledge and requirement quantity, hub capacity, compatibility,
    hub/capability restriction, availability, route transit and the maximum lateness (see
    :func:`check_plan`).  ``lp_bound`` is a proven upper bound on any plan's value (in
    lexicographic mode: the final stage's LP optimum), ``gap`` the plan's distance to it.
    ``cache``: pass the same :class:`SolveCache` to successive what-if solves to reuse the
    unchanged parts.
    """
    t0 = time.perf_counter()
    g = build_groups(instance)
    parts = split_parts(instance, g)
    sq = np.array([s.quantity for s in instance.supplies], dtype=np.int64)
    dq = np.array([d.quantity for d in instance.demands], dtype=np.int64)
    t_groups = time.perf_counter() - t0
    results: list[PartResult | None] = [None] * len(parts)
    digests = [_part_digest(instance, g, p) for p in parts] if cache is not None else []
    todo = []
    for i, p in enumerate(parts):
        if cache is not None and digests[i] in cache.parts:
            results[i] = cache.parts[digests[i]]
            cache.hits += 1
        else:
            todo.append(i)
    # biggest parts first so that two workers finish together
    part_size = [int(np.isin(g.commodity_domain[g.sg_commodity], p).sum()) for p in parts]
    todo.sort(key=lambda i: (-part_size[i], i))
    workers = max(1, min(instance.parameters.threads, len(todo)))
    if workers > 1 and "fork" in mp.get_all_start_methods():
        # the solvers hold the GIL: parts run in forked worker processes, which inherit the
        # instance without pickling; results come back by part index (deterministic)
        global _SHARED
        _SHARED = (instance, g, parts, sq, dq)
        try:
            with ProcessPoolExecutor(workers, mp_context=mp.get_context("fork")) as ex:
                for i, r in zip(todo, ex.map(_solve_shared, todo), strict=True):
                    results[i] = r
        finally:
            _SHARED = None
    else:
        for i in todo:
            results[i] = _solve_part(instance, g, parts[i], sq, dq)
    done = [r for r in results if r is not None]
    if cache is not None:
        for i in todo:
            r = results[i]
            assert r is not None
            cache.parts[digests[i]] = r
    t_assemble = time.perf_counter()
    flows = rows_to_flows(instance, g, np.concatenate([r.rows for r in done]) if done else
                          np.zeros((0, 6), dtype=np.int64))
    objective, results_by_demand = evaluate(instance, flows)
    bound = max(float(sum(r.bound for r in done)), objective)
    gap = (bound - objective) / max(1.0, abs(bound))
    status = (PlanStatus.EMPTY if not flows else
              PlanStatus.OPTIMAL if gap <= 1e-6 else PlanStatus.FEASIBLE)
    stats = SolveStats(
        build_seconds=t_groups + sum(r.build_seconds for r in done),
        solve_seconds=sum(r.solve_seconds for r in done),
        rounding_seconds=sum(r.rounding_seconds for r in done)
        + time.perf_counter() - t_assemble,
        rows=sum(r.rows_lp for r in done),
        columns=sum(r.cols_lp for r in done),
        parts=len(parts),
        method=",".join(sorted({r.method for r in done})),
        supply_groups=len(g.sg_members),
        demand_groups=len(g.dg_members),
        wall_seconds=time.perf_counter() - t0,
    )
    return Plan(status, flows, objective, bound, gap, results_by_demand, stats)


def rows_to_flows(inst: Instance, g: Groups, rows: np.ndarray) -> tuple[Flow, ...]:
    """Decomposed index rows -> sorted :class:`Flow` tuple."""
    out = []
    for s_i, h_i, d_i, q, t, t2 in rows.tolist():
        s = inst.supplies[s_i]
        hub = g.hubs[h_i]
        dispatch = t - inst.origin_to_hub[(s.origin, hub)]
        out.append(Flow(s.id, hub, inst.demands[d_i].id, q, dispatch, t, t2))
    out.sort(key=lambda f: (f.supply_id, f.hub_id, f.demand_id, f.hub_period, f.arrival_period))
    return tuple(out)
