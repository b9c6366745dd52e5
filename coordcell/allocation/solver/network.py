"""The time-expanded network LP of one part, built over numpy arrays (no object per variable).

Per commodity k: pledge group -> hub stock (k, hub, arrival week) -> wait -> through (k, hub,
week: the only arc using hub throughput) -> processed stock (k, hub, week) -> wait -> ship ->
delivery-point stock (k, point, week) -> requirement group.  A ship arc arrives exactly in a week
some requirement group at that point can take the goods (its need-by week, or a week late up to
``max_lateness``): goods through the hub early wait there as processed stock rather than at the
point, which is the same plan (the same hub week, the same transit) with far fewer arcs.  Rows:
pledge group supply (<= q), requirement group demand (<= q), stock balances (= 0), hub throughput
per (hub, domain, week), or per (hub, week) when shared (<= capacity).  The through arcs keep each
capacity row down to one entry per commodity, which keeps the LP's factorisations sparse.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .aggregate import Groups, stable_names
from .model import Instance

SUPPLY, HUB_WAIT, SHIP, OUT_WAIT, DELIVER, THROUGH = 0, 1, 2, 3, 4, 5
_I = np.int64


@dataclass(slots=True)
class Network:
    """Arrays of one part's LP.  Column attributes share one layout: ``kind`` (SUPPLY..DELIVER),
    ``k`` commodity, ``grp`` pledge group (SUPPLY) / requirement group (DELIVER) / -1,
    ``h`` hub, ``d`` point, ``t`` week (hub arrival, wait start, hub departure, delivery,
    through), ``t2`` arrival week at the point (SHIP)."""

    n_rows: int
    n_cols: int
    cost: np.ndarray
    row_upper: np.ndarray
    row_lower: np.ndarray
    matrix: sp.csc_matrix
    kind: np.ndarray
    k: np.ndarray
    grp: np.ndarray
    h: np.ndarray
    d: np.ndarray
    t: np.ndarray
    t2: np.ndarray
    tail: np.ndarray  # row index of the arc's tail node (pledge group row or balance row)
    head: np.ndarray  # row index of the arc's head node (balance row or requirement group row)
    cap_row: np.ndarray  # SHIP columns: index of their capacity row (global row index), else -1
    priority: np.ndarray  # DELIVER columns: requirement priority, else 0
    lateness: np.ndarray  # DELIVER columns: weeks late
    # row layout
    sg_rows: np.ndarray  # global pledge group index of each supply row
    dg_rows: np.ndarray  # global requirement group index of each demand row
    balance_rows: int  # number of stock balance rows following the group rows
    node_of_row: np.ndarray  # compressed -> original node id (balance rows only)
    total_supply: int
    # stable 64-bit names of the columns and rows (see :func:`warm_start`)
    col_names: np.ndarray
    row_names: np.ndarray


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _mix(n: int, *parts: np.ndarray | int) -> np.ndarray:
    """64-bit names of ``n`` items from their integer parts (a collision only costs a worse
    warm start, never a wrong plan)."""
    h = np.full(n, 0xCBF29CE484222325, dtype=np.uint64)
    for part in parts:
        h ^= np.asarray(part).astype(np.uint64)
        h *= _GOLDEN
        h ^= h >> np.uint64(29)
    return h


def _balance_names(
    off: np.ndarray,
    comm_names: np.ndarray,
    hub_names: np.ndarray,
    point_names: np.ndarray,
    H: int,
) -> np.ndarray:
    """Names of stock balance rows from their node offsets (hub stock, processed stock, point
    stock: the layout of :func:`build_network`)."""
    K, nH, nD = len(comm_names), len(hub_names), len(point_names)
    per_hub = K * nH * H
    out = np.zeros(len(off), dtype=np.uint64)
    for tag, lo, hi, places, n in (
        (3, 0, per_hub, hub_names, nH),
        (4, per_hub, 2 * per_hub, hub_names, nH),
        (5, 2 * per_hub, 2 * per_hub + K * nD * H, point_names, nD),
    ):
        sel = (off >= lo) & (off < hi)
        o = off[sel] - lo
        out[sel] = _mix(len(o), tag, comm_names[o // (n * H)], places[(o // H) % n], o % H)
    return out


def warm_start(
    net: Network, col_names: np.ndarray, x: np.ndarray, row_names: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Primal and dual values for ``net`` from a solution of another network: each column
    and row takes the value of the one of the same name, 0 where there is none."""
    return _carry(net.col_names, col_names, x), _carry(net.row_names, row_names, y)


