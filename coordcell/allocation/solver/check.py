"""Plan value and the feasibility checker (usable on hand-edited or third-party plans)."""

from __future__ import annotations

from collections import defaultdict

from .model import DemandResult, Flow, Instance, Plan


def flow_value(inst: Instance, flow: Flow, need_by: int, priority: int, origin: str) -> float:
    """Value of one flow: priority weight x lateness factor minus transport cost."""
    par = inst.parameters
    late = max(0, flow.arrival_period - need_by)
    transit = flow.arrival_period - flow.dispatch_period
    return flow.quantity * (par.unit_value(priority, late) - par.transport_cost * transit)


def evaluate(inst: Instance, flows: tuple[Flow, ...]) -> tuple[float, tuple[DemandResult, ...]]:
    """Objective value of ``flows`` and the per-requirement delivered quantities."""
    dem = {d.id: d for d in inst.demands}
    sup = {s.id: s for s in inst.supplies}
    on_time: dict[str, int] = defaultdict(int)
    late: dict[str, int] = defaultdict(int)
    value = 0.0
    for f in flows:
        d = dem[f.demand_id]
        value += flow_value(inst, f, d.need_by_period, d.priority, sup[f.supply_id].origin)
        if f.arrival_period <= d.need_by_period:
            on_time[d.id] += f.quantity
        else:
            late[d.id] += f.quantity
    results = tuple(
        DemandResult(d.id, on_time[d.id], late[d.id], d.quantity - on_time[d.id] - late[d.id])
        for d in sorted(inst.demands, key=lambda d: d.id)
    )
    return value, results


def check_plan(inst: Instance, plan: Plan) -> list[str]:
    """Every violation of the instance's rules by ``plan``, as sentences (empty: feasible).

    Checks: unknown ids, non-positive quantities, supply or demand exceeded, hub capacity
    exceeded in a week, incompatible category, disallowed hub or capability, dispatch before
    availability, missing route or transit inconsistent with the route, lateness beyond the
    maximum, periods outside the horizon.
    """
    out: list[str] = []
    par = inst.parameters
    dom = inst.domain_of()
    dem = {d.id: d for d in inst.demands}
    sup = {s.id: s for s in inst.supplies}
    hubs = {h.id: h for h in inst.hubs}
    used_s: dict[str, int] = defaultdict(int)
    used_d: dict[str, int] = defaultdict(int)
    used_h: dict[tuple[str, str, int], int] = defaultdict(int)
    for n, f in enumerate(plan.flows):
        where = f"flow {n} ({f.supply_id} -> {f.hub_id} -> {f.demand_id})"
        s, d, h = sup.get(f.supply_id), dem.get(f.demand_id), hubs.get(f.hub_id)
        if s is None or d is None or h is None:
            out.append(f"{where}: unknown pledge, requirement or hub")
            continue
        if f.quantity <= 0:
            out.append(f"{where}: quantity {f.quantity} is not positive")
        used_s[s.id] += f.quantity
        used_d[d.id] += f.quantity
        key = (
            ("*", h.id, f.hub_period)
            if h.shared_capacity is not None
            else (dom.get(s.category, "?"), h.id, f.hub_period)
        )
        used_h[key] += f.quantity
        if s.category not in inst.serving_categories(d.category):
            out.append(f"{where}: category {s.category} cannot serve {d.category}")
        if s.allowed_hubs is not None and h.id not in s.allowed_hubs:
            out.append(f"{where}: pledge not allowed through hub {h.id}")
        if s.allowed_capabilities is not None and d.capability not in s.allowed_capabilities:
            out.append(f"{where}: pledge not allowed for capability {d.capability}")
        if f.dispatch_period < s.available_period:
            out.append(
                f"{where}: dispatched in week {f.dispatch_period}, "
                f"available only from week {s.available_period}"
            )
        t1 = inst.origin_to_hub.get((s.origin, h.id))
        t2 = inst.hub_to_point.get((h.id, d.delivery_point))
        if t1 is None or t2 is None:
            out.append(f"{where}: no route {s.origin} -> {h.id} -> {d.delivery_point}")
        elif f.hub_period != f.dispatch_period + t1 or f.arrival_period != f.hub_period + t2:
            out.append(
                f"{where}: weeks {f.dispatch_period}/{f.hub_period}/{f.arrival_period} "
                f"inconsistent with transit {t1}+{t2}"
            )
        if f.arrival_period - d.need_by_period > par.max_lateness:
            out.append(
                f"{where}: {f.arrival_period - d.need_by_period} weeks late, "
                f"maximum {par.max_lateness}"
            )
        if f.dispatch_period < 0 or f.arrival_period >= inst.horizon:
            out.append(f"{where}: outside the horizon 0..{inst.horizon - 1}")
    for sid, q in sorted(used_s.items()):
        if q > sup[sid].quantity:
            out.append(f"pledge {sid}: {q} allocated, only {sup[sid].quantity} pledged")
    for did, q in sorted(used_d.items()):
        if q > dem[did].quantity:
            out.append(f"requirement {did}: {q} allocated, only {dem[did].quantity} required")
    for (domain, hid, t), q in sorted(used_h.items()):
        cap = hubs[hid].capacity_for(domain, t)
        if q > cap:
            what = "all domains" if domain == "*" else domain
            out.append(f"hub {hid} week {t}: {q} units of {what}, capacity {cap}")
    return out


