"""Entry point: ``solve(instance) -> Plan``.

Pipeline per independent part (a domain, or all domains when a hub capacity is shared), each
part being a sub-instance solved the same way wherever it runs:
group identical pledges/requirements -> build the time-expanded network LP over arrays -> solve
the LP (HiGHS dual simplex for small parts, OR-Tools PDLP for large ones, or as configured) ->
upper bound (weak duality; for PDLP with repaired stock potentials, and the Lagrangian bound from
the LP's capacity prices if still loose) -> round into an integral min-cost flow (solved per
connected piece) -> split into (pledge, hub, requirement) flows.  A PDLP part whose plan is not
within ``PART_GAP`` of its bound is re-solved to a tighter tolerance (warm start).  Parts run
in worker processes (the solvers hold the GIL); results are placed by part index, so timing
never changes the plan.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import hashlib
import multiprocessing as mp
import os
import pickle
import resource
import tempfile
import threading
import time
from collections import OrderedDict
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

import numpy as np
import scipy.sparse as sp

from .aggregate import build_groups
from .check import InstanceError, evaluate, validate_instance
from .consolidate import consolidate
from .decompose import decompose
from .instance_json import instance_to_json
from .lp import HotSimplex, LpResult, solve_lp
from .model import Flow, Instance, Plan, PlanStatus, SolveStats
from .network import DELIVER, THROUGH, Network, build_network, warm_start
from .rounding import column_bounds, dual_bound, lagrangian_bound, potential_bound, round_flow

# "auto": dual simplex for parts up to this many columns (its vertex solutions round without
# loss), PDLP above (faster at scale; its rounding loses ~0.05%).  Measured, see the benchmark.
AUTO_SIMPLEX_COLUMNS = 8_000
# worker processes only pay off (start-up ~1-3 s once, pickling) from about this many pledges
# plus requirements; smaller instances are solved in this process (same plan either way)
PARALLEL_MIN_SIZE = 2_000
# PDLP: first tolerance (cold start, and warm start from a changed part's LP, which stops early
# with a rougher plan at the cold tolerance), the tightest one a part is re-solved with, and the
# step between re-solves
PDLP_TOLERANCE = 3e-3
PDLP_WARM_TOLERANCE = 1e-3
PDLP_MIN_TOLERANCE = 3e-5
PDLP_STEP = 10**0.5
# a part's plan within BOUND_GAP of the cheap bound skips the Lagrangian bound (one min-cost
# flow, ~0.1 s a part on medium: measured, it brings the medium bound from 0.11% to 0.04% above
# the LP optimum); a part still further than PART_GAP from its best bound is re-solved with a
# PDLP_STEP times tighter tolerance.  The bound is never below the LP optimum and the plan never
# above it, so a part within PART_GAP of its bound has a bound within PART_GAP of its LP
# optimum: the gap a run reports is then the real one to within 0.05%.
BOUND_GAP = 3e-4
# N-1 closures start PDLP from the open part's LP at this tolerance: tighter than a what-if's
# warm start, since one pass at 1e-4 costs less than 1e-3 and then a re-solve with the bounds
# in between (medium, 2026-12-06: 27.4 against 29.4 CPU s for two parts' 16 closures) and
# leaves a closer plan (0.01-0.03% from its bound against 0.01-0.05%)
CLOSURE_TOLERANCE = 1e-4
PART_GAP = 5e-4
# N-1 closures of a PDLP part that the open part's rounded LP does not already solve: when at
# least this many of a job's closures need an LP, they are solved exactly by the simplex, the
# first from scratch (at most HOT_SIMPLEX_ITERATIONS iterations per row), each later one from
# the last one's basis (at most as many iterations as the first), else (or past a limit) by
# PDLP.
# Medium, 2026-12-06: air defence 0.8 CPU s a closure against 1.9 with PDLP, the open solve 1.7 s;
# a part with up to four such closures is cheaper with PDLP (the open solve does not pay:
# engineering's 4, 1.6 against 2.1 CPU s; artillery's simplex is 3x slower per closure).
HOT_SIMPLEX_MIN_CLOSURES = 5
HOT_SIMPLEX_ITERATIONS = 5
# With fewer such closures, the first is solved by PDLP and the rest switch to the simplex when
# that closure's PDLP iterations say the simplex pays (:func:`_simplex_pays`).  Work in PDLP
# iterations (one: two passes over the matrix): the open simplex solve costs about
# HOT_SIMPLEX_OPEN_WORK x rows / nonzeros of them, a closure from its basis about
# HOT_CLOSURE_SHARE of that.  Medium, 2026-12-06, 2 cores: PDLP 6.2e-9 s per iteration and
# nonzero (every part within 5%); the open simplex solve 38-110 us an iteration, 2.2-3.0
# iterations a row; a closure from its basis 8-50% of the open solve.  The demo's air defence
# (hubs as in 2025) has 4 closures to solve, each about 2,000-2,750 PDLP iterations (1.4-2 s),
# against an open simplex solve of 1.65 s and 0.1-0.4 s a closure after it.
HOT_SIMPLEX_OPEN_WORK = 25_800
HOT_CLOSURE_SHARE = 0.25
# a job's closures after this many that the rounded open LP did not solve, with none it did,
# are not tried that way (each try is a min-cost flow, 0.1-0.2 CPU s on medium)
REROUTE_TRIES = 3


@dataclass(slots=True)
class PartResult:
    """Flows and figures of one solved part."""

    flows: tuple[Flow, ...]
    bound: float
    rows_lp: int
    cols_lp: int
    build_seconds: float
    solve_seconds: float
    rounding_seconds: float
    method: str
    supply_groups: int
    demand_groups: int
    cpu_seconds: float = 0.0
    peak_mb: float = 0.0
    lp: WarmLp | None = None  # kept only when solving with a cache
    bound_kind: str = ""  # which bound (see BOUND_KINDS)
    # the flows as index rows (see :func:`decompose`) until the caller turns them into flows:
    # arrays cross between processes far faster than objects
    rows: np.ndarray | None = None
    # an N-1 job (:class:`PartJob` with ``close``): the part re-solved with each hub closed
    closures: tuple[PartResult, ...] = ()


# The kinds of bound a part reports (SolveStats.bound_kind lists those of the parts):
# "lp-duals": weak duality with the simplex / interior point LP's own duals (the LP optimum, to
# the solver's tolerance); "repaired-duals": PDLP's capacity prices with the other duals repaired
# by longest paths; "lagrangian": PDLP's capacity prices, the rest solved exactly as a min-cost
# flow; "lexicographic-lp": the final stage's LP optimum; "open-part-bound": (N-1 closures) the
# bound of the same part with the hub open, which closing only lowers; "none": an empty part.
BOUND_KINDS = (
    "lp-duals",
    "repaired-duals",
    "lagrangian",
    "lexicographic-lp",
    "open-part-bound",
    "none",
)


@dataclass(frozen=True, slots=True)
class WarmLp:
    """A part's LP solution by column and row names: the start of a changed part's LP."""

    col_names: np.ndarray
    x: np.ndarray
    row_names: np.ndarray
    y: np.ndarray


@dataclass
class SolveCache:
    """What successive solves (a plan and its what-ifs) share.  Solved parts by a digest of
    their sub-instance: a re-solve recomputes only the parts whose pledges, requirements, hubs,
    routes or parameters changed (exact reuse: the same plan as solving afresh).  With
    ``warm_start``, a changed part's PDLP starts from the last LP solution of the same part (the
    same domains), matched column by column and row by row: faster, and the plan obeys every
    rule and reports its gap as always, but it may differ slightly from a fresh solve's, so a
    run that must be reproducible from its instance file alone does not warm-start.  At most
    ``max_parts`` solved parts are kept (least recently used go first)."""

    parts: OrderedDict[str, PartResult] = field(default_factory=OrderedDict)
    warm: dict[tuple[str, ...], WarmLp] = field(default_factory=dict)
    hits: int = 0
    warm_starts: int = 0
    max_parts: int = 64
    warm_start: bool = False
    # ``keep_lps``: keep each solved part's LP by the digest of its sub-instance, only as the
    # start of the N-1 closures of a plan with that part (a run's worker: its plans never
    # warm-start, so each is the plan its instance gives solved afresh, while its N-1 table
    # starts from the plan's own LPs, themselves what the instance gives)
    keep_lps: bool = False
    lps: dict[str, WarmLp] = field(default_factory=dict)

    def get(self, digest: str) -> PartResult | None:
        res = self.parts.get(digest)
        if res is not None:
            self.parts.move_to_end(digest)
            self.hits += 1
        return res

    def put(self, digest: str, key: tuple[str, ...], res: PartResult) -> None:
        if res.lp is not None and self.warm_start:
            self.warm[key] = res.lp
        if res.lp is not None and self.keep_lps:
            self.lps[digest] = res.lp
        self.parts[digest] = dataclasses.replace(res, lp=None)
        while len(self.parts) > self.max_parts:
            self.lps.pop(self.parts.popitem(last=False)[0], None)


def _pick_method(par_method: str, n_cols: int) -> str:
    if par_method != "auto":
        return par_method
    return "pdlp" if n_cols > AUTO_SIMPLEX_COLUMNS else "simplex"


def _lexicographic(net: Network, method: str, time_limit: float | None) -> tuple[np.ndarray, float]:
    """Priority 1 first: maximise each priority's on-time-equivalent delivery in turn, holding
    the earlier optima as constraints, then the full objective.  Returns (x, final objective)."""
    dl = net.kind == DELIVER
    w = np.where(dl, net.cost, 0.0)
    extra: list[np.ndarray] = []
    extra_lo: list[float] = []

    def run(cost: np.ndarray) -> tuple[np.ndarray, float]:
        m = net.matrix
        if extra:
            m = sp.vstack([m, sp.csr_matrix(np.array(extra))]).tocsc()
        lo = np.concatenate([net.row_lower, extra_lo])
        up = np.concatenate([net.row_upper, np.full(len(extra), np.inf)])
        r = solve_lp(m, lo, up, cost, method, time_limit)
        return r.x, r.objective

    for p in sorted({int(p) for p in net.priority[dl]}):
        sel = dl & (net.priority == p)
        stage = np.zeros(net.n_cols)
        top = w[sel].max(initial=0.0)
        if top > 0:
            stage[sel] = w[sel] / top  # 1 - lateness penalty: on-time-equivalent units
        _, best = run(stage)
        extra.append(stage)
        extra_lo.append(best - 1e-6 * max(1.0, abs(best)))
    return run(net.cost.copy())


def _solve_and_round(
    net: Network,
    method: str,
    time_limit: float | None,
    warm: WarmLp | None = None,
    upper: float | None = None,
    start: LpResult | None = None,
    gap: float = PART_GAP,
    start_tolerance: float = CLOSURE_TOLERANCE,
) -> tuple[np.ndarray, float, str, LpResult, str]:
    """LP, proven bound and rounded integral flow of a part: (flow, bound, method, last LP,
    kind of bound).

    PDLP runs to a loose tolerance first (its time grows fast with accuracy on the badly scaled
    demo data, the integral plan much less so); only a part whose plan is then further than
    ``PART_GAP`` from its bound is re-solved tighter, warm-started from where it stopped.  The
    bound never trusts the LP's tolerance: weak duality with repaired stock potentials
    (:func:`potential_bound`, no solve), and the Lagrangian bound (a min-cost flow) when that
    one is not tight enough.

    ``upper``: a bound on the part's value known from elsewhere (a closure's open part's bound:
    closing a hub only takes plans away); used when tighter than the LP's own, it spares the
    Lagrangian bound and tighter re-solves of a closure that loses little.  ``start``: the
    PDLP start itself (a warm start already matched to ``net``), solved first to
    ``start_tolerance``; ``gap``: how far from its bound the plan may stop (an N-1 closure may
    ask less than a plan's ``PART_GAP``).  The last LP returned carries the PDLP iterations of
    every pass.
    """
    tol = PDLP_TOLERANCE
    lp: LpResult | None = None
    iterations = 0
    if start is not None and method == "pdlp":
        tol = start_tolerance
        lp = start
    elif warm is not None and method == "pdlp":
        tol = PDLP_WARM_TOLERANCE
        x0, y0 = warm_start(net, warm.col_names, warm.x, warm.row_names, warm.y)
        lp = LpResult(x0, y0, float(net.cost @ x0), 0.0, "warm")
    while True:
        lp = solve_lp(
            net.matrix, net.row_lower, net.row_upper, net.cost, method, time_limit, tol, warm=lp
        )
        iterations += lp.iterations
        # simplex / interior point duals are accurate: weak duality gives a tight bound at no
        # cost; PDLP's are not, but repaired or as capacity prices they give tight bounds
        bound = dual_bound(net, lp.y)
        kind = "lp-duals"
        loose = bound > lp.objective + 1e-6 * max(1.0, abs(lp.objective))
        if loose:
            repaired = potential_bound(net, lp.y)
            if repaired < bound:
                bound, kind = repaired, "repaired-duals"
        flow = round_flow(net, lp.x)
        value = float(net.cost @ flow)
        if upper is not None and upper < bound:
            bound, kind = upper, "open-part-bound"
        if loose and _gap(bound, value) > BOUND_GAP * gap / PART_GAP:
            lagrangian = lagrangian_bound(net, lp.y)[0]
            if lagrangian < bound:
                bound, kind = lagrangian, "lagrangian"
        if method != "pdlp" or _gap(bound, value) <= gap or tol <= PDLP_MIN_TOLERANCE:
            lp = dataclasses.replace(lp, iterations=iterations)
            return flow, max(bound, value), method, lp, kind
        tol /= PDLP_STEP


def share_rows(net: Network, cap: float) -> sp.csr_matrix:
    """Rows ``flow through hub h in week t - cap x flow through every hub in week t <= 0`` over
    the part's THROUGH columns, one per (hub, week) the part passes."""
    th = np.nonzero(net.kind == THROUGH)[0]
    h, t = net.h[th], net.t[th]
    pairs, row_of = np.unique(np.stack([h, t], axis=1), axis=0, return_inverse=True)
    row_of = row_of.ravel()
    rows: list[np.ndarray] = [row_of]
    cols: list[np.ndarray] = [th]
    vals: list[np.ndarray] = [np.ones(len(th))]
    # every (hub, week) row takes -cap of each column passing any hub that week
    for r, (_, week) in enumerate(pairs.tolist()):
        same = th[t == week]
        rows.append(np.full(len(same), r))
        cols.append(same)
        vals.append(np.full(len(same), -cap))
    return sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(len(pairs), net.n_cols),
    )


