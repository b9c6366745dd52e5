from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet, Sum

from coordcell.registry.access import as_user

from .models import AllocationLine, AllocationRun, Shortfall


def runs_visible_to(user: Any) -> QuerySet[AllocationRun]:
    """Runs hold every nation's pledges and routes: the cell's staff and auditors only."""
    if not can_see_runs(user):
        return AllocationRun.objects.none()
    return AllocationRun.objects.select_related("created_by", "committed_by", "base_run")


def can_see_runs(user: Any) -> bool:
    u = as_user(user)
    return bool(u and u.sees_everything)


def can_plan_allocations(user: Any) -> bool:
    """Queue runs and what-ifs, edit a solved run's lines, commit or discard: the cell's staff."""
    u = as_user(user)
    return bool(u and u.is_coordinator)


def can_create_run(user: Any) -> bool:
    return can_plan_allocations(user)


def can_commit_run(user: Any, run: AllocationRun) -> bool:
    # Runs are the cell's own: whoever plans allocations sees and may commit every run.
    return can_plan_allocations(user)


def can_discard_run(user: Any, run: AllocationRun) -> bool:
    return can_commit_run(user, run)


def can_edit_run_lines(user: Any, run: AllocationRun) -> bool:
    return can_commit_run(user, run)


def can_see_committed_lines(user: Any) -> bool:
    u = as_user(user)
    return bool(u and (u.sees_everything or u.is_donor_liaison))


def committed_lines_visible_to(user: Any) -> QuerySet[AllocationLine]:
    """A donor liaison sees the committed allocations of its own nation's pledges."""
    u = as_user(user)
    qs = AllocationLine.objects.filter(run__status=AllocationRun.Status.COMMITTED).select_related(
        "pledge", "requirement", "hub", "run", "requirement__category", "pledge__donor"
    )
    if u is None:
        return qs.none()
    if u.sees_everything:
        return qs
    if u.is_donor_liaison:
        return qs.filter(pledge__donor_id=u.nation_id)
    return qs.none()


@dataclass(frozen=True)
class RequirementChange:
    reference: str
    priority: int
    base_on_time: int
    base_delivered: int
    scenario_on_time: int
    scenario_delivered: int

    @property
    def delta_on_time(self) -> int:
        return self.scenario_on_time - self.base_on_time


def _delivered(run: AllocationRun) -> dict[str, tuple[int, int, int]]:
    """Requirement reference -> (priority, on time, delivered) for a solved run."""
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    rows = run.lines.values(
        "requirement__reference", "requirement__priority", "weeks_late"
    ).annotate(total=Sum("quantity"))
    for row in rows:
        entry = out[row["requirement__reference"]]
        entry[0] = row["requirement__priority"]
        entry[2] += row["total"]
        if row["weeks_late"] == 0:
            entry[1] += row["total"]
    return {k: (v[0], v[1], v[2]) for k, v in out.items()}


def compare_runs(base: AllocationRun, scenario: AllocationRun) -> list[RequirementChange]:
    """Requirements whose delivery differs between two runs, biggest on-time change first."""
    a, b = _delivered(base), _delivered(scenario)
    changes = []
    for ref in sorted(set(a) | set(b)):
        pa, ta, da = a.get(ref, (0, 0, 0))
        pb, tb, db = b.get(ref, (0, 0, 0))
        if (ta, da) != (tb, db):
            changes.append(RequirementChange(ref, pa or pb, ta, da, tb, db))
    changes.sort(key=lambda c: (-abs(c.delta_on_time), c.priority, c.reference))
    return changes


def summary_by(run: AllocationRun, field: str) -> list[dict[str, Any]]:
    """Units and lines per donor (``pledge__donor__name``) or hub (``hub__name``)."""
    return list(run.lines.values(field).annotate(units=Sum("quantity")).order_by(field))


def units_by(run: AllocationRun, field: str) -> list[dict[str, Any]]:
    """Units per donor (``pledge__donor__name``) or hub (``hub__name``), each name with its
    quantities per unit of measure: ``{"name": ..., "quantities": [(units, unit), ...]}``."""
    rows = (
        run.lines.values(field, "pledge__category__unit")
        .annotate(units=Sum("quantity"))
        .order_by(field, "pledge__category__unit")
    )
    out: dict[str, list[tuple[int, str]]] = {}
    for row in rows:
        out.setdefault(row[field], []).append((row["units"] or 0, row["pledge__category__unit"]))
    return [{"name": name, "quantities": quantities} for name, quantities in out.items()]


def shortfalls_of(run: AllocationRun) -> QuerySet[Shortfall]:
    return run.shortfalls.select_related("requirement", "requirement__category")


# The sortable columns of a run's lines: the page's ``?sort=`` and the API's ``?ordering=``.
LINE_SORTS = {
    "pledge": "pledge__reference",
    "requirement": "requirement__reference",
    "priority": "requirement__priority",
    "hub": "hub__name",
    "quantity": "quantity",
    "arrival": "arrival_week",
    "late": "weeks_late",
    "donor": "pledge__donor__name",
}


