"""From a fractional LP flow to an integral one, and the Lagrangian bound.

Rounding: the LP's flow through each (commodity, hub, week) is rounded down, the capacity left in
each (hub, domain, week) goes first to the largest fractional parts, and the network is re-solved
as an integral min-cost flow with those per-commodity capacities (a pure network: integral).

Bound: with the LP's capacity duals as prices, the network without capacity rows is solved
exactly; its value plus the priced capacity is an upper bound on every plan (Lagrangian duality),
and equals the LP optimum when the duals are optimal.  It does not trust the LP solver's
tolerances.  :func:`potential_bound` gets a bound as valid, almost as tight, without a solve:
the same capacity prices, with the other duals repaired by longest paths.
"""

from __future__ import annotations

import numpy as np

from .mcf import solve_mcf
from .network import THROUGH, Network

_I = np.int64
BOUND_SCALE = 1e5  # cost resolution of the Lagrangian min-cost flow


def capacity_rows(net: Network) -> tuple[int, np.ndarray]:
    """First capacity row and the capacities of the part's capacity rows."""
    start = len(net.sg_rows) + len(net.dg_rows) + net.balance_rows
    return start, net.row_upper[start:]


def through_caps(net: Network, x: np.ndarray, spread_left: bool = True) -> np.ndarray:
    """Integral capacity of each THROUGH arc (in column order) from the LP flow ``x``.

    ``spread_left=False`` keeps each arc to its LP flow (rounded): capacity the LP left unused
    is not handed out, so that shares of the flow the LP was held to stay as they were."""
    th = np.nonzero(net.kind == THROUGH)[0]
    start, cap = capacity_rows(net)
    r = net.cap_row[th] - start
    xt = np.maximum(x[th], 0.0)
    fl = np.floor(xt + 1e-6).astype(_I)
    n_rows = len(cap)
    used = np.bincount(r, weights=fl, minlength=n_rows).astype(_I)
    over = used > cap
    if over.any():  # LP solver tolerance: scale the offending rows down
        tot = np.bincount(r, weights=xt, minlength=n_rows)
        scale = np.where(over, cap / np.maximum(tot, 1e-12), 1.0)
        fl = np.where(over[r], np.floor(xt * scale[r]), fl).astype(_I)
        used = np.bincount(r, weights=fl, minlength=n_rows).astype(_I)
    left = np.maximum(cap.astype(_I) - used, 0)
    frac = xt - fl
    # +1 to the largest fractional parts of each row, as far as the row's capacity allows
    o = np.lexsort((np.arange(len(th)), -frac, r))
    rank = np.arange(len(o)) - np.searchsorted(r[o], r[o], side="left")
    give = np.zeros(len(th), dtype=_I)
    give[o] = ((rank < left[r[o]]) & (frac[o] > 1e-6)).astype(_I)
    fl += give
    left = np.maximum(left - np.bincount(r, weights=give, minlength=n_rows).astype(_I), 0)
    if not spread_left:
        return np.asarray(fl, dtype=_I)
    # capacity the LP left unused stays usable, shared in proportion to the LP flow
    tot = np.bincount(r, weights=xt, minlength=n_rows)
    share = np.where(tot[r] > 1e-9, xt / np.maximum(tot[r], 1e-12), 0.0)
    fl += np.floor(share * left[r]).astype(_I)
    return np.asarray(fl, dtype=_I)