def _solve_capped(
    net: Network, method: str, time_limit: float | None, cap: float
) -> tuple[np.ndarray, float]:
    """The part's LP with :func:`share_rows`, its weak-duality bound, and the flow rounded
    within the LP's flow through each (commodity, hub, week) (so that the shares hold)."""
    extra = share_rows(net, cap)
    m = sp.vstack([net.matrix, extra]).tocsc()
    lo = np.concatenate([net.row_lower, np.full(extra.shape[0], -np.inf)])
    up = np.concatenate([net.row_upper, np.zeros(extra.shape[0])])
    tol = PDLP_MIN_TOLERANCE * 10
    lp = solve_lp(m, lo, up, net.cost, method, time_limit, tol)
    yy = np.where(np.isfinite(lo), lp.y, np.maximum(lp.y, 0.0))
    rc = net.cost - m.T @ yy
    bound = float(yy @ up) + float(np.maximum(rc, 0.0) @ column_bounds(net))
    flow = round_flow(net, lp.x, spread_left=False)
    return flow, max(bound, float(net.cost @ flow))


def _gap(bound: float, value: float) -> float:
    return (bound - value) / max(1.0, abs(bound))


@dataclass(frozen=True, slots=True)
class PartJob:
    """One part to solve: its sub-instance, the LP to start from, whether to return its LP."""

    inst: Instance
    warm: WarmLp | None = None
    keep_lp: bool = False
    # N-1: instead of the part, solve it once with each of these hubs closed in
    # ``closed_weeks`` (first, last, inclusive); ``upper``: the open part's bound
    close: tuple[str, ...] = ()
    closed_weeks: tuple[int, int] = (0, 0)
    upper: float | None = None
    # a closure's PDLP start tolerance and the gap to its bound it may stop at
    tolerance: float = CLOSURE_TOLERANCE
    gap: float = PART_GAP


