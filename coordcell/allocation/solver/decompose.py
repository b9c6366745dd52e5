"""Integral arc flows -> (pledge, hub, requirement) flows, deterministically and vectorised.

Every stock (a commodity's unprocessed and processed stock at a hub, its stock at a delivery
point, a pledge group, a requirement group) is a line in time; its inflows are matched to its
outflows first-in first-out with cumulative sums, which is valid because stock never goes
negative.  Groups are split into their members (sorted by id) the same way, so every individual
quantity is respected.
"""

from __future__ import annotations

import numpy as np

from .network import DELIVER, SHIP, SUPPLY, THROUGH, Network

_I = np.int64


def fifo_match(
    a_chain: np.ndarray, a_qty: np.ndarray, d_chain: np.ndarray, d_qty: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Match inflows to outflows chain by chain, in the given (sorted) order.

    Both inputs are sorted by chain (and by time/order within a chain).  Returns (inflow index,
    outflow index, quantity) of every matched piece; a chain's surplus on either side is left.
    """
    if len(a_qty) == 0 or len(d_qty) == 0:
        e = np.zeros(0, dtype=_I)
        return e, e, e
    n_chain = int(max(a_chain.max(), d_chain.max())) + 1
    ta = np.bincount(a_chain, weights=a_qty, minlength=n_chain).astype(_I)
    td = np.bincount(d_chain, weights=d_qty, minlength=n_chain).astype(_I)
    base = np.concatenate([[0], np.cumsum(np.maximum(ta, td))])[:-1]

    def ends(chain: np.ndarray, qty: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cs = np.cumsum(qty)
        first = np.concatenate([[True], chain[1:] != chain[:-1]])
        start_cs = np.maximum.accumulate(np.where(first, cs - qty, 0))
        end = base[chain] + cs - start_cs
        return end - qty, end

    a_start, a_end = ends(a_chain, a_qty)
    d_start, d_end = ends(d_chain, d_qty)
    points = np.unique(np.concatenate([a_start, a_end, d_start, d_end]))
    lo, hi = points[:-1], points[1:]
    ai = np.searchsorted(a_end, lo, side="right")
    di = np.searchsorted(d_end, lo, side="right")
    ok = (ai < len(a_end)) & (di < len(d_end))
    lo, hi, ai, di = lo[ok], hi[ok], ai[ok], di[ok]
    ok = (a_start[ai] <= lo) & (d_start[di] <= lo) & (hi > lo)
    return ai[ok], di[ok], (hi - lo)[ok]


def _order(*keys: np.ndarray) -> np.ndarray:
    """Stable lexicographic order, first key most significant."""
    return np.lexsort(tuple(reversed(keys)))


def decompose(
    net: Network,
    flow: np.ndarray,
    sg_members: tuple[tuple[int, ...], ...],
    member_qty_s: np.ndarray,
    dg_members: tuple[tuple[int, ...], ...],
    member_qty_d: np.ndarray,
) -> np.ndarray:
    """Rows of (supply index, hub, demand index, quantity, hub week, arrival week), int64.

    ``member_qty_s`` / ``member_qty_d``: quantity of each supply / demand by instance index.
    """
    pos = flow > 0
    nH = int(net.h.max()) + 1 if len(net.h) else 1
    nD = int(net.d.max()) + 1 if len(net.d) else 1
    # stage 1: unprocessed hub stock chains (k, h): pledge arrivals -> through weeks
    sa = np.nonzero(pos & (net.kind == SUPPLY))[0]
    sa = sa[_order(net.k[sa] * nH + net.h[sa], net.t[sa], net.grp[sa])]
    th = np.nonzero(pos & (net.kind == THROUGH))[0]
    th = th[_order(net.k[th] * nH + net.h[th], net.t[th])]
    ai, di, q0 = fifo_match(
        net.k[sa] * nH + net.h[sa], flow[sa], net.k[th] * nH + net.h[th], flow[th]
    )
    p_g, p_k, p_h, p_t = net.grp[sa[ai]], net.k[th[di]], net.h[th[di]], net.t[th[di]]
    # stage 2: processed hub stock chains (k, h): through weeks -> departures
    o = _order(p_k * nH + p_h, p_t, p_g)
    p_g, p_k, p_h, p_t, q0 = (x[o] for x in (p_g, p_k, p_h, p_t, q0))
    sh = np.nonzero(pos & (net.kind == SHIP))[0]
    sh = sh[_order(net.k[sh] * nH + net.h[sh], net.t[sh], net.d[sh], net.t2[sh])]
    ai, di, q1 = fifo_match(p_k * nH + p_h, q0, net.k[sh] * nH + net.h[sh], flow[sh])
    p_g, p_h, p_t = p_g[ai], p_h[ai], p_t[ai]
    p_k, p_d, p_t2 = net.k[sh[di]], net.d[sh[di]], net.t2[sh[di]]
    # reported as shipped in the through week (the same plan: waiting at the point instead)
    p_arr = p_t + (p_t2 - net.t[sh[di]])
    # stage 3: delivery-point stock chains (k, d)
    o = _order(p_k * nD + p_d, p_t2, p_g, p_h, p_t)
    p_g, p_h, p_t, p_k, p_d, p_t2, p_arr, q1 = (
        x[o] for x in (p_g, p_h, p_t, p_k, p_d, p_t2, p_arr, q1)
    )
    dl = np.nonzero(pos & (net.kind == DELIVER))[0]
    dl = dl[_order(net.k[dl] * nD + net.d[dl], net.t[dl], net.grp[dl])]
    ai, di, q2 = fifo_match(p_k * nD + p_d, q1, net.k[dl] * nD + net.d[dl], flow[dl])
    g, h, t, t2, j = p_g[ai], p_h[ai], p_t[ai], p_arr[ai], net.grp[dl[di]]
    # stage 4: pledge groups -> pledges
    s_chain, s_idx = _members(sg_members)
    o = _order(g, j, t2, h, t)
    g, h, t, t2, j, q2 = (x[o] for x in (g, h, t, t2, j, q2))
    ai, di, q3 = fifo_match(s_chain, member_qty_s[s_idx], g, q2)
    s, h, t, t2, j = s_idx[ai], h[di], t[di], t2[di], j[di]
    # stage 5: requirement groups -> requirements
    d_chain, d_idx = _members(dg_members)
    o = _order(j, t2, s, h, t)
    s, h, t, t2, j, q3 = (x[o] for x in (s, h, t, t2, j, q3))
    ai, di, q4 = fifo_match(d_chain, member_qty_d[d_idx], j, q3)
    out = np.stack([s[di], h[di], d_idx[ai], q4, t[di], t2[di]], axis=1)
    return merge_rows(out)


def _members(groups: tuple[tuple[int, ...], ...]) -> tuple[np.ndarray, np.ndarray]:
    lens = np.fromiter((len(m) for m in groups), dtype=_I, count=len(groups))
    chain = np.repeat(np.arange(len(groups), dtype=_I), lens)
    idx = np.fromiter((i for m in groups for i in m), dtype=_I, count=int(lens.sum()))
    return chain, idx


def merge_rows(rows: np.ndarray) -> np.ndarray:
    """Sum the quantity (column 3) of rows equal in every other column; sorted."""
    if len(rows) == 0:
        return rows.reshape(0, 6)
    keys = rows[:, [0, 1, 2, 4, 5]]
    o = np.lexsort(tuple(keys[:, i] for i in reversed(range(5))))
    keys, q = keys[o], rows[o, 3]
    new = np.concatenate([[True], (keys[1:] != keys[:-1]).any(axis=1)])
    starts = np.nonzero(new)[0]
    qs = np.add.reduceat(q, starts)
    k = keys[starts]
    return np.stack([k[:, 0], k[:, 1], k[:, 2], qs, k[:, 3], k[:, 4]], axis=1)