def lagrangian_bound(net: Network, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Upper bound from capacity prices ``max(y, 0)``; also returns the priced optimal flow."""
    start, cap = capacity_rows(net)
    lam = np.maximum(y[start : net.n_rows], 0.0)
    th = net.kind == THROUGH
    priced = net.cost.copy()
    priced[th] -= lam[net.cap_row[th] - start]
    f = solve_mcf(net, cost=priced, scale=BOUND_SCALE)
    # The min-cost flow optimised costs rounded to 1/scale.  Every unit crosses at most four arcs
    # with a non-zero cost (pledge, through, ship, delivery), so no flow is worth more than the
    # rounded optimum plus 0.5/scale per such arc and unit.
    rounded = np.round(priced * BOUND_SCALE) / BOUND_SCALE
    slack = 0.5 / BOUND_SCALE * 4 * net.total_supply
    return float(rounded @ f) + float(lam @ cap) + slack, f


def round_flow(
    net: Network, x: np.ndarray, cost: np.ndarray | None = None, spread_left: bool = True
) -> np.ndarray:
    """Integral flow respecting every capacity, close to the LP flow ``x``."""
    return solve_mcf(net, through_cap=through_caps(net, x, spread_left), cost=cost)


def column_bounds(net: Network) -> np.ndarray:
    """A finite upper bound on every column's flow (for the dual bound)."""
    from .network import DELIVER, OUT_WAIT, SHIP, SUPPLY

    nS, nJ = len(net.sg_rows), len(net.dg_rows)
    start, cap = capacity_rows(net)
    ub = np.full(net.n_cols, float(net.total_supply))
    sup = net.kind == SUPPLY
    ub[sup] = net.row_upper[net.tail[sup]]
    dl = net.kind == DELIVER
    ub[dl] = net.row_upper[net.head[dl]]
    th = net.kind == THROUGH
    ub[th] = cap[net.cap_row[th] - start]
    # a (commodity, hub)'s processed stock holds at most what its through arcs let in
    nH = int(net.h.max(initial=0)) + 1
    chain = net.k * nH + net.h
    through_in = np.bincount(chain[th], weights=ub[th], minlength=int(chain.max(initial=0)) + 1)
    out = (net.kind == SHIP) | (net.kind == OUT_WAIT)
    ub[out] = np.minimum(ub[out], through_in[chain[out]])
    del nS, nJ
    return ub


def dual_bound(net: Network, y: np.ndarray, cost: np.ndarray | None = None) -> float:
    """Weak-duality upper bound from any row duals ``y`` (no solve: one sparse product)."""
    c = net.cost if cost is None else cost
    yy = np.where(np.isfinite(net.row_lower), y, np.maximum(y, 0.0))
    rc = c - net.matrix.T @ yy
    return float(yy @ net.row_upper) + float(np.maximum(rc, 0.0) @ column_bounds(net))


def potential_bound(net: Network, y: np.ndarray, rounds: int = 3) -> float:
    """Upper bound from capacity prices ``max(y, 0)`` without a solve (weak duality).

    With the capacity prices fixed, the requirement-group duals of ``y`` give, by longest paths
    through the (acyclic) time-expanded network, the least pledge-group duals and stock
    potentials that make every column's reduced value non-positive; those pledge duals in turn
    give the least requirement duals, and so on.  Every round is a feasible dual solution, so
    the least of their values is a proven bound (at least the Lagrangian bound; close to it
    when ``y`` is a good dual).
    """
    nS, nJ = len(net.sg_rows), len(net.dg_rows)
    start, cap = capacity_rows(net)
    lam = np.maximum(y[start : net.n_rows], 0.0)
    th = net.kind == THROUGH
    adj = net.cost.copy()
    adj[th] -= lam[net.cap_row[th] - start]  # priced value of each arc
    tail, head = net.tail, net.head
    q_s = net.row_upper[:nS]
    q_d = net.row_upper[nS : nS + nJ]
    priced_cap = float(lam @ cap)
    y_d = np.maximum(y[nS : nS + nJ], 0.0)
    best = np.inf
    # each sweep relaxes every arc once (Bellman-Ford, vectorised); the network is acyclic, so
    # the potentials settle after at most the longest path's number of arcs
    t_o, h_o, c_o = tail, head, adj
    sweeps = 2 * int(net.t.max(initial=0)) + 16
    for _ in range(rounds):
        # backward: p[u] <= p[v] - value(u->v); the largest such p, then y_s = max(0, -p[group])
        p = np.full(net.n_rows, np.inf)
        p[nS : nS + nJ] = y_d
        for _sweep in range(sweeps):
            cand = p[h_o] - c_o
            before = p.copy()
            np.minimum.at(p, t_o, cand)
            p[nS : nS + nJ] = y_d
            if np.array_equal(before, p):
                break
        else:  # not settled (cannot happen on an acyclic network): no bound
            return best
        y_s = np.maximum(-p[:nS], 0.0)
        best = min(best, float(y_s @ q_s) + float(y_d @ q_d) + priced_cap)
        # forward: r[v] >= r[u] + value(u->v); then y_d = max(0, r[group])
        r = np.full(net.n_rows, -np.inf)
        r[:nS] = -y_s
        for _sweep in range(sweeps):
            cand = r[t_o] + c_o
            before = r.copy()
            np.maximum.at(r, h_o, cand)
            r[:nS] = -y_s
            if np.array_equal(before, r):
                break
        else:
            return best
        y_d = np.maximum(r[nS : nS + nJ], 0.0)
        best = min(best, float(y_s @ q_s) + float(y_d @ q_d) + priced_cap)
    return best
