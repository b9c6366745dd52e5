"""What a plan loses when a hub is lost: exposure, N-1 re-planning, the worst single-hub loss.

* :func:`exposure` (no solve): per hub and week the priority-1 and all units passing the hub,
  as a share of what passes every hub that week, and the hubs ranked by the priority-1 units
  on time that pass them (what their loss cuts before anyone re-plans).
* :func:`n_minus_one` (re-solves): for each hub, closed over the whole horizon or a window of
  weeks, the plan re-optimised without it.  Only the parts (domains) whose plan passes the hub in
  the closed weeks are solved again (closing a hub only takes options away: a part that did not
  use it keeps its plan, which stays optimal), one job per part (split when it would
  outlast the others) over the worker processes (its network built once, each hub closed by
  removing its through arcs), each closure kept from the nominal part's LP rounded when that is
  good enough, else re-solved exactly by the simplex (each from the last closure's basis) or by
  PDLP warm-started from its LP, and bounded by the nominal part's bound.
* :func:`worst_single_hub_loss`: the largest number of priority-1 units on time that one hub
  carries (the measure the resilient option, ``Parameters.hub_share_cap``, lowers).

Readiness of a capability here is the week its last requirement is complete (every unit of
every requirement of that capability delivered, on time or late; an early arrival counts from
its need-by week); ``None`` if the plan never
completes it.  The Django side maps capabilities onto capability packages and weeks onto days.
"""

from __future__ import annotations

import dataclasses
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .check import evaluate
from .model import Flow, Hub, Instance, Plan

if TYPE_CHECKING:
    from .optimise import PartJob

P1 = 1


@dataclass(frozen=True, slots=True)
class HubWeek:
    """Units leaving ``hub_id`` in week ``period`` and their share of all hubs' that week."""

    hub_id: str
    period: int
    p1_units: int
    all_units: int
    p1_share: float
    all_share: float


@dataclass(frozen=True, slots=True)
class HubExposure:
    """One hub over the whole plan: priority-1 units on time passing it (lost with it, before
    re-planning), their share of the plan's priority-1 units on time, and all units."""

    hub_id: str
    p1_on_time: int
    p1_on_time_share: float
    all_units: int
    peak_p1_share: float  # the largest weekly share of priority-1 units


@dataclass(frozen=True, slots=True)
class Exposure:
    """Exposure of a plan: ``weeks`` sorted by hub and week; ``hubs`` ranked, the single points
    of failure first (most priority-1 units on time, then most units, then id)."""

    weeks: tuple[HubWeek, ...]
    hubs: tuple[HubExposure, ...]
    p1_demand: int
    p1_on_time: int


def _is_on_time(inst_need: dict[str, int], f: Flow) -> bool:
    return f.arrival_period <= inst_need[f.demand_id]


def exposure(inst: Instance, plan: Plan) -> Exposure:
    """Per hub and week, the priority-1 and all units passing it; hubs ranked by how many
    priority-1 units on time their loss would cut (see module docstring)."""
    prio = {d.id: d.priority for d in inst.demands}
    need = {d.id: d.need_by_period for d in inst.demands}
    p1w: dict[tuple[str, int], int] = defaultdict(int)
    allw: dict[tuple[str, int], int] = defaultdict(int)
    week_p1: dict[int, int] = defaultdict(int)
    week_all: dict[int, int] = defaultdict(int)
    hub_p1_on_time: dict[str, int] = defaultdict(int)
    hub_all: dict[str, int] = defaultdict(int)
    for f in plan.flows:
        key = (f.hub_id, f.hub_period)
        allw[key] += f.quantity
        week_all[f.hub_period] += f.quantity
        hub_all[f.hub_id] += f.quantity
        if prio.get(f.demand_id) == P1:
            p1w[key] += f.quantity
            week_p1[f.hub_period] += f.quantity
            if _is_on_time(need, f):
                hub_p1_on_time[f.hub_id] += f.quantity
    weeks = tuple(
        HubWeek(
            h,
            t,
            p1w[(h, t)],
            allw[(h, t)],
            p1w[(h, t)] / week_p1[t] if week_p1[t] else 0.0,
            allw[(h, t)] / week_all[t] if week_all[t] else 0.0,
        )
        for (h, t) in sorted(allw)
    )
    p1_on_time = sum(hub_p1_on_time.values())
    peak: dict[str, float] = defaultdict(float)
    for w in weeks:
        peak[w.hub_id] = max(peak[w.hub_id], w.p1_share)
    hubs = tuple(
        sorted(
            (
                HubExposure(
                    h.id,
                    hub_p1_on_time[h.id],
                    hub_p1_on_time[h.id] / p1_on_time if p1_on_time else 0.0,
                    hub_all[h.id],
                    peak[h.id],
                )
                for h in inst.hubs
            ),
            key=lambda e: (-e.p1_on_time, -e.all_units, e.hub_id),
        )
    )
    p1_demand = sum(d.quantity for d in inst.demands if d.priority == P1)
    return Exposure(weeks, hubs, p1_demand, p1_on_time)