def _solve_part(job: PartJob) -> PartResult:
    """Solve one independent part (a sub-instance) down to its flows as index rows (the caller,
    :func:`_solve_parts`, turns them into flows)."""
    c0 = time.process_time()
    res = _solve_closures(job) if job.close else _solve_part_timed(job.inst, job.warm, job.keep_lp)
    res.cpu_seconds = time.process_time() - c0
    res.peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return res


def _solve_part_timed(inst: Instance, warm: WarmLp | None, keep_lp: bool) -> PartResult:
    par = inst.parameters
    t0 = time.perf_counter()
    g = build_groups(inst)
    net = build_network(inst, g, tuple(range(len(g.domains))))
    t1 = time.perf_counter()
    method = _pick_method(par.method, net.n_cols)
    n_sg, n_dg = len(g.sg_members), len(g.dg_members)
    kept: WarmLp | None = None
    if net.n_cols == 0:
        return PartResult(
            (), 0.0, net.n_rows, 0, t1 - t0, 0.0, 0.0, method, n_sg, n_dg, bound_kind="none"
        )
    if par.hub_share_cap is not None and not par.lexicographic:
        flow, bound = _solve_capped(net, method, par.time_limit, par.hub_share_cap)
        kind = "lp-duals"
        method = "capped-" + method
        t2 = time.perf_counter()
    elif par.lexicographic:
        base = "ipm" if method in ("ipm", "pdlp") else "simplex"
        method = "lexicographic-" + base
        x, bound = _lexicographic(net, base, par.time_limit)
        kind = "lexicographic-lp"
        t2 = time.perf_counter()
        cost = net.cost.copy()
        dl = net.kind == DELIVER
        # priority p outweighs what is below it when the rounded flow is re-optimised
        cost[dl] = cost[dl] * 8.0 ** (5 - net.priority[dl])
        flow = round_flow(net, x, cost)
    else:
        # (the rounding min-cost flow is counted in the solve time here)
        flow, bound, method, lp, kind = _solve_and_round(net, method, par.time_limit, warm)
        t2 = time.perf_counter()
        if keep_lp and lp.method == "pdlp":
            kept = WarmLp(net.col_names, lp.x, net.row_names, lp.y)
    sq = np.array([s.quantity for s in inst.supplies], dtype=np.int64)
    dq = np.array([d.quantity for d in inst.demands], dtype=np.int64)
    rows = decompose(net, flow, g.sg_members, sq, g.dg_members, dq)
    t3 = time.perf_counter()
    return PartResult(
        (),
        bound,
        net.n_rows,
        net.n_cols,
        t1 - t0,
        t2 - t1,
        t3 - t2,
        method,
        n_sg,
        n_dg,
        lp=kept,
        rows=rows,
        bound_kind=kind,
    )


