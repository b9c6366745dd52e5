"""Shipments against hub capacity: the units planned through a hub per week, the check a
shipment planned or re-routed by hand must pass, and the weeks a capacity cut leaves over.

A shipment passes its hub in the week of its planned arrival there (its first leg's planned
arrival) and uses the hub's capacity of each domain it carries by its lines' planned
quantities. Cancelled shipments use nothing. Reads only: the actions that act on what this
finds are ``changes.py``'s.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from coordcell.registry.capacity import WEEK, hub_capacity_by_week, monday_of
from coordcell.registry.models import CategoryDomain, HubCapacity, Location

from .lifecycle import S
from .models import Leg, Shipment, ShipmentLine


def hub_passages_by_week(
    *,
    start: dt.date,
    weeks: int,
    hub_ids: Iterable[int] | None = None,
    exclude_shipment_ids: Iterable[int] = (),
) -> dict[tuple[int, str], list[int]]:
    """(hub id, domain) -> units of the shipments (not cancelled) planned to arrive at the hub
    in each of the ``weeks`` weeks from the Monday of ``start``."""
    start = monday_of(start)
    end = start + weeks * WEEK
    lines = ShipmentLine.objects.exclude(shipment__status=S.CANCELLED).filter(
        shipment__legs__sequence=1,
        shipment__legs__planned_arrival__gte=start,
        shipment__legs__planned_arrival__lt=end,
    )
    if hub_ids is not None:
        lines = lines.filter(shipment__hub_id__in=list(hub_ids))
    excluded = list(exclude_shipment_ids)
    if excluded:
        lines = lines.exclude(shipment_id__in=excluded)
    use: dict[tuple[int, str], list[int]] = {}
    for row in (
        lines.order_by()
        .values(
            hub=F("shipment__hub_id"),
            domain=F("category__domain"),
            day=F("shipment__legs__planned_arrival"),
        )
        .annotate(n=Sum("quantity"))
    ):
        figures = use.setdefault((row["hub"], row["domain"]), [0] * weeks)
        figures[(monday_of(row["day"]) - start).days // 7] += row["n"] or 0
    return use


@dataclass(frozen=True)
class Overload:
    """A week a shipment would take a hub over its capacity for a domain."""

    hub: Location
    domain: str
    week: dt.date  # its Monday
    capacity: int
    use: int  # other shipments' units that week
    adding: int  # this shipment's units

    @property
    def domain_label(self) -> str:
        return str(CategoryDomain(self.domain).label)

    def message(self) -> str:
        return _(
            "%(hub)s takes %(capacity)s %(domain)s units in the week of %(week)s; %(use)s are "
            "already planned through it that week and this shipment adds %(adding)s."
        ) % {
            "hub": self.hub,
            "capacity": self.capacity,
            "domain": self.domain_label,
            "week": self.week.isoformat(),
            "use": self.use,
            "adding": self.adding,
        }

    def as_data(self) -> dict[str, object]:
        return {
            "hub": self.hub.code,
            "domain": self.domain,
            "week": self.week.isoformat(),
            "capacity": self.capacity,
            "use": self.use,
            "adding": self.adding,
        }


def shipment_overloads(shipment: Shipment) -> list[Overload]:
    """The weeks and domains where ``shipment`` (as planned now: its hub, first leg and lines)
    takes its hub over capacity, counting every other shipment planned through the hub. A hub
    with no capacity row for a domain is not checked for it."""
    first = Leg.objects.filter(shipment=shipment, sequence=1).first()
    if first is None:
        return []
    week = monday_of(first.planned_arrival)
    carried = dict(
        ShipmentLine.objects.filter(shipment=shipment)
        .order_by()
        .values("category__domain")
        .annotate(n=Sum("quantity"))
        .values_list("category__domain", "n")
    )
    capacity = hub_capacity_by_week(start=week, weeks=1, hub_ids=[shipment.hub_id])
    use = hub_passages_by_week(
        start=week, weeks=1, hub_ids=[shipment.hub_id], exclude_shipment_ids=[shipment.pk]
    )
    found = []
    for domain, adding in sorted(carried.items()):
        key = (shipment.hub_id, domain)
        if key not in capacity:
            continue
        cap, other = capacity[key][0], use.get(key, [0])[0]
        if other + adding > cap:
            found.append(Overload(shipment.hub, domain, week, cap, other, adding))
    return found


def capacity_cut_weeks(
    capacity_row: HubCapacity, *, today: dt.date | None = None
) -> list[tuple[dt.date, int, int]]:
    """(Monday, capacity, use) of each week from this one on, within the row's span, in which
    the units planned through its hub for its domain exceed the hub's capacity for that week
    (the capacity every row of the hub gives, the narrowest winning): after a cut or a closure,
    the weeks that need a re-plan. Empty when every week fits."""
    this_week = monday_of(today or timezone.now().date())
    first = max(capacity_row.valid_from, this_week)
    last_passage = (
        Leg.objects.filter(sequence=1, shipment__hub_id=capacity_row.hub_id)
        .exclude(shipment__status=S.CANCELLED)
        .order_by("-planned_arrival")
        .values_list("planned_arrival", flat=True)
        .first()
    )
    if last_passage is None:
        return []
    last = monday_of(last_passage)
    if capacity_row.valid_until is not None:
        last = min(last, monday_of(capacity_row.valid_until))
    if last < first:
        return []
    weeks = (last - first).days // 7 + 1
    key = (capacity_row.hub_id, capacity_row.domain)
    capacity = hub_capacity_by_week(start=first, weeks=weeks, hub_ids=[capacity_row.hub_id])
    use = hub_passages_by_week(start=first, weeks=weeks, hub_ids=[capacity_row.hub_id])
    caps, uses = capacity.get(key, [0] * weeks), use.get(key, [0] * weeks)
    return [(first + n * WEEK, caps[n], uses[n]) for n in range(weeks) if uses[n] > caps[n]]


@dataclass
class CapacityWeek:
    monday: dt.date
    capacity: int | None  # None: no capacity recorded for the domain at this hub
    use: int

    @property
    def over(self) -> bool:
        return self.capacity is not None and self.use > self.capacity


def hub_weeks(hub: Location, *, start: dt.date, weeks: int) -> dict[str, list[CapacityWeek]]:
    """Per domain, each week's capacity against the units planned through ``hub``."""
    start = monday_of(start)
    capacity = hub_capacity_by_week(start=start, weeks=weeks, hub_ids=[hub.pk])
    use = hub_passages_by_week(start=start, weeks=weeks, hub_ids=[hub.pk])
    table: dict[str, list[CapacityWeek]] = defaultdict(list)
    for domain in sorted({d for _h, d in capacity} | {d for _h, d in use}):
        caps = capacity.get((hub.pk, domain))
        uses = use.get((hub.pk, domain), [0] * weeks)
        for n in range(weeks):
            table[domain].append(
                CapacityWeek(start + n * WEEK, caps[n] if caps is not None else None, uses[n])
            )
    return dict(table)