def worst_single_hub_loss(inst: Instance, plan: Plan) -> int:
    """The most priority-1 units on time that pass one hub (0 for an empty plan)."""
    return max((e.p1_on_time for e in exposure(inst, plan).hubs), default=0)


@dataclass(frozen=True, slots=True)
class CapabilityMove:
    """A capability whose readiness week moves when a hub is lost: ``weeks`` later (positive)
    or earlier; ``None`` when it is no longer (``before`` set) or now (``after`` set) complete
    within the plan."""

    capability: str
    before: int | None
    after: int | None

    @property
    def weeks(self) -> int | None:
        if self.before is None or self.after is None:
            return None
        return self.after - self.before


@dataclass(frozen=True, slots=True)
class HubLoss:
    """The plan re-optimised without ``hub_id`` in ``closed`` (first, last week, inclusive)."""

    hub_id: str
    closed: tuple[int, int]
    p1_on_time: int
    p1_on_time_nominal: int
    objective: float
    objective_nominal: float
    delivered: int  # units delivered (on time or late)
    delivered_nominal: int
    moves: tuple[CapabilityMove, ...]
    parts_resolved: int
    gap: float | None  # of the re-solved parts (their bound), None if nothing was re-solved

    @property
    def p1_lost(self) -> int:
        return self.p1_on_time_nominal - self.p1_on_time


@dataclass(frozen=True, slots=True)
class NMinusOne:
    """Every hub's :class:`HubLoss`, the worst (most priority-1 units lost) first."""

    losses: tuple[HubLoss, ...]
    seconds: float
    parts_resolved: int

    @property
    def worst_p1_on_time(self) -> int | None:
        return min((loss.p1_on_time for loss in self.losses), default=None)


def _p1_on_time(inst: Instance, plan_results: tuple[object, ...]) -> int:
    p1 = {d.id for d in inst.demands if d.priority == P1}
    return sum(r.on_time for r in plan_results if r.demand_id in p1)  # type: ignore[attr-defined]


def readiness_weeks(inst: Instance, flows: tuple[Flow, ...]) -> dict[str, int | None]:
    """Capability -> week its last requirement is complete, no earlier than its need-by week
    (``None``: never within the plan)."""
    qty = {d.id: d.quantity for d in inst.demands}
    got: dict[str, int] = defaultdict(int)
    last: dict[str, int] = defaultdict(int)
    for f in flows:
        got[f.demand_id] += f.quantity
        last[f.demand_id] = max(last[f.demand_id], f.arrival_period)
    complete: dict[str, bool] = {}
    week: dict[str, int] = {}
    for d in inst.demands:
        if d.capability is None:
            continue
        c = d.capability
        complete[c] = complete.get(c, True) and got[d.id] >= qty[d.id]
        # an early arrival counts from the need-by week: which of several equally good weeks
        # the optimiser picks for it is a tie, not a change of readiness
        week[c] = max(week.get(c, 0), last[d.id], d.need_by_period)
    return {c: week[c] if complete[c] else None for c in complete}


def _moves(
    before: dict[str, int | None], after: dict[str, int | None]
) -> tuple[CapabilityMove, ...]:
    return tuple(
        CapabilityMove(c, before[c], after.get(c))
        for c in sorted(before)
        if before[c] != after.get(c)
    )


def close_hub(inst: Instance, hub_id: str, weeks: tuple[int, int] | None = None) -> Instance:
    """``inst`` with ``hub_id`` closed in ``weeks`` (inclusive; ``None``: the whole horizon)."""
    first, last = weeks if weeks is not None else (0, inst.horizon - 1)
    closed = frozenset(range(max(0, first), min(inst.horizon - 1, last) + 1))

    def shut(h: Hub) -> Hub:
        return (
            dataclasses.replace(h, closed_periods=h.closed_periods | closed)
            if h.id == hub_id
            else h
        )

    return dataclasses.replace(inst, hubs=tuple(shut(h) for h in inst.hubs))


