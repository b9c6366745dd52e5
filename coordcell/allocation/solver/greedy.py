"""The hand method, for comparison only: requirements by priority then need-by week; each takes
the first compatible pledge available (earliest, then by id) through the hub giving the earliest
arrival with capacity left, until met or nothing usable is left."""

from __future__ import annotations

import heapq
import itertools
from collections import defaultdict

from .check import evaluate
from .model import Flow, Instance, Plan, PlanStatus, SolveStats, Supply


def greedy(instance: Instance) -> Plan:
    """Plan by the hand method (no optimisation, no bound); respects every rule of check_plan."""
    inst = instance
    par = inst.parameters
    H, L = inst.horizon, par.max_lateness
    dom = inst.domain_of()
    hubs = sorted(inst.hubs, key=lambda h: h.id)
    residual: dict[tuple[str, str], list[int]] = {}

    def cap_key(hub_i: int, domain: str) -> tuple[str, str]:
        h = hubs[hub_i]
        return (h.id, "*" if h.shared_capacity is not None else domain)

    nxt: dict[tuple[str, str], list[int]] = {}  # next week >= t with capacity left (or H)
    for i, h in enumerate(hubs):
        for dm in sorted(set(dom.values())):
            k = cap_key(i, dm)
            if k not in residual:
                residual[k] = [h.capacity_for(dm, t) for t in range(H)]
                nxt[k] = [t if residual[k][t] > 0 else t + 1 for t in range(H)] + [H]

    def free_week(k: tuple[str, str], t: int) -> int:
        n = nxt[k]
        root = t
        while n[root] != root:
            root = n[root]
        while n[t] != root:  # path compression
            n[t], t = root, n[t]
        return root

    by_cat: dict[str, list[Supply]] = defaultdict(list)
    for s in sorted(inst.supplies, key=lambda s: (s.available_period, s.id)):
        by_cat[s.category].append(s)
    left = {s.id: s.quantity for s in inst.supplies}
    # routes of each pledge: (hub index, hub id, transit origin->hub, capacity key)
    routes = {
        s.id: [
            (hi, h.id, t1, cap_key(hi, dom[s.category]))
            for hi, h in enumerate(hubs)
            if (s.allowed_hubs is None or h.id in s.allowed_hubs)
            and (t1 := inst.origin_to_hub.get((s.origin, h.id))) is not None
        ]
        for s in inst.supplies
    }
    to_point = {
        (hi, p): t
        for hi, h in enumerate(hubs)
        for (hid, p), t in inst.hub_to_point.items()
        if hid == h.id
    }
    head = dict.fromkeys(by_cat, 0)  # first pledge of each category with something left
    flows: list[Flow] = []
    for d in sorted(inst.demands, key=lambda d: (d.priority, d.need_by_period, d.id)):
        need = d.quantity
        last = min(d.need_by_period + L, H - 1)
        lists: list[itertools.islice[Supply]] = []
        for c in sorted(inst.serving_categories(d.category)):
            lst = by_cat.get(c)
            if lst:
                while head[c] < len(lst) and left[lst[head[c]].id] == 0:
                    head[c] += 1
                lists.append(itertools.islice(lst, head[c], None))
        for s in heapq.merge(*lists, key=lambda s: (s.available_period, s.id)):
            if need == 0 or s.available_period > last:
                break
            if left[s.id] == 0:
                continue
            if s.allowed_capabilities is not None and d.capability not in s.allowed_capabilities:
                continue
            while need > 0 and left[s.id] > 0:
                best: tuple[int, str, int, int] | None = None  # (arrival, hub id, hub index, week)
                for hi, hub_id, t1, key in routes[s.id]:
                    t2 = to_point.get((hi, d.delivery_point))
                    if t2 is None or s.available_period + t1 >= H:
                        continue  # no route, or at the hub only after the horizon
                    t = free_week(key, s.available_period + t1)
                    if t <= last - t2 and (best is None or (t + t2, hub_id) < best[:2]):
                        best = (t + t2, hub_id, hi, t)
                if best is None:
                    break
                arrival, hub_id, hi, t = best
                key = cap_key(hi, dom[s.category])
                res = residual[key]
                q = min(need, left[s.id], res[t])
                res[t] -= q
                if res[t] == 0:
                    nxt[key][t] = t + 1
                left[s.id] -= q
                need -= q
                t1 = inst.origin_to_hub[(s.origin, hub_id)]
                flows.append(Flow(s.id, hub_id, d.id, q, t - t1, t, arrival))
    merged: dict[tuple[str, str, str, int, int, int], int] = defaultdict(int)
    for f in flows:
        merged[
            (f.supply_id, f.hub_id, f.demand_id, f.dispatch_period, f.hub_period, f.arrival_period)
        ] += f.quantity
    out = tuple(Flow(k[0], k[1], k[2], q, k[3], k[4], k[5]) for k, q in sorted(merged.items()))
    objective, results = evaluate(inst, out)
    status = PlanStatus.HEURISTIC if out else PlanStatus.EMPTY
    return Plan(status, out, objective, None, None, results, SolveStats(method="greedy"))