# the Network fields holding one value per column
_COLUMN_FIELDS = (
    "kind", "k", "grp", "h", "d", "t", "t2", "tail", "head", "cap_row", "priority", "lateness",
    "col_names",
)  # fmt: skip


def close_columns(net: Network, hub: int, first: int, last: int) -> tuple[Network, np.ndarray]:
    """``net`` with hub ``hub`` closed in weeks ``first..last``: its through arcs in those weeks
    removed, and the capacity rows left without any arc set to 0.  The same LP as the network
    built from the instance with the hub closed (:func:`resilience.close_hub`: a closed week
    blocks passing through only) but for arcs that can then carry nothing (stock that can no
    longer leave the hub, which the balance rows hold at 0), so the same optimum."""
    th = net.kind == THROUGH
    keep = ~(th & (net.h == hub) & (net.t >= first) & (net.t <= last))
    cols = np.nonzero(keep)[0]
    matrix = net.matrix[:, cols]
    start = len(net.sg_rows) + len(net.dg_rows) + net.balance_rows
    row_upper = net.row_upper.copy()
    empty = np.diff(matrix.tocsr().indptr) == 0
    empty[:start] = False
    row_upper[empty] = 0.0
    out = dataclasses.replace(
        net,
        n_cols=len(cols),
        cost=net.cost[cols],
        row_upper=row_upper,
        matrix=matrix,
        **{name: getattr(net, name)[cols] for name in _COLUMN_FIELDS},
    )
    return out, cols