def residual_instance(
    inst: Instance, kept: tuple[Flow, ...], displaced: tuple[Flow, ...]
) -> Instance:
    """What is left to plan when ``kept`` flows stay as they are: the pledges of the
    ``displaced`` flows, with the units ``kept`` leaves them; the requirements their categories
    can serve, with the units ``kept`` leaves open; the hubs' capacity net of what ``kept``
    passes through them each week."""
    dom = inst.domain_of()
    sup = {s.id: s for s in inst.supplies}
    cats = {sup[f.supply_id].category for f in displaced}
    moved = {f.supply_id for f in displaced}
    used_s: dict[str, int] = defaultdict(int)
    used_d: dict[str, int] = defaultdict(int)
    used_h: dict[tuple[str, str, int], int] = defaultdict(int)
    hubs = {h.id: h for h in inst.hubs}
    for f in kept:
        used_s[f.supply_id] += f.quantity
        used_d[f.demand_id] += f.quantity
        slot = "*" if hubs[f.hub_id].shared_capacity is not None else dom[sup[f.supply_id].category]
        used_h[(f.hub_id, slot, f.hub_period)] += f.quantity
    supplies = tuple(
        dataclasses.replace(s, quantity=s.quantity - used_s[s.id])
        for s in inst.supplies
        if s.id in moved and s.quantity > used_s[s.id]
    )
    demands = tuple(
        dataclasses.replace(d, quantity=d.quantity - used_d[d.id])
        for d in inst.demands
        if d.quantity > used_d[d.id] and inst.serving_categories(d.category) & cats
    )
    net_caps: dict[str, dict[tuple[str, int], int]] = defaultdict(dict)
    for (hid, slot, t), q in used_h.items():
        h = hubs[hid]
        net_caps[hid][(slot, t)] = max(0, h.capacity_for(slot, t) - q)
    new_hubs = tuple(
        dataclasses.replace(h, period_capacity={**h.period_capacity, **net_caps[h.id]})
        if h.id in net_caps
        else h
        for h in inst.hubs
    )
    return dataclasses.replace(inst, supplies=supplies, demands=demands, hubs=new_hubs)


