"""Integral min-cost flow on a part's network (OR-Tools network simplex, C++).

Without capacities it is the LP without hub throughput rows (a relaxation, hence an upper bound
on the plan value).  With ``hub_caps`` (a capacity per hub stock node, i.e. per (commodity, hub,
week)) it is a pure network problem whose optimum is integral: this is how an LP flow is rounded.
Once the hub throughput is fixed per commodity, the network falls apart into the commodities
linked by requirements they can both serve; each connected piece is its own (much faster)
min-cost flow, solved in a fixed order.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from ortools.graph.python import min_cost_flow
from scipy.sparse.csgraph import connected_components

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
    big = max(1, net.total_supply)
    c = net.cost if cost is None else cost
    arc_cost = np.round(-c * scale).astype(np.int64)
    caps = np.full(net.n_cols, big, dtype=np.int64)
    if through_cap is not None:
        caps[net.kind == THROUGH] = through_cap
    out = np.zeros(net.n_cols, dtype=np.int64)
    if net.n_cols == 0:
        return out
    # connected pieces of the network (rows are nodes, columns arcs)
    graph = sp.coo_matrix(
        (np.ones(net.n_cols, dtype=np.int8), (net.tail, net.head)), shape=(net.n_rows, net.n_rows)
    )
    _, label = connected_components(graph, directed=False)
    col_label = label[net.tail]
    order = np.argsort(col_label, kind="stable")
    bounds = np.searchsorted(col_label[order], np.arange(int(label.max()) + 2))
    row_upper = net.row_upper.astype(np.int64)
    for piece in range(len(bounds) - 1):
        cols = order[bounds[piece] : bounds[piece + 1]]
        if len(cols) == 0:
            continue
        nodes = np.unique(np.concatenate([net.tail[cols], net.head[cols]]))
        tails = np.searchsorted(nodes, net.tail[cols])
        heads = np.searchsorted(nodes, net.head[cols])
        src, snk = len(nodes), len(nodes) + 1
        sup = nodes[nodes < nS]
        dem = nodes[(nodes >= nS) & (nodes < nS + nJ)]
        n_extra = len(sup) + len(dem) + 1
        mcf = min_cost_flow.SimpleMinCostFlow()
        mcf.add_arcs_with_capacity_and_unit_cost(
            np.concatenate(
                [tails, np.full(len(sup), src), np.searchsorted(nodes, dem), [src]]
            ).astype(np.int32),
            np.concatenate(
                [heads, np.searchsorted(nodes, sup), np.full(len(dem), snk), [snk]]
            ).astype(np.int32),
            np.concatenate([caps[cols], row_upper[sup], row_upper[dem], [big]]),
            np.concatenate([arc_cost[cols], np.zeros(n_extra, dtype=np.int64)]),
        )
        supplies = np.zeros(len(nodes) + 2, dtype=np.int64)
        supplies[src], supplies[snk] = big, -big
        mcf.set_nodes_supplies(np.arange(len(nodes) + 2, dtype=np.int32), supplies)
        status = mcf.solve()
        if status != mcf.OPTIMAL:
            raise RuntimeError(f"min-cost flow failed: {status}")
        out[cols] = np.asarray(mcf.flows(np.arange(len(cols), dtype=np.int32)), dtype=np.int64)
    return out