def _rerouted(
    net: Network, method: str, start: LpResult | None, upper: float | None, gap: float
) -> tuple[np.ndarray, float, str] | None:
    """A closure's plan without a solve when one is good enough: the open part's LP flow on the
    arcs that remain, rounded (:func:`round_flow`: an integral flow within the capacity it
    leaves), kept when it is within ``gap`` of the open part's bound ``upper`` (a proven bound
    of the closure too: closing a hub only takes plans away).  ``None`` otherwise.  Medium,
    2026-12-06: 28 of the 56 closures kept so (0.1-0.2 CPU s each instead of a PDLP re-solve),
    the table 12% faster, every row still within 0.05% of a proven bound."""
    if method != "pdlp" or start is None or upper is None:
        return None
    flow = round_flow(net, start.x)
    value = float(net.cost @ flow)
    if _gap(upper, value) > gap:
        return None
    return flow, max(upper, value), "open-part-bound"


def _integral(net: Network, x: np.ndarray) -> np.ndarray | None:
    """``x`` as an integral flow when it is one (a simplex vertex of these networks nearly
    always is): every value within 1e-6 of an integer and the rounded flow within every row's
    bounds; ``None`` otherwise (then :func:`round_flow` rounds it)."""
    flow = np.round(x)
    if len(x) and float(np.abs(x - flow).max()) > 1e-6:
        return None
    act = net.matrix @ flow
    if np.any(act > net.row_upper + 1e-9) or np.any(act < net.row_lower - 1e-9):
        return None
    return flow.astype(np.int64)


def _hot_closure(
    net: Network, hot: HotSimplex, closed: np.ndarray, upper: float | None, gap: float
) -> tuple[np.ndarray, float, str] | None:
    """A closure solved exactly by the simplex, from scratch or from the last closure's basis
    (:class:`HotSimplex`): (flow on ``net``'s columns, bound, kind of bound); ``None``
    when the simplex stops at its iteration limit or the plan is not within ``gap`` of the bound
    (then PDLP solves it)."""
    lp = hot.closed(closed)
    if lp is None:
        return None
    keep = np.ones(len(lp.x), dtype=bool)
    keep[closed] = False
    x = lp.x[keep]
    bound, kind = dual_bound(net, lp.y), "lp-duals"
    if upper is not None and upper < bound:
        bound, kind = upper, "open-part-bound"
    flow = _integral(net, x)
    if flow is None:
        flow = round_flow(net, x)
    value = float(net.cost @ flow)
    if _gap(bound, value) > gap:
        return None
    return flow, max(bound, value), kind


def _hot_simplex(net: Network) -> HotSimplex:
    """The part's LP for its closures by the simplex (:class:`HotSimplex`: the first solved
    from scratch, each later one from the last one's basis)."""
    return HotSimplex(
        net.matrix, net.row_lower, net.row_upper, net.cost, HOT_SIMPLEX_ITERATIONS * net.n_rows
    )


def _simplex_pays(net: Network, pdlp_iterations: int, left: int) -> bool:
    """After a closure solved by PDLP in ``pdlp_iterations``: whether the ``left`` closures
    still to solve cost less by the simplex (the first from scratch, about an open solve; the
    others from the last one's basis) than by PDLP like this one (costs counted in work, never
    in time, so the choice never depends on the machine)."""
    open_solve = HOT_SIMPLEX_OPEN_WORK * net.n_rows / max(1, int(net.matrix.nnz))
    return bool(left * (pdlp_iterations - HOT_CLOSURE_SHARE * open_solve) > open_solve)


