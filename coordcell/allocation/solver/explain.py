"""Why a requirement is not met in full and on time, in terms a staff officer understands.

The reasons are derived from the instance and the plan: which compatible pledges exist, which of
them the requirement may use (capability, hubs, routes), when they can arrive at the earliest,
which other requirements received them, and which hub capacities are full (binding) in the weeks
an on-time delivery would have needed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from .model import Demand, Hub, Instance, Plan, Supply


class ReasonCode:
    """Reason codes (stable strings, for filters and translations)."""

    NO_COMPATIBLE_SUPPLY = "no_compatible_supply"
    RESTRICTED_CAPABILITY = "restricted_capability"
    RESTRICTED_HUBS = "restricted_hubs"
    NO_ROUTE = "no_route"
    LATE_SUPPLY = "late_supply"
    TOO_LATE = "too_late"
    HUB_CAPACITY_FULL = "hub_capacity_full"
    SUPPLY_TO_OTHER = "supply_to_other"
    INSUFFICIENT_SUPPLY = "insufficient_supply"


@dataclass(frozen=True, slots=True)
class Reason:
    """One reason: ``code`` (:class:`ReasonCode`), ``text`` for people, structured fields."""

    code: str
    text: str
    hub_id: str | None = None
    weeks: tuple[int, ...] = ()
    week: int | None = None
    competing_demand_id: str | None = None
    competing_priority: int | None = None
    supply_ids: tuple[str, ...] = field(default=())
    quantity: int | None = None


def _ranges(weeks: list[int]) -> str:
    """``[3, 4, 5, 6, 9]`` -> ``"3-6, 9"``."""
    spans: list[tuple[int, int]] = []
    for w in sorted(weeks):
        if spans and spans[-1][1] == w - 1:
            spans[-1] = (spans[-1][0], w)
        else:
            spans.append((w, w))
    return ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in spans)


def explain(instance: Instance, plan: Plan, max_competitors: int = 3) -> dict[str, list[Reason]]:
    """Reasons for every requirement not met in full on time (keys sorted by requirement id)."""
    inst = instance
    par = inst.parameters
    dom = inst.domain_of()
    hubs = {h.id: h for h in inst.hubs}
    hub_ids = sorted(hubs)
    by_cat: dict[str, list[Supply]] = defaultdict(list)
    for s in sorted(inst.supplies, key=lambda s: s.id):
        by_cat[s.category].append(s)
    demands = {d.id: d for d in inst.demands}
    sup = {s.id: s for s in inst.supplies}
    used: dict[tuple[str, str, int], int] = defaultdict(int)  # (hub, domain or *, week)
    given: dict[str, list[tuple[str, int]]] = defaultdict(list)  # supply -> (demand, qty)
    for f in plan.flows:
        cat = sup[f.supply_id].category
        key_dom = "*" if hubs[f.hub_id].shared_capacity is not None else dom[cat]
        used[(f.hub_id, key_dom, f.hub_period)] += f.quantity
        given[f.supply_id].append((f.demand_id, f.quantity))
    results = {r.demand_id: r for r in plan.demand_results}
    out: dict[str, list[Reason]] = {}
    for d in sorted(inst.demands, key=lambda d: d.id):
        r = results.get(d.id)
        if r is not None and r.on_time >= d.quantity:
            continue
        out[d.id] = _reasons(
            inst,
            d,
            by_cat,
            hubs,
            hub_ids,
            used,
            given,
            demands,
            dom,
            par.max_lateness,
            max_competitors,
        )
    return out


def _reasons(
    inst: Instance,
    d: Demand,
    by_cat: dict[str, list[Supply]],
    hubs: dict[str, Hub],
    hub_ids: list[str],
    used: dict[tuple[str, str, int], int],
    given: dict[str, list[tuple[str, int]]],
    demands: dict[str, Demand],
    dom: dict[str, str],
    max_late: int,
    max_competitors: int,
) -> list[Reason]:
    compatible = [s for c in sorted(inst.serving_categories(d.category)) for s in by_cat.get(c, ())]
    if not compatible:
        return [
            Reason(
                ReasonCode.NO_COMPATIBLE_SUPPLY, f"no compatible supply pledged for {d.category}"
            )
        ]
    cap_ok = [
        s
        for s in compatible
        if s.allowed_capabilities is None or d.capability in s.allowed_capabilities
    ]
    if not cap_ok:
        return [
            Reason(
                ReasonCode.RESTRICTED_CAPABILITY,
                "compatible pledges are restricted to other capabilities",
                supply_ids=tuple(s.id for s in compatible[:10]),
            )
        ]
    routed: list[tuple[Supply, list[tuple[str, int, int]]]] = []  # (supply, [(hub, t1, t2)])
    hub_blocked = False
    for s in cap_ok:
        rts = []
        for h in hub_ids:
            t1 = inst.origin_to_hub.get((s.origin, h))
            t2 = inst.hub_to_point.get((h, d.delivery_point))
            if t1 is None or t2 is None:
                continue
            if s.allowed_hubs is not None and h not in s.allowed_hubs:
                hub_blocked = True
                continue
            rts.append((h, t1, t2))
        if rts:
            routed.append((s, rts))
    if not routed:
        if hub_blocked:
            return [
                Reason(
                    ReasonCode.RESTRICTED_HUBS,
                    "compatible pledges are restricted to hubs with no route to "
                    f"{d.delivery_point}",
                )
            ]
        return [
            Reason(
                ReasonCode.NO_ROUTE,
                f"no route from the compatible pledges' depots to {d.delivery_point}",
            )
        ]
    reasons: list[Reason] = []
    earliest = min(s.available_period + t1 + t2 for s, rts in routed for _, t1, t2 in rts)
    if earliest > d.need_by_period:
        if earliest > min(d.need_by_period + max_late, inst.horizon - 1):
            reasons.append(
                Reason(
                    ReasonCode.TOO_LATE,
                    f"compatible supply can arrive only from week {earliest}, more than "
                    f"{max_late} weeks after the need-by week {d.need_by_period}",
                    week=earliest,
                )
            )
            return reasons
        reasons.append(
            Reason(
                ReasonCode.LATE_SUPPLY,
                f"compatible supply available only from week {earliest} "
                f"(need-by week {d.need_by_period})",
                week=earliest,
            )
        )
    on_time = [
        (s, rts)
        for s, rts in routed
        if any(s.available_period + t1 + t2 <= d.need_by_period for _, t1, t2 in rts)
    ]
    usable_q = sum(s.quantity for s, _ in on_time)
    # pledges that could have arrived on time but went to other requirements
    competitors: dict[str, int] = defaultdict(int)
    comp_supply: dict[str, list[str]] = defaultdict(list)
    for s, _ in on_time:
        for did, q in given.get(s.id, ()):
            if did != d.id:
                competitors[did] += q
                comp_supply[did].append(s.id)
    ranked = sorted(competitors, key=lambda i: (demands[i].priority, -competitors[i], i))
    for did in ranked[:max_competitors]:
        o = demands[did]
        reasons.append(
            Reason(
                ReasonCode.SUPPLY_TO_OTHER,
                f"supply given to priority-{o.priority} requirement {did} instead "
                f"({competitors[did]} units)",
                competing_demand_id=did,
                competing_priority=o.priority,
                supply_ids=tuple(sorted(set(comp_supply[did]))),
                quantity=competitors[did],
            )
        )
    # full hubs in the weeks an on-time delivery would pass them
    full: dict[str, set[int]] = defaultdict(set)
    for s, rts in on_time:
        for h, t1, t2 in rts:
            hub = hubs[h]
            key_dom = "*" if hub.shared_capacity is not None else dom[s.category]
            for t in range(s.available_period + t1, d.need_by_period - t2 + 1):
                if used[(h, key_dom, t)] >= hub.capacity_for(dom[s.category], t):
                    full[h].add(t)
    for h in sorted(full):
        hub = hubs[h]
        what = "all domains" if hub.shared_capacity is not None else dom[d.category]
        weeks = sorted(full[h])
        reasons.append(
            Reason(
                ReasonCode.HUB_CAPACITY_FULL,
                f"hub {hub.name} capacity for {what} full in "
                f"week{'s' if len(weeks) > 1 else ''} {_ranges(weeks)}",
                hub_id=h,
                weeks=tuple(weeks),
            )
        )
    if usable_q < d.quantity:
        reasons.append(
            Reason(
                ReasonCode.INSUFFICIENT_SUPPLY,
                f"only {usable_q} compatible units can arrive by week {d.need_by_period}, "
                f"{d.quantity} required",
                quantity=usable_q,
            )
        )
    if hub_blocked:
        reasons.append(
            Reason(
                ReasonCode.RESTRICTED_HUBS, "some compatible pledges are restricted to other hubs"
            )
        )
    return reasons