def _carry(names: np.ndarray, old_names: np.ndarray, old_values: np.ndarray) -> np.ndarray:
    out = np.zeros(len(names))
    if len(old_names) == 0 or len(names) == 0:
        return out
    order = np.argsort(old_names, kind="stable")
    pos = np.minimum(np.searchsorted(old_names[order], names), len(order) - 1)
    hit = old_names[order][pos] == names
    out[hit] = old_values[order][pos[hit]]
    return out


def _expand(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For inclusive ranges [starts[i], ends[i]]: (owner index, value) of every element."""
    lens = np.maximum(ends - starts + 1, 0)
    owner = np.repeat(np.arange(len(starts), dtype=_I), lens)
    offs = np.arange(int(lens.sum()), dtype=_I) - np.repeat(np.cumsum(lens) - lens, lens)
    return owner, starts[owner] + offs


def build_network(inst: Instance, g: Groups, part: tuple[int, ...]) -> Network:
    """Build the LP of the domains in ``part`` (see module docstring)."""
    par = inst.parameters
    H, L = inst.horizon, par.max_lateness
    nH, nD, nO = len(g.hubs), len(g.points), len(g.origins)
    hub_pos = {h: i for i, h in enumerate(g.hubs)}
    point_pos = {p: i for i, p in enumerate(g.points)}
    origin_pos = {o: i for i, o in enumerate(g.origins)}
    tr_oh = np.full((nO, nH), -1, dtype=_I)
    for (o, h), v in inst.origin_to_hub.items():
        if o in origin_pos and h in hub_pos:
            tr_oh[origin_pos[o], hub_pos[h]] = v
    tr_hd = np.full((nH, nD), -1, dtype=_I)
    for (h, p), v in inst.hub_to_point.items():
        if h in hub_pos and p in point_pos:
            tr_hd[hub_pos[h], point_pos[p]] = v

    in_part = np.isin(g.commodity_domain, np.array(part, dtype=_I))
    comm = np.nonzero(in_part)[0]
    K = len(comm)
    local = np.full(len(g.commodities), -1, dtype=_I)
    local[comm] = np.arange(K)
    cdom = g.commodity_domain[comm]

    # capacity per (hub, domain-or-shared, week)
    nDom = len(g.domains)
    hubs_by_id = {h.id: h for h in inst.hubs}
    shared = np.array([hubs_by_id[h].shared_capacity is not None for h in g.hubs], dtype=bool)
    capacity = np.zeros((nH, nDom + 1, H), dtype=np.float64)
    for hi, hid in enumerate(g.hubs):
        hub = hubs_by_id[hid]
        for t in range(H):
            if shared[hi]:
                capacity[hi, nDom, t] = hub.capacity_for("", t)
            else:
                for di, dom in enumerate(g.domains):
                    capacity[hi, di, t] = hub.capacity_for(dom, t)

    # supply groups of the part
    sgs = np.nonzero(in_part[g.sg_commodity])[0]
    sk = local[g.sg_commodity[sgs]]
    # demand groups of the part: (group, commodity) pairs
    pair_j: list[int] = []
    pair_k: list[int] = []
    for j, comms in enumerate(g.dg_commodities):
        if comms and in_part[comms[0]]:
            for c in comms:
                pair_j.append(j)
                pair_k.append(int(local[c]))
    pj = np.array(pair_j, dtype=_I)
    pk = np.array(pair_k, dtype=_I)
    dgs = np.unique(pj)

    # weeks in which (k, point) can hand over to a requirement group: its need-by week and each
    # week late up to the maximum
    own, rt = _expand(g.dg_need[pj], np.minimum(g.dg_need[pj] + L, H - 1))
    receives = np.zeros((K, nD, H), dtype=bool)
    receives[pk[own], g.dg_point[pj][own], rt] = True

    # supply arcs (group, hub) and earliest stock at (k, hub)
    s_idx, s_h = np.nonzero(g.sg_hub_mask[sgs] & (tr_oh[g.sg_origin[sgs]] >= 0))
    s_e = g.sg_period[sgs][s_idx] + tr_oh[g.sg_origin[sgs][s_idx], s_h]
    keep = s_e < H
    s_idx, s_h, s_e = s_idx[keep], s_h[keep], s_e[keep]
    first_kh = np.full((K, nH), H, dtype=_I)
    np.minimum.at(first_kh, (sk[s_idx], s_h), s_e)
    # hub throughput open for commodity k at (hub, week)
    slot_kh = np.where(shared[None, :], nDom, cdom[:, None])  # [K, nH]
    cap_open = capacity[np.arange(nH)[None, :, None], slot_kh[:, :, None], np.arange(H)] > 0
    weeks = np.arange(H)[None, None, :]
    first_thr = np.where(cap_open & (weeks >= first_kh[:, :, None]), weeks, H).min(axis=2)

    # ship arcs: through the hub's capacity once, then leave when the goods arrive exactly in a
    # week the point can hand them over (earlier departures wait at the hub as processed stock)
    kk, hh, dd = (
        a.ravel() for a in np.meshgrid(np.arange(K), np.arange(nH), np.arange(nD), indexing="ij")
    )
    ok = (tr_hd[hh, dd] >= 0) & receives[kk, dd].any(axis=1) & (first_thr[kk, hh] < H)
    kk, hh, dd = kk[ok], hh[ok], dd[ok]
    own, st = _expand(first_thr[kk, hh], H - 1 - tr_hd[hh, dd])
    sh_k, sh_h, sh_d, sh_t = kk[own], hh[own], dd[own], st
    sh_t2 = sh_t + tr_hd[sh_h, sh_d]
    ok = receives[sh_k, sh_d, sh_t2]
    sh_k, sh_h, sh_d, sh_t, sh_t2 = sh_k[ok], sh_h[ok], sh_d[ok], sh_t[ok], sh_t2[ok]

    # through arcs: hub stock (k, h, t) -> processed stock (k, h, t), the only arcs using
    # capacity, from the first stock to the last departure; prune supply arcs arriving after
    # the last through week
    last_kh = np.full((K, nH), -1, dtype=_I)
    np.maximum.at(last_kh, (sh_k, sh_h), sh_t)
    tk, th_ = np.nonzero(last_kh >= 0)
    own, th_t = _expand(first_thr[tk, th_], last_kh[tk, th_])
    th_k, th_h = tk[own], th_[own]
    ok = cap_open[th_k, th_h, th_t]
    th_k, th_h, th_t = th_k[ok], th_h[ok], th_t[ok]
    last_thr = np.full((K, nH), -1, dtype=_I)
    np.maximum.at(last_thr, (th_k, th_h), th_t)
    keep = s_e <= last_thr[sk[s_idx], s_h]
    s_idx, s_h, s_e = s_idx[keep], s_h[keep], s_e[keep]
    first_kh = np.full((K, nH), H, dtype=_I)
    np.minimum.at(first_kh, (sk[s_idx], s_h), s_e)
    keep = th_t >= first_kh[th_k, th_h]  # (k, hub) left without any supply lose everything
    th_k, th_h, th_t = th_k[keep], th_h[keep], th_t[keep]
    first_thr = np.full((K, nH), H, dtype=_I)
    np.minimum.at(first_thr, (th_k, th_h), th_t)
    keep = sh_t >= first_thr[sh_k, sh_h]
    sh_k, sh_h, sh_d, sh_t, sh_t2 = sh_k[keep], sh_h[keep], sh_d[keep], sh_t[keep], sh_t2[keep]
    last_kh = np.full((K, nH), -1, dtype=_I)
    np.maximum.at(last_kh, (sh_k, sh_h), sh_t)
    th_slot = np.where(shared[th_h], nDom, cdom[th_k])

    # wait arcs: unprocessed stock until the last through week, processed stock until the last
    # departure
    wk, wh = np.nonzero((first_kh < H) & (last_thr >= 0))
    own, hw_t = _expand(first_kh[wk, wh], last_thr[wk, wh] - 1)
    hw_k, hw_h = wk[own], wh[own]
    wk, wh = np.nonzero(first_thr < H)
    own, ow_t = _expand(first_thr[wk, wh], last_kh[wk, wh] - 1)
    ow_k, ow_h = wk[own], wh[own]

    # delivery arcs from point stock that some ship arc feeds
    fed = np.zeros((K, nD, H), dtype=bool)
    fed[sh_k, sh_d, sh_t2] = True
    dpt = g.dg_point[pj]
    own, dl_t = _expand(g.dg_need[pj], np.minimum(g.dg_need[pj] + L, H - 1))
    dl_j, dl_k, dl_d = pj[own], pk[own], dpt[own]
    ok = fed[dl_k, dl_d, dl_t]
    dl_j, dl_k, dl_d, dl_t = dl_j[ok], dl_k[ok], dl_d[ok], dl_t[ok]
    dl_late = np.maximum(dl_t - g.dg_need[dl_j], 0)
    dl_p = g.dg_priority[dl_j]

    # rows: [supply groups | demand groups | hub stock | hub out | point stock | capacity]
    nS, nJ = len(sgs), len(dgs)
    j_row = np.full(len(g.dg_need), -1, dtype=_I)
    j_row[dgs] = nS + np.arange(nJ)
    hub_base = nS + nJ
    out_base = hub_base + K * nH * H
    pt_base = out_base + K * nH * H
    cap_base = pt_base + K * nD * H

    def hub_node(k: np.ndarray, h: np.ndarray, t: np.ndarray) -> np.ndarray:
        return np.asarray(hub_base + (k * nH + h) * H + t, dtype=_I)

    def pt_node(k: np.ndarray, d: np.ndarray, t: np.ndarray) -> np.ndarray:
        return np.asarray(pt_base + (k * nD + d) * H + t, dtype=_I)

    ns, nhw, nsh, npw, ndl, nth = len(s_idx), len(hw_t), len(sh_t), len(ow_t), len(dl_t), len(th_t)
    ncols = ns + nhw + nsh + npw + ndl + nth
    sizes = [ns, nhw, nsh, npw, ndl, nth]
    first = np.cumsum([0, *sizes])
    c_s, c_hw, c_sh, c_pw, c_dl, c_th = (first[i] + np.arange(sizes[i]) for i in range(6))
    cap_row_full = cap_base + (th_h * (nDom + 1) + th_slot) * H + th_t
    parts_rows = [
        s_idx,
        hub_node(sk[s_idx], s_h, s_e),  # supply: group row, hub stock
        hub_node(hw_k, hw_h, hw_t),
        hub_node(hw_k, hw_h, hw_t + 1),
        hub_node(sh_k, sh_h, sh_t) - hub_base + out_base,
        pt_node(sh_k, sh_d, sh_t2),
        hub_node(ow_k, ow_h, ow_t) - hub_base + out_base,
        hub_node(ow_k, ow_h, ow_t + 1) - hub_base + out_base,
        pt_node(dl_k, dl_d, dl_t),
        j_row[dl_j],
        hub_node(th_k, th_h, th_t),
        hub_node(th_k, th_h, th_t) - hub_base + out_base,
        cap_row_full,
    ]
    part_cols = [c_s, c_s, c_hw, c_hw, c_sh, c_sh, c_pw, c_pw, c_dl, c_dl, c_th, c_th, c_th]
    one = np.ones
    part_vals = [
        one(ns),
        one(ns),
        -one(nhw),
        one(nhw),
        -one(nsh),
        one(nsh),
        -one(npw),
        one(npw),
        -one(ndl),
        one(ndl),
        -one(nth),
        one(nth),
        one(nth),
    ]
    rows = np.concatenate(parts_rows)
    cols = np.concatenate(part_cols)
    vals = np.concatenate(part_vals)

    # compress rows: group rows keep their places, other rows only if used
    used = np.unique(rows[rows >= hub_base])
    bal = used[used < cap_base]
    capr = used[used >= cap_base]
    remap_src = np.concatenate([np.arange(hub_base), used])
    new_rows = np.searchsorted(remap_src, rows)
    n_rows = hub_base + len(used)
    matrix = sp.csc_matrix((vals, (new_rows, cols)), shape=(n_rows, ncols))
    matrix.sort_indices()
    seg = np.split(new_rows, np.cumsum([len(x) for x in parts_rows])[:-1])
    tail = np.concatenate([seg[0], seg[2], seg[4], seg[6], seg[8], seg[10]])
    head = np.concatenate([seg[1], seg[3], seg[5], seg[7], seg[9], seg[11]])

    cpos = capr - cap_base
    hub_names, point_names = stable_names(g.hubs), stable_names(g.points)
    slot_names = stable_names([*g.domains, "*"])
    comm_names = g.commodity_names[comm]
    row_names = np.concatenate(
        [
            _mix(nS, 1, g.sg_names[sgs]),
            _mix(nJ, 2, g.dg_names[dgs]),
            _balance_names(bal - hub_base, comm_names, hub_names, point_names, H),
            _mix(
                len(capr),
                6,
                hub_names[cpos // H // (nDom + 1)],
                slot_names[(cpos // H) % (nDom + 1)],
                cpos % H,
            ),
        ]
    )
    cap_vals = capacity[cpos // H // (nDom + 1), (cpos // H) % (nDom + 1), cpos % H]
    row_upper = np.concatenate(
        [
            g.sg_quantity[sgs].astype(float),
            g.dg_quantity[dgs].astype(float),
            np.zeros(len(bal)),
            cap_vals,
        ]
    )
    row_lower = np.concatenate(
        [np.full(nS + nJ, -np.inf), np.zeros(len(bal)), np.full(len(capr), -np.inf)]
    )

    tc = par.transport_cost
    w = np.array([par.priority_weights.get(p, 0.0) for p in range(6)])
    cost = np.concatenate(
        [
            -tc * tr_oh[g.sg_origin[sgs][s_idx], s_h],
            np.zeros(nhw),
            -tc * (sh_t2 - sh_t),
            np.zeros(npw),
            w[dl_p] * (1.0 - par.lateness_penalty * dl_late),
            np.zeros(nth),
        ]
    )

    def cat(*a: np.ndarray) -> np.ndarray:
        return np.concatenate([np.asarray(x, dtype=_I) for x in a])

    def m1(n: int) -> np.ndarray:
        return np.full(n, -1, dtype=_I)

    def z(n: int) -> np.ndarray:
        return np.zeros(n, dtype=_I)

    kind = cat(
        z(ns),
        one(nhw) * HUB_WAIT,
        one(nsh) * SHIP,
        one(npw) * OUT_WAIT,
        one(ndl) * DELIVER,
        one(nth) * THROUGH,
    )
    col_k = cat(sk[s_idx], hw_k, sh_k, ow_k, dl_k, th_k)
    col_grp = cat(sgs[s_idx], m1(nhw), m1(nsh), m1(npw), dl_j, m1(nth))
    col_h = cat(s_h, hw_h, sh_h, ow_h, m1(ndl), th_h)
    col_d = cat(m1(ns), m1(nhw), sh_d, m1(npw), dl_d, m1(nth))
    col_t = cat(s_e, hw_t, sh_t, ow_t, dl_t, th_t)
    col_t2 = cat(m1(ns), m1(nhw), sh_t2, m1(npw), m1(ndl), m1(nth))
    grp_names = np.zeros(ncols, dtype=np.uint64)
    grp_names[:ns] = g.sg_names[sgs[s_idx]]
    grp_names[first[4] : first[5]] = g.dg_names[dl_j]
    col_names = _mix(
        ncols,
        kind,
        comm_names[col_k],
        grp_names,
        np.where(col_h >= 0, hub_names[np.maximum(col_h, 0)], 0),
        np.where(col_d >= 0, point_names[np.maximum(col_d, 0)], 0),
        col_t,
        col_t2,
    )

    return Network(
        n_rows=n_rows,
        n_cols=ncols,
        cost=cost,
        row_upper=row_upper,
        row_lower=row_lower,
        matrix=matrix,
        kind=kind,
        k=col_k,
        grp=col_grp,
        h=col_h,
        d=col_d,
        t=col_t,
        t2=col_t2,
        tail=tail,
        head=head,
        cap_row=cat(m1(ns + nhw + nsh + npw + ndl), seg[12]),
        priority=cat(z(ns + nhw + nsh + npw), dl_p, z(nth)),
        lateness=cat(z(ns + nhw + nsh + npw), dl_late, z(nth)),
        sg_rows=sgs,
        dg_rows=dgs,
        balance_rows=len(bal),
        node_of_row=bal,
        total_supply=int(g.sg_quantity[sgs].sum()),
        col_names=col_names,
        row_names=row_names,
    )
