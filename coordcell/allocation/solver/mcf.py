"""Integral min-cost flow on a part's network (OR-Tools network simplex, C++).

Without capacities it is the LP without hub throughput rows (a relaxation, hence an upper bound
on the plan value).  With ``hub_caps`` (a capacity per hub stock node, i.e. per (commodity, hub,
week)) it is a pure network problem whose optimum is integral: this is how an LP flow is rounded.
"""

from __future__ import annotations

import numpy as np
from ortools.graph.python import min_cost_flow  # type: ignore[import-untyped]

from .network import THROUGH, Network

COST_SCALE = 1000.0  # values are integers in thousandths: exact for the default parameters


def solve_mcf(
    net: Network,
    through_cap: np.ndarray | None = None,
    cost: np.ndarray | None = None,
    scale: float = COST_SCALE,
) -> np.ndarray:
    """Maximum-value integral flow; returns the flow on each network column (int64).

    ``through_cap``: the most units each THROUGH column (commodity, hub, week) may carry, in the
    order of ``net.kind == THROUGH``; ``None``: hub capacities ignored.
    ``cost`` (default the network's values) is rounded to multiples of ``1 / scale``.
    """
    nS, nJ = len(net.sg_rows), len(net.dg_rows)
    n_nodes = net.n_rows + 2
    src, snk = net.n_rows, net.n_rows + 1
    big = max(1, net.total_supply)
    c = net.cost if cost is None else cost
    arc_cost = np.round(-c * scale).astype(np.int64)
    tails = net.tail.copy()
    heads = net.head.copy()
    extra_t: list[np.ndarray] = [np.full(nS, src), nS + np.arange(nJ), np.array([src])]
    extra_h: list[np.ndarray] = [np.arange(nS), np.full(nJ, snk), np.array([snk])]
    extra_c: list[np.ndarray] = [
        net.row_upper[:nS].astype(np.int64),
        net.row_upper[nS : nS + nJ].astype(np.int64),
        np.array([big]),
    ]
    caps = np.full(net.n_cols, big, dtype=np.int64)
    if through_cap is not None:
        caps[net.kind == THROUGH] = through_cap
    n_extra = sum(len(x) for x in extra_t)
    mcf = min_cost_flow.SimpleMinCostFlow()
    mcf.add_arcs_with_capacity_and_unit_cost(
        np.concatenate([tails, *extra_t]).astype(np.int32),
        np.concatenate([heads, *extra_h]).astype(np.int32),
        np.concatenate([caps, *extra_c]),
        np.concatenate([arc_cost, np.zeros(n_extra, dtype=np.int64)]),
    )
    supplies = np.zeros(n_nodes, dtype=np.int64)
    supplies[src], supplies[snk] = big, -big
    mcf.set_nodes_supplies(np.arange(n_nodes, dtype=np.int32), supplies)
    status = mcf.solve()
    if status != mcf.OPTIMAL:
        raise RuntimeError(f"min-cost flow failed: {status}")
    return np.asarray(mcf.flows(np.arange(net.n_cols, dtype=np.int32)), dtype=np.int64)