class InstanceError(ValueError):
    """The instance breaks a rule; ``problems`` lists every one (field, id, value, rule)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
        super().__init__("; ".join(problems[:10]) + more)


def validate_instance(inst: Instance) -> list[str]:
    """Problems a user can fix in an instance, one sentence each (empty: valid)."""
    out: list[str] = []
    H = inst.horizon
    cats = inst.domain_of()
    hubs = {h.id for h in inst.hubs}
    if H <= 0:
        out.append(f"horizon: {H} must be at least 1 week")
    for kind, items in (("supply", inst.supplies), ("demand", inst.demands)):
        ids = [x.id for x in items]
        if len(set(ids)) != len(ids):
            out.append(f"{kind} ids must be unique")
    for s in inst.supplies:
        if s.category not in cats:
            out.append(f"supply {s.id}: unknown category {s.category!r}")
        if s.quantity <= 0:
            out.append(f"supply {s.id}: quantity {s.quantity} must be positive")
        if not 0 <= s.available_period < H:
            out.append(f"supply {s.id}: available_period {s.available_period} outside 0..{H - 1}")
        for h in sorted(s.allowed_hubs or ()):
            if h not in hubs:
                out.append(f"supply {s.id}: allowed hub {h!r} does not exist")
    for d in inst.demands:
        if d.category not in cats:
            out.append(f"demand {d.id}: unknown category {d.category!r}")
        if d.quantity <= 0:
            out.append(f"demand {d.id}: quantity {d.quantity} must be positive")
        if not 0 <= d.need_by_period < H:
            out.append(f"demand {d.id}: need_by_period {d.need_by_period} outside 0..{H - 1}")
        if d.priority not in inst.parameters.priority_weights:
            out.append(f"demand {d.id}: priority {d.priority} has no weight (allowed: 1..5)")
    cap = inst.parameters.hub_share_cap
    if cap is not None and not 0 < cap <= 1:
        out.append(f"parameters: hub_share_cap {cap} must be above 0 and at most 1")
    if cap is not None and inst.parameters.lexicographic:
        out.append("parameters: hub_share_cap applies to the weighted plan, not lexicographic")
    for key, v in sorted({**inst.origin_to_hub, **inst.hub_to_point}.items()):
        if v < 0:
            out.append(f"route {key[0]} -> {key[1]}: transit {v} weeks must not be negative")
    return out