def lines_of(
    run: AllocationRun,
    *,
    donor: str = "",
    hub: str = "",
    sort: str = "priority",
    category: str = "",
    priority: int | None = None,
) -> QuerySet[AllocationLine]:
    """A run's lines, of one donor (ISO code), through one hub (code), for one category (code)
    or of one requirement priority when given, sorted by a ``LINE_SORTS`` key (``-`` for
    descending; another key keeps the lines' own order)."""
    lines = run.lines.select_related(
        "pledge", "pledge__donor", "requirement", "hub", "requirement__category"
    )
    if donor:
        lines = lines.filter(pledge__donor__code=donor)
    if hub:
        lines = lines.filter(hub__code=hub)
    if category:
        lines = lines.filter(requirement__category__code=category)
    if priority is not None:
        lines = lines.filter(requirement__priority=priority)
    key = LINE_SORTS.get(sort.lstrip("-"))
    if key:
        lines = lines.order_by(("-" if sort.startswith("-") else "") + key, "pk")
    return lines


@dataclass(frozen=True)
class Comparison:
    """A what-if against its base run: the compare page's figures."""

    run: AllocationRun
    base: AllocationRun
    changes: list[RequirementChange]  # every requirement whose delivery differs
    moves: list[Any]  # readiness.selectors.PackageMove, of the packages the viewer may see

    @property
    def gains(self) -> int:
        return sum(1 for c in self.changes if c.delta_on_time > 0)

    @property
    def losses(self) -> int:
        return sum(1 for c in self.changes if c.delta_on_time < 0)

    @property
    def delta(self) -> float:
        return (self.run.objective or 0) - (self.base.objective or 0)


def comparison(user: Any, run: AllocationRun) -> Comparison | None:
    """The figures of a what-if against its base run (None: the run is no what-if), with the
    readiness effect on the capability packages ``user`` may see."""
    if run.base_run is None:
        return None
    from coordcell.readiness.selectors import packages_visible_to, readiness_effect

    base = run.base_run
    visible = set(packages_visible_to(user).values_list("pk", flat=True))
    moves = [m for m in readiness_effect(base, run) if m.package.pk in visible]
    return Comparison(run, base, compare_runs(base, run), moves)


def shipments_a_commit_replaces(run: AllocationRun) -> list[Any]:
    """The planned shipments committing this re-plan would cancel (none for other runs)."""
    if not run.replan_from or run.status != AllocationRun.Status.SOLVED:
        return []
    from coordcell.logistics.ledger import replan_releases
    from coordcell.logistics.models import Shipment

    return list(
        Shipment.objects.filter(pk__in=replan_releases(run.replan_from)).order_by("reference")
    )


@dataclass(frozen=True)
class CommitPreview:
    """What committing a run creates and changes: the commit confirmation's figures."""

    loads: int  # loads the commit creates (donor, depot, hub and week, within the mode's limits)
    shipments: int  # their shipments: one per load and delivery point
    lines: int
    units: list[tuple[int, str]]  # (units, unit of measure): never summed across units
    pledges: list[dict[str, Any]]  # reference, donor, category, unit, quantity allocated
    cancels: list[Any]  # planned shipments a re-plan cancels


def commit_preview(run: AllocationRun) -> CommitPreview:
    """What ``services.run_commit`` would do with this run now, without doing it.

    The shipments are counted as the commit makes them: the loads of
    ``logistics.services.loads_of_lines``."""
    lines = list(
        run.lines.filter(quantity__gt=0).values(
            "pledge__reference",
            "pledge__donor__name",
            "pledge__donor_id",
            "pledge__origin_id",
            "pledge__category__name",
            "pledge__category__unit",
            "hub_id",
            "dispatch_week",
            "requirement__delivery_point_id",
            "quantity",
        )
    )
    units: dict[str, int] = defaultdict(int)
    pledges: dict[str, dict[str, Any]] = {}
    for x in lines:
        units[x["pledge__category__unit"]] += x["quantity"]
        entry = pledges.setdefault(
            x["pledge__reference"],
            {
                "reference": x["pledge__reference"],
                "donor": x["pledge__donor__name"],
                "category": x["pledge__category__name"],
                "unit": x["pledge__category__unit"],
                "quantity": 0,
            },
        )
        entry["quantity"] += x["quantity"]
    from coordcell.logistics.services import drops, loads_of_lines

    planned = run.lines.filter(quantity__gt=0).select_related(
        "hub", "pledge__origin", "pledge__category", "requirement__delivery_point"
    )
    loads = [load for _group, group_loads in loads_of_lines(planned) for load in group_loads]
    return CommitPreview(
        loads=len(loads),
        shipments=sum(len(drops(load)) for load in loads),
        lines=len(lines),
        units=[(q, u) for u, q in sorted(units.items())],
        pledges=sorted(pledges.values(), key=lambda p: p["reference"]),
        cancels=shipments_a_commit_replaces(run),
    )


def line_filter_choices(run: AllocationRun) -> dict[str, list[tuple[str, str]]]:
    """The donors, categories and hubs a run's lines name: the lines filter's choices."""

    def pairs(code: str, name: str) -> list[tuple[str, str]]:
        return sorted(
            {(str(a), str(b)) for a, b in run.lines.values_list(code, name).distinct()},
            key=lambda p: p[1],
        )

    return {
        "donor": pairs("pledge__donor__code", "pledge__donor__name"),
        "category": pairs("requirement__category__code", "requirement__category__name"),
        "hub": pairs("hub__code", "hub__name"),
    }