def _solve_closures(job: PartJob) -> PartResult:
    """An N-1 job: the part's network built once, then solved once per closed hub (its through
    arcs in the closed weeks removed, :func:`close_columns`).  Each closure is first tried
    without a solve (:func:`_rerouted`); when at least ``HOT_SIMPLEX_MIN_CLOSURES`` of a PDLP
    part's closures need an LP (or once a PDLP closure shows the simplex pays), they are
    solved exactly by the simplex, each from the last one's basis (:class:`HotSimplex`); the
    others (and any the
    simplex does not finish within its iteration limit) are PDLP solves started from the open
    part's LP (``job.warm``).  Every closure is bounded by the open part's bound (``job.upper``)
    as well as its own.  Returns a result whose ``closures`` are those solves, in the order of
    ``job.close``."""
    inst, par = job.inst, job.inst.parameters
    if par.hub_share_cap is not None or par.lexicographic:
        return _solve_closures_rebuilt(job)
    t0 = time.perf_counter()
    g = build_groups(inst)
    net = build_network(inst, g, tuple(range(len(g.domains))))
    hub_pos = {h: i for i, h in enumerate(g.hubs)}
    sq = np.array([s.quantity for s in inst.supplies], dtype=np.int64)
    dq = np.array([d.quantity for d in inst.demands], dtype=np.int64)
    x_all = y_all = None
    if job.warm is not None:
        x_all, y_all = warm_start(
            net, job.warm.col_names, job.warm.x, job.warm.row_names, job.warm.y
        )
    build = time.perf_counter() - t0
    first, last = job.closed_weeks
    # first pass: close each hub, keep the closures the open LP's flow, rounded, already solves
    todo: list[tuple[Network, np.ndarray, str, LpResult | None, float, float]] = []
    done: dict[int, tuple[np.ndarray, float, str, str, float]] = {}
    for i, hid in enumerate(job.close):
        t1 = time.perf_counter()
        sub, cols = close_columns(net, hub_pos[hid], first, last)
        method = _pick_method(par.method, sub.n_cols)
        start = None
        if x_all is not None and y_all is not None:
            x0 = x_all[cols]
            start = LpResult(x0, y_all, float(sub.cost @ x0), 0.0, "warm")
        t2 = time.perf_counter()
        quick = None
        # a part whose first closures all lose too much for the rounded open LP loses too much
        # in the others too (medium: air defence, armour, sustainment, 8 of 8): stop trying
        if sub.n_cols and not (i >= REROUTE_TRIES and len(done) == 0):
            quick = _rerouted(sub, method, start, job.upper, job.gap)
        if quick is not None:
            done[i] = (*quick, method, time.perf_counter() - t2)
        todo.append((sub, cols, method, start, t2 - t1, time.perf_counter() - t2))
    need = [
        i
        for i, (sub, _, method, *_rest) in enumerate(todo)
        if i not in done and sub.n_cols and method == "pdlp"
    ]
    hot: HotSimplex | None = None
    if len(need) >= HOT_SIMPLEX_MIN_CLOSURES:
        t2 = time.perf_counter()
        hot = _hot_simplex(net)
        build += time.perf_counter() - t2
    out = []
    for i, (sub, cols, method, start, t_close, t_quick) in enumerate(todo):
        if sub.n_cols == 0:
            out.append(
                PartResult((), 0.0, sub.n_rows, 0, 0.0, 0.0, 0.0, method, 0, 0, bound_kind="none")
            )
            continue
        t2 = time.perf_counter()
        if i in done:
            flow, bound, kind, method, _ = done[i]
        else:
            exact = None
            if hot is not None and i in need:
                closed = np.setdiff1d(np.arange(net.n_cols), cols, assume_unique=True)
                exact = _hot_closure(sub, hot, closed, job.upper, job.gap)
            if exact is not None:
                flow, bound, kind = exact
                method = "simplex"
            else:
                flow, bound, method, lp, kind = _solve_and_round(
                    sub,
                    method,
                    par.time_limit,
                    upper=job.upper,
                    start=start,
                    gap=job.gap,
                    start_tolerance=job.tolerance,
                )
                left = sum(1 for j in need if j > i)
                if hot is None and i in need and _simplex_pays(net, lp.iterations, left):
                    hot = _hot_simplex(net)
        t3 = time.perf_counter()
        rows = decompose(sub, flow, g.sg_members, sq, g.dg_members, dq)
        out.append(
            PartResult(
                (),
                bound,
                sub.n_rows,
                sub.n_cols,
                t_close,
                t_quick + t3 - t2,
                time.perf_counter() - t3,
                method,
                len(g.sg_members),
                len(g.dg_members),
                rows=rows,
                bound_kind=kind,
            )
        )
    return PartResult(
        (), 0.0, net.n_rows, net.n_cols, build, 0.0, 0.0, "closures", 0, 0, closures=tuple(out)
    )


def _solve_closures_rebuilt(job: PartJob) -> PartResult:
    """An N-1 job of a capped or lexicographic part: each closure solved as its own part (the
    instance with the hub closed), the way a plain solve of it would."""
    from .resilience import close_hub

    out = []
    for hid in job.close:
        closed = close_hub(job.inst, hid, job.closed_weeks)
        out.append(_solve_part_timed(closed, None, False))
    return PartResult((), 0.0, 0, 0, 0.0, 0.0, 0.0, "closures", 0, 0, closures=tuple(out))


def split_instance(inst: Instance) -> list[Instance]:
    """The independent parts of ``inst`` as sub-instances (in order of their first domain).

    Domains are coupled by a requirement that a category of another domain can serve, or by a
    hub whose capacity is shared by all domains; otherwise each domain is its own part.
    """
    dom = inst.domain_of()
    domains = sorted(set(dom.values()))
    parent = {d: d for d in domains}

    def find(x: str) -> str:
        while parent[x] != x:
            x = parent[x]
        return x

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    if any(h.shared_capacity is not None for h in inst.hubs):
        for d in domains[1:]:
            union(domains[0], d)
    for cat in sorted({d.category for d in inst.demands} | set(inst.compatibility)):
        for other in sorted(inst.serving_categories(cat)):
            if cat in dom and other in dom:
                union(dom[cat], dom[other])
    members: dict[str, set[str]] = {}
    for d in domains:
        members.setdefault(find(d), set()).add(d)
    return [
        dataclasses.replace(
            inst,
            categories=tuple(c for c in inst.categories if c.domain in doms),
            compatibility={k: v for k, v in inst.compatibility.items() if dom.get(k) in doms},
            supplies=tuple(s for s in inst.supplies if dom.get(s.category) in doms),
            demands=tuple(d for d in inst.demands if dom.get(d.category) in doms),
        )
        for _, doms in sorted(members.items())
    ]


_POOL: ProcessPoolExecutor | None = None
_POOL_SIZE = 0
_NEXT_PART: Any = None  # shared counter of the parts taken (this process and the workers)
# A pipe only this process writes to (it never does): a worker reads EOF from it the moment this
# process has gone, however it ended (kill -9 included), and exits. See _die_with_owner.
_OWNER: tuple[Connection, Connection] | None = None


def _init_worker(counter: Any, owner: Connection) -> None:
    global _NEXT_PART
    _NEXT_PART = counter
    threading.Thread(
        target=_die_with_owner, args=(owner,), name="coordcell-solver-owner", daemon=True
    ).start()


