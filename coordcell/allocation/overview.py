"""What a planner asks of a run, in figures and words: the run page's top (issue 21).

- ``demand_met``: the share of each priority's demand met on time and met late;
- ``shortfalls_by_package``: the requirements a run leaves short, grouped by capability package,
  each with its reasons in words and dates (never week numbers or codes);
- ``hubs_near_capacity``: the hub-weeks the plan fills to near their capacity;
- ``reason_words``: one stored shortfall reason (``solver.Reason`` as JSON) in words.

Reads only; the figures come from the run's stored input (the solver's instance, as it was
solved) and its lines (as edited since). Hubs and weeks are route and timing information: these
are for the run's readers only (``selectors.runs_visible_to``).
"""

from __future__ import annotations

import functools
import gzip
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Sum
from django.utils.translation import gettext as _

from coordcell.registry.models import CategoryDomain, Location
from coordcell.registry.templatetags.figures import day, qty

from . import solver
from .models import AllocationRun, Shortfall

PRIORITIES = (1, 2, 3)  # the ones a planner asks about first; the others are summed as "4–5"
NEAR_CAPACITY = 0.9  # a hub-week this full is "near capacity"


@functools.lru_cache(maxsize=8)
def _instance(run_pk: int, input_hash: str, data: bytes) -> solver.Instance:
    # A run's input never changes once solved: its hash names it.
    return solver.instance_from_json(gzip.decompress(data).decode())


def run_instance(run: AllocationRun) -> solver.Instance | None:
    """The solver input the run was solved with (None before it was loaded)."""
    if run.instance_json is None:
        return None
    return _instance(run.pk, run.input_hash, bytes(run.instance_json))


@dataclass(frozen=True)
class PriorityShare:
    """One priority's requirements in the run and the share of their demand the plan meets on
    time and late. Each requirement counts by the share of its own quantity: quantities of
    different units of measure (rounds, litres) are never added up."""

    label: str
    requirements: int
    on_time: float  # the requirements' shares met on time, summed
    late: float
    in_full: int  # requirements met in full and on time

    def _percent(self, part: float) -> float | None:
        return round(100 * part / self.requirements, 1) if self.requirements else None

    @property
    def on_time_percent(self) -> float | None:
        return self._percent(self.on_time)

    @property
    def late_percent(self) -> float | None:
        return self._percent(self.late)

    @property
    def missing_percent(self) -> float | None:
        return self._percent(max(0.0, self.requirements - self.on_time - self.late))


def priority_shares(
    demands: Mapping[str, tuple[int, int]], delivered: Iterable[tuple[str, int, bool]]
) -> list[PriorityShare]:
    """Pure: ``demands`` reference -> (priority, quantity); ``delivered`` (reference, units,
    on time?). Priorities 1, 2, 3 each, then the rest together (only when there is any)."""
    on_time: dict[str, int] = defaultdict(int)
    late: dict[str, int] = defaultdict(int)
    for reference, units, in_time in delivered:
        (on_time if in_time else late)[reference] += units
    count: dict[int, int] = defaultdict(int)
    share_on_time: dict[int, float] = defaultdict(float)
    share_late: dict[int, float] = defaultdict(float)
    in_full: dict[int, int] = defaultdict(int)
    for reference, (priority, quantity) in demands.items():
        key = priority if priority in PRIORITIES else 0
        count[key] += 1
        if quantity <= 0:
            continue
        first = min(1.0, on_time[reference] / quantity)
        share_on_time[key] += first
        share_late[key] += min(1.0 - first, late[reference] / quantity)
        in_full[key] += on_time[reference] >= quantity
    out = [
        PriorityShare(
            _("Priority %(p)s") % {"p": p}, count[p], share_on_time[p], share_late[p], in_full[p]
        )
        for p in PRIORITIES
    ]
    if count[0]:
        out.append(
            PriorityShare(
                _("Priorities 4–5"), count[0], share_on_time[0], share_late[0], in_full[0]
            )
        )
    return out


def demand_met(run: AllocationRun) -> list[PriorityShare]:
    """Per priority: the run's demand (open quantities as solved, with a what-if's priorities)
    and the units its lines deliver on time and late."""
    instance = run_instance(run)
    if instance is None:
        return []
    demands = {d.id: (d.priority, d.quantity) for d in instance.demands}
    rows = run.lines.values("requirement__reference", "weeks_late").annotate(units=Sum("quantity"))
    return priority_shares(
        demands,
        ((r["requirement__reference"], r["units"] or 0, r["weeks_late"] == 0) for r in rows),
    )


# -- reasons in words ------------------------------------------------------------------------


