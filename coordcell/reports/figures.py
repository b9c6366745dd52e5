"""The figures behind the charts: pledged, allocated, shipped and received, hub load, fulfilment.

Every figure starts from the one access function of its object type (``pledges_visible_to``,
``requirements_visible_to``, ``committed_lines_visible_to``, ``shipments_visible_to``), so a chart
can never show what the list behind it would not. Quantities of different stages are counted
separately, and values are only ever added up within one valuation basis and one currency.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db.models import Count, F, FloatField, QuerySet, Sum
from django.db.models.functions import Cast, TruncMonth

from coordcell.allocation.models import AllocationLine, AllocationRun
from coordcell.allocation.selectors import committed_lines_visible_to
from coordcell.bounds import float_sum
from coordcell.pledges.models import Pledge, ValuationBasis
from coordcell.pledges.selectors import pledge_fields_hidden_from, pledges_visible_to
from coordcell.registry.access import as_user
from coordcell.registry.models import CategoryDomain, HubCapacity
from coordcell.requirements.models import Requirement
from coordcell.requirements.selectors import requirements_visible_to

from .scope import Scope

STAGES = ("pledged", "allocated", "shipped", "received")


def logistics_installed() -> bool:
    return apps.is_installed("coordcell.logistics")


@dataclass
class FlowRow:
    """One donor, domain or month: quantities (or values) at each stage."""

    key: Any
    label: str
    url: str = ""
    pledged: float = 0
    allocated: float = 0
    shipped: float = 0
    received: float = 0

    def values(self) -> list[float]:
        return [self.pledged, self.allocated, self.shipped, self.received]


@dataclass
class ValueGroup:
    """Values of one valuation basis in one currency: the only values ever summed together."""

    basis: str
    basis_label: str
    currency: str
    rows: list[FlowRow] = field(default_factory=list)


def scoped_pledges(user: Any, scope: Scope) -> QuerySet[Pledge]:
    return scope.pledges(pledges_visible_to(user)).exclude(status=Pledge.Status.WITHDRAWN)


def within(qs: QuerySet[Any], field: str, visible: QuerySet[Any]) -> QuerySet[Any]:
    """Keep the rows of ``qs`` whose ``field`` is in ``visible`` (an access function's result).

    When the access function filters nothing (the cell's staff see everything), no ``IN``
    subquery is added: on SQLite that subquery over every shipment or pledge costs seconds.
    """
    if not visible.query.has_filters():
        return qs
    return qs.filter(**{f"{field}__in": visible.values("pk")})


def scoped_shipment_lines(user: Any, scope: Scope) -> QuerySet[Any] | None:
    """Lines of visible shipments carrying visible, in-scope pledges (None: no logistics)."""
    if not logistics_installed():
        return None
    from coordcell.logistics.lifecycle import S
    from coordcell.logistics.models import ShipmentLine
    from coordcell.logistics.selectors import shipments_visible_to

    lines = within(ShipmentLine.objects.all(), "shipment", shipments_visible_to(user))
    lines = within(lines, "pledge", pledges_visible_to(user))
    lines = scope.pledges(lines, "pledge__")
    return lines.exclude(pledge__status=Pledge.Status.WITHDRAWN).exclude(
        shipment__status=S.CANCELLED
    )


DIMENSIONS: dict[str, tuple[str, str]] = {
    # name: (pledge field giving the key, pledge field giving the label)
    "donor": ("donor_id", "donor__name"),
    "domain": ("category__domain", "category__domain"),
    "month": ("month", "month"),
}


def _label(dimension: str, key: Any, label: Any) -> str:
    if dimension == "domain":
        return str(CategoryDomain(key).label) if key in CategoryDomain.values else str(key)
    if dimension == "month":
        return key.strftime("%Y-%m") if key else "–"
    return str(label)


def _url(dimension: str, key: Any) -> str:
    if dimension == "donor":
        return f"/pledges/?donor={key}"
    if dimension == "domain":
        return f"/pledges/?domain={key}"
    if dimension == "month" and key:
        return f"/pledges/?available_after={key.isoformat()}&sort=available_from"
    return "/pledges/"


def _month_key(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def main_unit(user: Any, scope: Scope) -> str:
    """The unit of measure of most pledges in scope: the quantity charts' unit unless one is
    chosen ("" when there is no pledge)."""
    top = (
        scoped_pledges(user, scope)
        .values("category__unit")
        .annotate(n=Count("pk"))
        .order_by("-n", "category__unit")
        .first()
    )
    return str(top["category__unit"]) if top else ""


def flow_by_unit(user: Any, scope: Scope) -> dict[str, list[int]]:
    """Units pledged, allocated, shipped and received per unit of measure (two grouped
    queries): what ``flow_by`` gives summed over its rows, for every unit at once."""
    totals: dict[str, list[int]] = {}
    for r in (
        scoped_pledges(user, scope)
        .values("category__unit")
        .annotate(pledged=Sum("quantity"), allocated=Sum("allocated_quantity"))
        .order_by("category__unit")
    ):
        totals[r["category__unit"]] = [r["pledged"] or 0, r["allocated"] or 0, 0, 0]
    lines = scoped_shipment_lines(user, scope)
    if lines is not None:
        for r in (
            lines.values("pledge__category__unit")
            .annotate(shipped=Sum("shipped_quantity"), received=Sum("received_quantity"))
            .order_by("pledge__category__unit")
        ):
            row = totals.get(r["pledge__category__unit"])
            if row is not None:
                row[2] += r["shipped"] or 0
                row[3] += r["received"] or 0
    return totals


def flow_by(user: Any, scope: Scope, dimension: str, unit: str = "") -> list[FlowRow]:
    """Units pledged, allocated, shipped and received per donor, domain or month; of one unit of
    measure when ``unit`` is given (quantities of different units are never added up)."""
    key_field, label_field = DIMENSIONS[dimension]
    pledges = scoped_pledges(user, scope)
    if unit:
        pledges = pledges.filter(category__unit=unit)
    if dimension == "month":
        pledges = pledges.annotate(month=TruncMonth("available_from"))
    rows: dict[Any, FlowRow] = {}
    for r in (
        pledges.values(key_field, label_field)
        .annotate(pledged=Sum("quantity"), allocated=Sum("allocated_quantity"))
        .order_by(label_field)
    ):
        key = _month_key(r[key_field])
        row = rows.setdefault(key, FlowRow(key, _label(dimension, key, r[label_field])))
        row.pledged += r["pledged"] or 0
        row.allocated += r["allocated"] or 0
    lines = scoped_shipment_lines(user, scope)
    if lines is not None and unit:
        lines = lines.filter(pledge__category__unit=unit)
    if lines is not None:
        if dimension == "month":
            lines = lines.annotate(month=TruncMonth("pledge__available_from"))
            line_key = "month"
        else:
            line_key = f"pledge__{key_field}"
        for r in (
            lines.values(line_key)
            .annotate(shipped=Sum("shipped_quantity"), received=Sum("received_quantity"))
            .order_by(line_key)
        ):
            key = _month_key(r[line_key])
            flow = rows.get(key)
            if flow is not None:
                flow.shipped += r["shipped"] or 0
                flow.received += r["received"] or 0
    result = sorted(rows.values(), key=lambda row: (row.key is None, str(row.key)))
    if dimension == "donor":
        result.sort(key=lambda row: row.label)
    for row in result:
        row.url = _url(dimension, row.key)
    return result


def can_read_values(user: Any) -> bool:
    """Whether ``user`` reads pledges' values, bases and currencies (not the recipient)."""
    return not ({"value", "valuation_basis", "currency"} & pledge_fields_hidden_from(user))


def value_groups(user: Any, scope: Scope, dimension: str = "donor") -> list[ValueGroup]:
    """Values per donor, one group per (valuation basis, currency); never summed across groups.
    None for a user who may not read pledges' values (``pledge_fields_hidden_from``)."""
    if not can_read_values(user):
        return []
    key_field, label_field = DIMENSIONS[dimension]
    pledges = scoped_pledges(user, scope).filter(value__isnull=False).exclude(valuation_basis="")
    groups: dict[tuple[str, str], ValueGroup] = {}
    index: dict[tuple[str, str, Any], FlowRow] = {}

    def group(basis: str, currency: str) -> ValueGroup:
        if (basis, currency) not in groups:
            label = ValuationBasis(basis).label if basis in ValuationBasis.values else basis
            groups[(basis, currency)] = ValueGroup(basis, str(label), currency)
        return groups[(basis, currency)]

    def row(basis: str, currency: str, key: Any, label: Any) -> FlowRow:
        k = (basis, currency, key)
        if k not in index:
            index[k] = FlowRow(key, _label(dimension, key, label), _url(dimension, key))
            group(basis, currency).rows.append(index[k])
        return index[k]

    for r in (
        pledges.values("valuation_basis", "currency", key_field, label_field)
        .annotate(
            # As floating point: summed as integers, whole-number values can overflow (bounds.py).
            pledged=float_sum("value"),
            allocated=float_sum(
                Cast("value", FloatField()) * F("allocated_quantity") / F("quantity")
            ),
        )
        .order_by("valuation_basis", "currency", label_field)
    ):
        target = row(r["valuation_basis"], r["currency"], r[key_field], r[label_field])
        target.pledged += float(r["pledged"] or 0)
        target.allocated += float(r["allocated"] or 0)
    lines = scoped_shipment_lines(user, scope)
    if lines is not None:
        lines = lines.filter(pledge__value__isnull=False).exclude(pledge__valuation_basis="")
        unit_value = Cast("pledge__value", FloatField()) / F("pledge__quantity")
        for r in (
            lines.values(
                "pledge__valuation_basis",
                "pledge__currency",
                f"pledge__{key_field}",
                f"pledge__{label_field}",
            )
            .annotate(
                shipped=float_sum(unit_value * F("shipped_quantity")),
                received=float_sum(unit_value * F("received_quantity")),
            )
            .order_by("pledge__valuation_basis")
        ):
            target = row(
                r["pledge__valuation_basis"],
                r["pledge__currency"],
                r[f"pledge__{key_field}"],
                r[f"pledge__{label_field}"],
            )
            target.shipped += float(r["shipped"] or 0)
            target.received += float(r["received"] or 0)
    return [groups[k] for k in sorted(groups)]


@dataclass
class PriorityRow:
    priority: int
    requirements: int = 0
    required: int = 0
    allocated: int = 0
    shipped: int = 0
    received: int = 0

    @property
    def url(self) -> str:
        return f"/requirements/?priority={self.priority}"

    @property
    def received_share(self) -> float:
        return self.received / self.required if self.required else 0.0


def committed_lines_for(user: Any) -> QuerySet[AllocationLine]:
    """Committed allocation lines this user may count.

    Staff and donors go through ``committed_lines_visible_to``; the recipient, who sees every
    shipment coming to it anyway, counts what is committed to its visible requirements, without
    the donor or the route.
    """
    u = as_user(user)
    if u is not None and u.is_recipient_liaison:
        committed = AllocationLine.objects.filter(run__status=AllocationRun.Status.COMMITTED)
        return within(committed, "requirement", requirements_visible_to(u))
    return committed_lines_visible_to(user)


def requirement_rows(qs: QuerySet[Any], user: Any, scope: Scope) -> QuerySet[Any]:
    """Rows (allocation or shipment lines) for visible, in-scope, not cancelled requirements."""
    qs = within(qs, "requirement", requirements_visible_to(user))
    qs = scope.requirements(qs, "requirement__")
    return qs.exclude(requirement__status=Requirement.Status.CANCELLED)


def fulfilment_by_priority(user: Any, scope: Scope, unit: str = "") -> list[PriorityRow]:
    """Per priority: what is required, allocated (committed), shipped and received; of the
    requirements in one unit of measure when ``unit`` is given."""
    reqs = scope.requirements(requirements_visible_to(user)).exclude(
        status=Requirement.Status.CANCELLED
    )
    if unit:
        reqs = reqs.filter(category__unit=unit)
    rows = {p: PriorityRow(p) for p in range(1, 6)}
    per_priority = reqs.values("priority").annotate(n=Sum("quantity"), c=Count("pk"))
    for r in per_priority.order_by("priority"):
        rows[r["priority"]].required = r["n"] or 0
        rows[r["priority"]].requirements = r["c"] or 0
    lines = requirement_rows(committed_lines_for(user), user, scope)
    if scope.donor:
        lines = lines.filter(pledge__donor_id=scope.donor.pk)
    if unit:
        lines = lines.filter(requirement__category__unit=unit)
    for r in lines.values("requirement__priority").annotate(n=Sum("quantity")).order_by():
        rows[r["requirement__priority"]].allocated = r["n"] or 0
    shipment_lines = scoped_shipment_lines(user, scope)
    if shipment_lines is not None:
        shipment_lines = requirement_rows(shipment_lines, user, scope)
        if unit:
            shipment_lines = shipment_lines.filter(requirement__category__unit=unit)
        for r in (
            shipment_lines.values("requirement__priority")
            .annotate(s=Sum("shipped_quantity"), n=Sum("received_quantity"))
            .order_by()
        ):
            rows[r["requirement__priority"]].shipped = r["s"] or 0
            rows[r["requirement__priority"]].received = r["n"] or 0
    return [rows[p] for p in sorted(rows)]


@dataclass
class HubWeekLoad:
    monday: dt.date
    load: int = 0
    capacity: int = 0
    by_domain: dict[str, tuple[int, int]] = field(default_factory=dict)  # domain: (load, cap)

    @property
    def over(self) -> bool:
        return any(load > cap for load, cap in self.by_domain.values())


@dataclass
class HubLoad:
    hub_id: int
    hub: str
    weeks: list[HubWeekLoad]


def hub_load(user: Any, scope: Scope, *, today: dt.date, weeks: int = 12) -> list[HubLoad]:
    """Units leaving each hub per week in committed plans, against the hub's weekly capacity.

    Capacity is per category domain, so a week is over capacity when any one domain is, even if
    the total is below the sum of the capacities.
    """
    u = as_user(user)
    if u is None or not u.sees_everything:
        return []  # hub schedules are the cell's planning picture
    monday = today - dt.timedelta(days=today.weekday())
    mondays = [monday + dt.timedelta(weeks=w) for w in range(weeks)]
    lines = scope.pledges(committed_lines_visible_to(user), "pledge__")
    lines = scope.requirements(lines, "requirement__") if scope.coalition else lines
    loads: dict[tuple[int, dt.date, str], int] = defaultdict(int)
    names: dict[int, str] = {}
    for r in (
        lines.values(
            "hub_id", "hub__name", "run__planning_start", "hub_week", "pledge__category__domain"
        )
        .annotate(n=Sum("quantity"))
        .order_by()
    ):
        week = r["run__planning_start"] + dt.timedelta(weeks=r["hub_week"])
        if monday <= week < mondays[-1] + dt.timedelta(days=7):
            loads[(r["hub_id"], week, r["pledge__category__domain"])] += r["n"] or 0
            names[r["hub_id"]] = r["hub__name"]
    capacity: dict[int, dict[str, int]] = defaultdict(dict)
    for c in HubCapacity.objects.values("hub_id", "hub__name", "domain", "weekly_capacity"):
        capacity[c["hub_id"]][c["domain"]] = c["weekly_capacity"]
        names.setdefault(c["hub_id"], c["hub__name"])
    result = []
    for hub_id in sorted(names, key=lambda h: names[h]):
        hub_weeks = []
        for week in mondays:
            cell = HubWeekLoad(week)
            loaded = {d for (h, w, d) in loads if h == hub_id and w == week}
            domains = set(capacity[hub_id]) | loaded
            for domain in sorted(domains):
                load = loads.get((hub_id, week, domain), 0)
                cap = capacity[hub_id].get(domain, 0)
                cell.by_domain[domain] = (load, cap)
                cell.load += load
                cell.capacity += cap
            hub_weeks.append(cell)
        if any(w.load for w in hub_weeks) or capacity[hub_id]:
            result.append(HubLoad(hub_id, names[hub_id], hub_weeks))
    return result


def money(value: float | Decimal) -> str:
    return f"{float(value):,.0f}"