def _die_with_owner(owner: Connection) -> None:
    """In a worker: exit as soon as the process that made the pool has ended.

    The workers are children of the fork server, not of that process, and the fork server lives
    as long as they do (they hold its "alive" pipe), so neither a parent-death signal nor
    watching ``os.getppid()`` would ever fire: without this, a worker killed mid-solve left its
    solver processes running for good. Only the owner holds the write end of ``owner``; when
    the kernel closes it with the owner, ``recv_bytes`` sees EOF. The solvers release the
    interpreter often enough (every 0.2 s at most, measured) for this thread to act at once.
    """
    with contextlib.suppress(EOFError, OSError):
        owner.recv_bytes()
    os._exit(1)


def _owner_pipe() -> Connection:
    """The end of the owner pipe the workers watch (made once, in the process that solves)."""
    global _OWNER
    if _OWNER is None:
        _OWNER = mp.Pipe(duplex=False)  # (read end, write end); neither is inherited by exec
    return _OWNER[0]


def _take_part(counter: Any) -> int:
    with counter.get_lock():
        i = int(counter.value)
        counter.value = i + 1
    return i


def _context() -> Any:
    """The fork-server context (``None`` where there is none)."""
    if "forkserver" not in mp.get_all_start_methods():
        return None
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["coordcell.allocation.solver.optimise"])
    return ctx


def _counter() -> Any:
    """The counter of parts taken, shared with the workers (created before any pool)."""
    global _NEXT_PART
    if _NEXT_PART is None:
        ctx = _context()
        _NEXT_PART = (ctx or mp).Value("q", 0)
    return _NEXT_PART


def _pool(workers: int) -> ProcessPoolExecutor | None:
    """A persistent pool of worker processes forked from a clean fork server (never from this
    possibly multi-threaded process) with the solver preloaded, so that what-ifs pay no start-up.
    Like any multiprocessing, a script calling :func:`solve` needs the ``__main__`` guard.
    ``None`` where fork servers do not exist: the caller then solves alone."""
    global _POOL, _POOL_SIZE
    if _POOL is not None and workers == _POOL_SIZE:
        return _POOL
    ctx = _context()
    if ctx is None:
        return None
    if _POOL is not None:
        _POOL.shutdown()
    _POOL = ProcessPoolExecutor(
        workers, mp_context=ctx, initializer=_init_worker, initargs=(_counter(), _owner_pipe())
    )
    _POOL_SIZE = workers
    atexit.register(_POOL.shutdown)
    return _POOL


def _noop() -> None:
    return None


def _work_parts(path: str, count: int) -> list[tuple[int, PartResult]]:
    """In a worker: take the next part not yet taken, solve it, until none is left."""
    parts: list[bytes] | None = None
    done = []
    while (i := _take_part(_NEXT_PART)) < count:
        if parts is None:
            with open(path, "rb") as f:
                parts = pickle.load(f)  # noqa: S301  # nosec B301: our parent's own file
        job = pickle.loads(parts[i])  # noqa: S301  # nosec B301: idem
        done.append((i, _solve_part(job)))
    return done


def _solve_parts(jobs: list[PartJob], threads: int) -> list[PartResult]:
    """Solve ``jobs`` (biggest first), ``threads`` at a time: this process and ``threads - 1``
    worker processes each take the next part nobody has taken yet.  The workers are started
    (or reached) from a helper thread and read the parts from a file, so that neither their
    start-up nor this process being busy in a solver that holds the GIL delays anyone.  Every
    part is solved by the same single-threaded code wherever it runs, so the results never
    depend on the timing.  Returns results with their flows."""
    if threads <= 1 or len(jobs) <= 1 or _context() is None:
        out = [_solve_part(job) for job in jobs]
    else:
        out = _solve_parts_parallel(jobs, threads)
    for job, res in zip(jobs, out, strict=True):
        for r in (res, *res.closures):
            if r.rows is not None:
                r.flows = rows_to_flows(job.inst, r.rows)
                r.rows = None
    return out


def _solve_parts_parallel(jobs: list[PartJob], threads: int) -> list[PartResult]:
    out: list[PartResult | None] = [None] * len(jobs)
    counter = _counter()
    counter.value = 0
    futures: list[Future[list[tuple[int, PartResult]]]] = []
    ready = threading.Event()
    with tempfile.NamedTemporaryFile(prefix="coordcell-parts-", dir=_scratch_dir()) as f:

        def hand_over() -> None:
            pool = _pool(threads - 1)
            if pool is None:
                return
            pool.submit(_noop).result()  # start the workers now, not when the parts are ready
            ready.wait()
            futures.extend(pool.submit(_work_parts, f.name, len(jobs)) for _ in range(threads - 1))

        helper = threading.Thread(target=hand_over, name="coordcell-solver-pool", daemon=True)
        helper.start()  # the fork server starts while this process writes the parts
        # each part pickled on its own: a worker unpickles only the parts it takes
        pickle.dump(
            [pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL) for job in jobs],
            f,
            protocol=pickle.HIGHEST_PROTOCOL,
        )
        f.flush()
        ready.set()
        while (i := _take_part(counter)) < len(jobs):
            out[i] = _solve_part(jobs[i])
        helper.join()
        for fut in futures:
            for i, res in fut.result():
                out[i] = res
    assert all(r is not None for r in out)
    return [r for r in out if r is not None]