def n_minus_one(
    inst: Instance,
    plan: Plan,
    hubs: tuple[str, ...] | None = None,
    weeks: tuple[int, int] | None = None,
    cache: object | None = None,
    keep_rest: bool = False,
    gap: float | None = None,
    tolerance: float | None = None,
) -> NMinusOne:
    """For each hub (default: every hub) closed in ``weeks`` (inclusive; default the whole
    horizon), the plan re-optimised without it: priority-1 units on time, value, units
    delivered and the capabilities whose readiness week moves.

    Re-optimised (the default): every part (domain) whose plan passes the hub in those weeks is
    solved again with the hub closed: one job per part (split in two while it would cost more
    than an even share of the processes, :func:`_balanced`) over the worker processes, whose
    network is built once and each hub closed in it (:func:`optimise.close_columns`); a
    closure is kept from the nominal part's LP rounded when ``cache`` (the ``SolveCache`` with
    ``keep_lps`` or ``warm_start`` that solved ``plan``) holds that LP and the result is within
    ``gap`` of the nominal part's bound (when ``cache`` holds the part), else re-solved exactly
    by the simplex, each from the last closure's basis (a job with five or more such closures, or
    once a PDLP closure shows it pays) or by PDLP warm-started from that LP (see
    :func:`optimise._solve_closures`); the other parts
    keep their plan, which stays optimal (closing a hub only takes options away).
    ``keep_rest=True`` is the immediate recourse instead: every flow not passing the hub in
    those weeks stays as planned, and only the displaced pledges are re-planned over the
    requirements still open and the capacity the rest of the plan leaves
    (:func:`residual_instance`).

    ``gap`` and ``tolerance`` (PDLP parts only): how far from its bound a closure may stop
    (default ``PART_GAP``, 0.05%) and the tolerance its PDLP starts at (``CLOSURE_TOLERANCE``).
    A looser gap is faster but blurs the comparison between hubs (medium: 3e-3 saves a quarter
    of the time, while the hubs' values differ by 1e-5 to 3e-4 of each other); each row's
    ``gap`` says how far it may be from the re-optimised plan."""
    from .optimise import (
        CLOSURE_TOLERANCE,
        PART_GAP,
        PartJob,
        SolveCache,
        _digest,
        _part_key,
        _solve_parts,
        solve,
        split_instance,
    )

    t0 = time.perf_counter()
    first, last = weeks if weeks is not None else (0, inst.horizon - 1)
    hub_ids = hubs if hubs is not None else tuple(h.id for h in inst.hubs)
    subs = split_instance(inst)
    dom = inst.domain_of()
    sup_cat = {s.id: s.category for s in inst.supplies}
    part_of_domain = {c.domain: i for i, sub in enumerate(subs) for c in sub.categories}
    flows_by_part: dict[int, list[Flow]] = defaultdict(list)
    for f in plan.flows:
        flows_by_part[part_of_domain[dom[sup_cat[f.supply_id]]]].append(f)
    new_flows: dict[str, tuple[tuple[Flow, ...], float | None, int]] = {}
    if keep_rest:
        for hid in hub_ids:
            hit = [f.hub_id == hid and first <= f.hub_period <= last for f in plan.flows]
            kept = tuple(f for f, h in zip(plan.flows, hit, strict=True) if not h)
            displaced = tuple(f for f, h in zip(plan.flows, hit, strict=True) if h)
            if not displaced:
                new_flows[hid] = (plan.flows, None, 0)
                continue
            res = solve(residual_instance(close_hub(inst, hid, (first, last)), kept, displaced))
            new_flows[hid] = (
                tuple(sorted((*kept, *res.flows), key=_flow_key)),
                res.gap,
                res.stats.parts,
            )
    else:
        warm = cache.warm if isinstance(cache, SolveCache) else {}
        lps = cache.lps if isinstance(cache, SolveCache) else {}
        known = cache.parts if isinstance(cache, SolveCache) else {}
        jobs: list[PartJob] = []
        part_of_job: list[int] = []
        for i, sub in enumerate(subs):
            passed = tuple(
                hid
                for hid in hub_ids
                if any(f.hub_id == hid and first <= f.hub_period <= last for f in flows_by_part[i])
            )
            if not passed:
                continue
            digest = _digest(sub)
            nominal = known.get(digest) if known else None
            jobs.append(
                PartJob(
                    sub,
                    lps.get(digest) or warm.get(_part_key(sub)),
                    close=passed,
                    closed_weeks=(first, last),
                    upper=nominal.bound if nominal is not None else None,
                    tolerance=tolerance if tolerance is not None else CLOSURE_TOLERANCE,
                    gap=gap if gap is not None else PART_GAP,
                )
            )
            part_of_job.append(i)
        size = len(inst.supplies) + len(inst.demands)
        threads = inst.parameters.threads if size >= 2_000 else 1
        jobs, part_of_job = _balanced(jobs, part_of_job, threads)
        # the dearest first (their cost, roughly: closures x pledges and requirements), so that
        # the cheap ones fill the processes' ends
        order = sorted(range(len(jobs)), key=lambda j: (-_job_cost(jobs[j]), j))
        solved = _solve_parts([jobs[j] for j in order], threads) if jobs else []
        by_hub: dict[str, dict[int, tuple[tuple[Flow, ...], float]]] = defaultdict(dict)
        for j, part in zip(order, solved, strict=True):
            for hid, closed in zip(jobs[j].close, part.closures, strict=True):
                by_hub[hid][part_of_job[j]] = (closed.flows, closed.bound)
        for hid in hub_ids:
            resolved = by_hub.get(hid, {})
            flows: list[Flow] = []
            for i in range(len(subs)):
                flows.extend(resolved[i][0] if i in resolved else flows_by_part[i])
            gap = None
            if resolved:
                part_value, _ = evaluate(
                    close_hub(inst, hid, (first, last)),
                    tuple(f for r in resolved.values() for f in r[0]),
                )
                bound = max(sum(r[1] for r in resolved.values()), part_value)
                gap = (bound - part_value) / max(1.0, abs(bound))
            new_flows[hid] = (tuple(sorted(flows, key=_flow_key)), gap, len(resolved))
    nominal_p1 = _p1_on_time(inst, plan.demand_results)
    nominal_delivered = sum(r.on_time + r.late for r in plan.demand_results)
    nominal_ready = readiness_weeks(inst, plan.flows)
    losses = []
    for hid in hub_ids:
        flows_h, gap, parts = new_flows[hid]
        value, results = evaluate(close_hub(inst, hid, (first, last)), flows_h)
        losses.append(
            HubLoss(
                hid,
                (first, last),
                _p1_on_time(inst, results),
                nominal_p1,
                value,
                plan.objective,
                sum(r.on_time + r.late for r in results),
                nominal_delivered,
                _moves(nominal_ready, readiness_weeks(inst, flows_h)),
                parts,
                gap,
            )
        )
    losses.sort(key=lambda x: (x.p1_on_time - x.p1_on_time_nominal, x.objective, x.hub_id))
    return NMinusOne(
        tuple(losses), time.perf_counter() - t0, sum(loss.parts_resolved for loss in losses)
    )