@dataclass
class Names:
    """What a reason names, by the codes and references the solver uses."""

    hubs: dict[str, str] = field(default_factory=dict)  # hub code -> name
    points: dict[str, str] = field(default_factory=dict)  # location code -> name
    requirements: dict[str, tuple[str, int]] = field(default_factory=dict)  # ref -> (category, p)


def week_spans(run: AllocationRun, weeks: Sequence[int]) -> str:
    """Weeks as the dates of their Mondays: "the week of 3 May 2027", "the weeks of 3 May 2027
    to 24 May 2027, 7 June 2027" (consecutive weeks joined)."""
    spans: list[tuple[int, int]] = []
    for w in sorted(set(weeks)):
        if spans and spans[-1][1] == w - 1:
            spans[-1] = (spans[-1][0], w)
        else:
            spans.append((w, w))
    parts = [
        day(run.week_start(a))
        if a == b
        else _("%(first)s to %(last)s")
        % {"first": day(run.week_start(a)), "last": day(run.week_start(b))}
        for a, b in spans
    ]
    text = ", ".join(parts)
    if len(spans) == 1 and spans[0][0] == spans[0][1]:
        return _("the week of %(day)s") % {"day": text}
    return _("the weeks of %(days)s") % {"days": text}


def reason_words(
    reason: Mapping[str, Any],
    *,
    run: AllocationRun,
    requirement: Any,
    names: Names,
) -> str:
    """One stored reason in words, with names and dates; the solver's own text when its code is
    unknown (a newer solver), never a code alone."""
    code = reason.get("code")
    category = requirement.category
    unit = category.unit
    point = requirement.delivery_point.name
    need_by = day(requirement.need_by)
    if code == "no_compatible_supply":
        return _("No pledge of %(category)s, nor of anything that may stand in for it.") % {
            "category": category.name
        }
    if code == "restricted_capability":
        return _(
            "The pledges that could serve it are reserved by their donors for other capabilities."
        )
    if code == "restricted_hubs":
        return _(
            "The pledges that could serve it may pass only hubs with no route to %(point)s."
        ) % {"point": point}
    if code == "no_route":
        return _("No route from the depots of the pledges that could serve it to %(point)s.") % {
            "point": point
        }
    if code in ("too_late", "late_supply") and reason.get("week") is not None:
        values = {"week": week_spans(run, [int(reason["week"])]), "need_by": need_by}
        if code == "too_late":
            return (
                _(
                    "The earliest supply that fits arrives in %(week)s: too late for the "
                    "need-by date %(need_by)s."
                )
                % values
            )
        return _("Supply that fits can arrive only in %(week)s (needed by %(need_by)s).") % values
    if code == "supply_to_other" and reason.get("competing_demand_id"):
        other = str(reason["competing_demand_id"])
        other_category, other_priority = names.requirements.get(
            other, ("", int(reason.get("competing_priority") or 0))
        )
        return _(
            "%(quantity)s went to the priority-%(priority)s requirement %(other)s "
            "(%(category)s) instead."
        ) % {
            "quantity": qty(reason.get("quantity"), unit),
            "priority": reason.get("competing_priority") or other_priority,
            "other": other,
            "category": other_category or category.name,
        }
    if code == "hub_capacity_full" and reason.get("hub_id"):
        hub = names.hubs.get(str(reason["hub_id"]), str(reason["hub_id"]))
        return _("Hub %(hub)s is full for %(domain)s in %(weeks)s.") % {
            "hub": hub,
            "domain": CategoryDomain(category.domain).label
            if category.domain in CategoryDomain.values
            else category.domain,
            "weeks": week_spans(run, [int(w) for w in reason.get("weeks") or ()]),
        }
    if code == "insufficient_supply":
        return _("Only %(quantity)s that fit can arrive by %(need_by)s.") % {
            "quantity": qty(reason.get("quantity") or 0, unit),
            "need_by": need_by,
        }
    return str(reason.get("text") or code or "")


def names_for(run: AllocationRun, shortfalls: Sequence[Shortfall]) -> Names:
    """The names the shortfalls' reasons need, in three queries."""
    from coordcell.requirements.models import Requirement

    others = {
        str(r["competing_demand_id"])
        for s in shortfalls
        for r in s.reasons
        if isinstance(r, Mapping) and r.get("competing_demand_id")
    }
    return Names(
        hubs=dict(Location.objects.filter(kind=Location.Kind.HUB).values_list("code", "name")),
        requirements={
            ref: (name, priority)
            for ref, name, priority in Requirement.objects.filter(reference__in=others).values_list(
                "reference", "category__name", "priority"
            )
        },
    )


# -- shortfalls by capability package --------------------------------------------------------


@dataclass
class ShortRequirement:
    shortfall: Shortfall
    reasons: list[str]

    @property
    def requirement(self) -> Any:
        return self.shortfall.requirement