def _scratch_dir() -> str | None:
    shm = "/dev/shm"  # noqa: S108  # nosec B108: for a private NamedTemporaryFile (mode 0600)
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK) else None


def solve(instance: Instance, cache: SolveCache | None = None) -> Plan:
    """Optimised integral allocation plan for ``instance`` (deterministic).

    The plan respects every pledge and requirement quantity, hub capacity, compatibility,
    hub/capability restriction, availability, route transit and the maximum lateness (see
    :func:`check_plan`).  ``lp_bound`` is a proven upper bound on any plan's value (in
    lexicographic mode: the final stage's LP optimum), ``gap`` the plan's distance to it.
    ``cache``: pass the same :class:`SolveCache` to successive what-if solves to reuse the
    unchanged parts.  ``instance.parameters.threads`` worker processes solve parts in parallel.
    Raises :class:`InstanceError` listing every problem of an invalid instance.
    """
    problems = validate_instance(instance)
    if problems:
        raise InstanceError(problems)
    t0 = time.perf_counter()
    subs = split_instance(instance)
    results: list[PartResult | None] = [None] * len(subs)
    digests = [_digest(sub) for sub in subs] if cache is not None else []
    keys = [_part_key(sub) for sub in subs]
    todo = []
    for i in range(len(subs)):
        hit = cache.get(digests[i]) if cache is not None else None
        if hit is not None:
            results[i] = hit
        else:
            todo.append(i)
    todo.sort(key=lambda i: (-len(subs[i].supplies) - len(subs[i].demands), i))  # big first
    jobs = [
        PartJob(
            subs[i],
            cache.warm.get(keys[i]) if cache is not None else None,
            keep_lp=cache is not None and (cache.warm_start or cache.keep_lps),
        )
        for i in todo
    ]
    if cache is not None:
        cache.warm_starts += sum(job.warm is not None for job in jobs)
    t_split = time.perf_counter() - t0
    size = len(instance.supplies) + len(instance.demands)
    threads = instance.parameters.threads if size >= PARALLEL_MIN_SIZE else 1
    for i, res in zip(todo, _solve_parts(jobs, threads), strict=True):
        results[i] = res
    if cache is not None:
        for i in todo:
            solved = results[i]
            assert solved is not None  # every part in todo was solved just above
            cache.put(digests[i], keys[i], solved)
            results[i] = cache.parts[digests[i]]
    done = [r for r in results if r is not None]
    t_assemble = time.perf_counter()
    flows = tuple(sorted((f for r in done for f in r.flows), key=_flow_key))
    if instance.parameters.hub_share_cap is None:  # ties between hubs: fewest per depot week
        flows = consolidate(instance, flows)
    objective, results_by_demand = evaluate(instance, flows)
    bound = max(float(sum(r.bound for r in done)), objective)
    gap = (bound - objective) / max(1.0, abs(bound))
    if not flows:
        status = PlanStatus.EMPTY
    else:
        status = PlanStatus.OPTIMAL if gap <= 1e-6 else PlanStatus.FEASIBLE
    fresh = [r for r in (results[i] for i in todo) if r is not None]
    stats = SolveStats(  # effort figures count the parts solved now, not the reused ones
        build_seconds=t_split + sum(r.build_seconds for r in fresh),
        solve_seconds=sum(r.solve_seconds for r in fresh),
        rounding_seconds=sum(r.rounding_seconds for r in fresh) + time.perf_counter() - t_assemble,
        rows=sum(r.rows_lp for r in done),
        columns=sum(r.cols_lp for r in done),
        parts=len(subs),
        method=",".join(sorted({r.method for r in done})),
        supply_groups=sum(r.supply_groups for r in done),
        demand_groups=sum(r.demand_groups for r in done),
        wall_seconds=time.perf_counter() - t0,
        cpu_seconds=sum(r.cpu_seconds for r in fresh),
        peak_worker_mb=max((r.peak_mb for r in fresh), default=0.0),
        parts_reused=len(subs) - len(todo),
        bound_kind=",".join(sorted({r.bound_kind for r in done if r.bound_kind != "none"})),
    )
    return Plan(status, flows, objective, bound, gap, results_by_demand, stats)


def _part_key(sub: Instance) -> tuple[str, ...]:
    """What makes two parts of successive what-ifs the same part: their domains."""
    return tuple(sorted({c.domain for c in sub.categories}))


def _digest(sub: Instance) -> str:
    return hashlib.sha256(instance_to_json(sub).encode()).hexdigest()


def _flow_key(f: Flow) -> tuple[str, str, str, int, int]:
    return (f.supply_id, f.hub_id, f.demand_id, f.hub_period, f.arrival_period)


def rows_to_flows(inst: Instance, rows: np.ndarray) -> tuple[Flow, ...]:
    """Decomposed index rows -> sorted :class:`Flow` tuple."""
    hubs = tuple(sorted(h.id for h in inst.hubs))  # the order of :func:`build_groups`
    out = []
    for s_i, h_i, d_i, q, t, t2 in rows.tolist():
        s = inst.supplies[s_i]
        hub = hubs[h_i]
        dispatch = t - inst.origin_to_hub[(s.origin, hub)]
        out.append(Flow(s.id, hub, inst.demands[d_i].id, q, dispatch, t, t2))
    out.sort(key=_flow_key)
    return tuple(out)