def _job_cost(job: PartJob) -> int:
    """A job's expected cost: its closures times its part's pledges and requirements."""
    return len(job.close) * (len(job.inst.supplies) + len(job.inst.demands))


def _balanced(
    jobs: list[PartJob], part_of_job: list[int], threads: int
) -> tuple[list[PartJob], list[int]]:
    """Split the dearest job's closures in two while it would cost more than an even share of
    the processes' work, so that no one job keeps one process busy after the others are done.
    (A half still builds the part's network, cheap, and, when its closures take the simplex,
    solves the open part again: hence no finer split.)"""
    jobs, part_of_job = list(jobs), list(part_of_job)
    while threads > 1 and jobs:
        total = sum(_job_cost(job) for job in jobs)
        k = max(range(len(jobs)), key=lambda i: (_job_cost(jobs[i]), -i))
        job = jobs[k]
        if len(job.close) < 2 or _job_cost(job) * threads <= total:
            break
        half = len(job.close) // 2
        jobs[k : k + 1] = [
            dataclasses.replace(job, close=job.close[:half]),
            dataclasses.replace(job, close=job.close[half:]),
        ]
        part_of_job[k : k + 1] = [part_of_job[k], part_of_job[k]]
    return jobs, part_of_job


def _flow_key(f: Flow) -> tuple[str, str, str, int, int]:
    return (f.supply_id, f.hub_id, f.demand_id, f.hub_period, f.arrival_period)


@dataclass(frozen=True, slots=True)
class Resilient:
    """The plain plan and the resilient one (``plan``) side by side, with the worst
    single-hub loss of each (:func:`worst_single_hub_loss`).  ``kept_plain``: the capped plan
    lost more to its worst hub than the plain one (possible: the cap holds every unit, the loss
    counts priority-1 units on time), so ``plan`` is the plain plan."""

    plain: Plan
    plan: Plan
    cap: float
    worst_plain: int
    worst: int
    kept_plain: bool

    @property
    def price(self) -> float:
        """Nominal value given up (plain objective minus resilient objective)."""
        return self.plain.objective - self.plan.objective


def _tighter_bound(capped: Plan, plain: Plan) -> Plan:
    """The cap only takes plans away, so the plain problem's bound also bounds the capped one:
    the lower of it and the capped LP's own weak-duality bound (loose with PDLP's duals)."""
    if capped.lp_bound is None or plain.lp_bound is None or plain.lp_bound >= capped.lp_bound:
        return capped
    bound = max(plain.lp_bound, capped.objective)
    gap = (bound - capped.objective) / max(1.0, abs(bound))
    stats = dataclasses.replace(capped.stats, bound_kind="plain-plan-bound")
    return dataclasses.replace(capped, lp_bound=bound, gap=gap, stats=stats)


def plan_resilient(inst: Instance, cap: float, plain: Plan | None = None) -> Resilient:
    """Solve ``inst`` plainly (unless ``plain`` is given) and with ``hub_share_cap=cap``; the
    resilient plan is the capped one unless it loses more to its worst single hub."""
    from .optimise import solve

    plain_inst = dataclasses.replace(
        inst, parameters=dataclasses.replace(inst.parameters, hub_share_cap=None)
    )
    capped_inst = dataclasses.replace(
        inst, parameters=dataclasses.replace(inst.parameters, hub_share_cap=cap)
    )
    plain = plain if plain is not None else solve(plain_inst)
    capped = _tighter_bound(solve(capped_inst), plain)
    worst_plain = worst_single_hub_loss(inst, plain)
    worst = worst_single_hub_loss(inst, capped)
    if worst > worst_plain:
        return Resilient(plain, plain, cap, worst_plain, worst_plain, True)
    return Resilient(plain, capped, cap, worst_plain, worst, False)