@dataclass
class PackageShortfall:
    """A capability package (or a capability without one) and its requirements left short."""

    name: str
    package_pk: int | None
    requirements: list[ShortRequirement] = field(default_factory=list)

    @property
    def missing(self) -> list[tuple[int, str]]:
        """Units missing, summed per unit of measure (never across units)."""
        return _per_unit(
            (r.requirement.category.unit, r.shortfall.missing) for r in self.requirements
        )

    @property
    def late(self) -> list[tuple[int, str]]:
        return _per_unit((r.requirement.category.unit, r.shortfall.late) for r in self.requirements)

    @property
    def best_priority(self) -> int:
        return min(r.requirement.priority for r in self.requirements)


def _per_unit(pairs: Iterable[tuple[str, int]]) -> list[tuple[int, str]]:
    totals: dict[str, int] = defaultdict(int)
    for unit, quantity in pairs:
        totals[unit] += quantity
    return [(q, u) for u, q in sorted(totals.items()) if q]


def shortfall_rows(run: AllocationRun, shortfalls: Sequence[Shortfall]) -> list[ShortRequirement]:
    """Shortfalls (with requirement, category and delivery point selected) with their reasons
    in words."""
    names = names_for(run, shortfalls)
    return [
        ShortRequirement(
            s,
            [
                reason_words(r, run=run, requirement=s.requirement, names=names)
                for r in s.reasons
                if isinstance(r, Mapping)
            ],
        )
        for s in shortfalls
    ]


def shortfalls_by_package(run: AllocationRun) -> list[PackageShortfall]:
    """The run's shortfalls grouped by the capability package their requirement serves, the
    packages with the most urgent requirement first."""
    shortfalls = list(
        run.shortfalls.select_related(
            "requirement",
            "requirement__category",
            "requirement__delivery_point",
            "requirement__capability",
            "requirement__capability__package",
        )
    )
    groups: dict[int, PackageShortfall] = {}
    for row in shortfall_rows(run, shortfalls):
        capability = row.requirement.capability
        package = getattr(capability, "package", None)
        group = groups.get(capability.pk)
        if group is None:
            group = groups[capability.pk] = PackageShortfall(
                package.name if package else capability.name, package.pk if package else None
            )
        group.requirements.append(row)
    return sorted(groups.values(), key=lambda g: (g.best_priority, g.name))


# -- hubs near capacity ----------------------------------------------------------------------


@dataclass(frozen=True)
class HubWeek:
    hub: str  # the hub's name
    week: int
    starts: Any  # the week's Monday (a date)
    domain: str  # the domain's label, or "all domains" for a shared capacity
    used: int
    capacity: int

    @property
    def percent(self) -> float:
        return round(100 * self.used / self.capacity, 1) if self.capacity else 100.0


def hub_loads(
    instance: solver.Instance, flows: Iterable[tuple[str, str, int, int]]
) -> dict[tuple[str, str, int], tuple[int, int]]:
    """Pure: ``flows`` (hub code, category code, week leaving the hub, units) -> per (hub,
    domain or ``*`` when the hub's capacity is shared, week): (units used, capacity)."""
    hubs = {h.id: h for h in instance.hubs}
    domain_of = instance.domain_of()
    used: dict[tuple[str, str, int], int] = defaultdict(int)
    for hub_id, category, week, units in flows:
        hub = hubs.get(hub_id)
        if hub is None or category not in domain_of:
            continue
        key = "*" if hub.shared_capacity is not None else domain_of[category]
        used[(hub_id, key, week)] += units
    return {
        (h, d, w): (u, hubs[h].capacity_for(d if d != "*" else "", w))
        for (h, d, w), u in used.items()
    }


def hubs_near_capacity(run: AllocationRun, threshold: float = NEAR_CAPACITY) -> list[HubWeek]:
    """The hub-weeks whose use by this plan reaches ``threshold`` of their capacity, fullest
    first."""
    instance = run_instance(run)
    if instance is None:
        return []
    rows = run.lines.values("hub__code", "pledge__category__code", "hub_week").annotate(
        units=Sum("quantity")
    )
    loads = hub_loads(
        instance,
        (
            (r["hub__code"], r["pledge__category__code"], r["hub_week"], r["units"] or 0)
            for r in rows
        ),
    )
    names = {h.id: h.name for h in instance.hubs}
    out = [
        HubWeek(
            names.get(h, h),
            w,
            run.week_start(w),
            _("all domains")
            if d == "*"
            else (str(CategoryDomain(d).label) if d in CategoryDomain.values else d),
            used,
            capacity,
        )
        for (h, d, w), (used, capacity) in loads.items()
        if used and (capacity <= 0 or used >= threshold * capacity)
    ]
    out.sort(key=lambda x: (-x.percent, x.week, x.hub))
    return out
