"""Reads: the one access function per object type, the field-level helper, and the figures
reports use (quantities counted separately, late shipments, a hub's weeks).

Need-to-know: routes, legs and times are shown to coordinators, auditors and the donor that owns
the shipment; the recipient sees the last leg only (handover point and an ETA window); a donor
never sees another nation's shipment (404); training-site officers see nothing here.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coordcell.allocation.models import AllocationLine, AllocationRun
from coordcell.registry.access import as_user
from coordcell.registry.capacity import hub_capacity_by_week
from coordcell.registry.models import Location

from .lifecycle import IN_PROGRESS, S
from .models import Discrepancy, Leg, SerialItem, Shipment, ShipmentEvent, ShipmentLine


def shipments_visible_to(user: Any) -> QuerySet[Shipment]:
    u = as_user(user)
    qs = Shipment.objects.select_related("donor", "delivery_point")
    if u is None:
        return qs.none()
    if u.sees_everything or u.is_recipient_liaison:
        return qs
    if u.is_donor_liaison:
        return qs.filter(donor_id=u.nation_id)
    return qs.none()


def sees_routes_of_all(user: Any) -> bool:
    """Whether ``user`` sees the route and times of every shipment a list shows them (the
    cell, auditors, a donor its own)."""
    u = as_user(user)
    return bool(u and (u.sees_everything or u.is_donor_liaison))


def load_shipments_visible_to(user: Any, reference: str) -> QuerySet[Shipment]:
    """The shipments of load ``reference`` the user may see as a load: only those whose whole
    route the user sees (which shipments travel together from which depot to which hub, and
    when, is route and timing information). None: the load is not the user's to see."""
    if not reference or not sees_routes_of_all(user):
        return Shipment.objects.none()
    return shipments_visible_to(user).filter(load=reference)


class Detail(enum.Enum):
    FULL = "full"  # route, every leg, planned and actual times, every event
    LAST_LEG = "last_leg"  # handover point and ETA window only
    STATUS = "status"  # status only


def shipment_detail_level(user: Any, shipment: Shipment) -> Detail:
    """The field-level rule: how much of a visible shipment this user may see."""
    return detail_level_for_donor(user, shipment.donor_id)


def detail_level_for_donor(user: Any, donor_id: int | None) -> Detail:
    """The same rule for a delivery by ``donor_id`` that is not (yet) a shipment: an allocation
    line, or a receipt. Readiness words and dates ask here too (readiness/wording.py)."""
    u = as_user(user)
    if u is None:
        return Detail.STATUS
    if u.sees_everything or (u.is_donor_liaison and donor_id and u.nation_id == donor_id):
        return Detail.FULL
    if u.is_recipient_liaison:
        return Detail.LAST_LEG
    return Detail.STATUS


def list_order(user: Any) -> list[str]:
    """How a list of shipments is ordered for this user. By planned departure only for those
    who see every listed shipment's times: for the recipient the order itself would rank
    shipments within a week by their exact plan, so it lists them by reference."""
    if sees_routes_of_all(user):
        return ["-planned_departure", "-pk"]
    return ["-reference", "-pk"]


def legs_visible_to(user: Any, shipment: Shipment) -> list[Leg]:
    level = shipment_detail_level(user, shipment)
    legs = list(shipment.legs.select_related("origin", "destination").order_by("sequence"))
    if level is Detail.FULL:
        return legs
    if level is Detail.LAST_LEG:
        return legs[-1:]
    return []


def events_visible_to(user: Any, shipment: Shipment) -> QuerySet[ShipmentEvent]:
    """A visible shipment's events: all for full detail; the recipient sees the handover ones."""
    qs = shipment.events.select_related("location").order_by("occurred_at", "id")
    level = shipment_detail_level(user, shipment)
    if level is Detail.FULL:
        return qs
    if level is Detail.LAST_LEG:
        return qs.filter(status__in=[S.HANDED_OVER, S.RECEIVED])
    return qs.none()


def week_window(day: dt.date) -> tuple[dt.date, dt.date]:
    """The calendar week (Monday to Sunday) that holds ``day``."""
    monday = day - dt.timedelta(days=day.weekday())
    return monday, monday + dt.timedelta(days=6)


def eta_window(shipment: Shipment) -> tuple[dt.date, dt.date] | None:
    """What the recipient is told: the calendar week of the ETA (Monday to Sunday).

    Aligned to the calendar, not centred on the ETA: a window around the ETA (ETA - 1 to
    ETA + 2, as before) gave the ETA away, and every move of it. The week says only which week;
    a move of the ETA within its week changes nothing the recipient sees (docs/logistics.md)."""
    if shipment.eta is None:
        return None
    return week_window(shipment.eta)


def discrepancies_visible_to(user: Any) -> QuerySet[Discrepancy]:
    u = as_user(user)
    qs = Discrepancy.objects.select_related("shipment", "location", "line__category")
    if u is None:
        return qs.none()
    if u.sees_everything:
        return qs
    if u.is_donor_liaison:
        return qs.filter(shipment__donor_id=u.nation_id)
    if u.is_recipient_liaison:
        return qs.filter(stage__in=[S.HANDED_OVER, S.RECEIVED])
    return qs.none()


# ---- discrepancies: who may move one along its lifecycle ----

HANDOVER_STAGES = (S.HANDED_OVER, S.RECEIVED)


def _sees_discrepancy(user: Any, d: Discrepancy) -> bool:
    return discrepancies_visible_to(user).filter(pk=d.pk).exists()


def _owner_donor(user: Any, d: Discrepancy) -> bool:
    """The liaison of the donor nation that owns the discrepancy (always its shipment's donor)."""
    u = as_user(user)
    return bool(
        u
        and u.is_donor_liaison
        and u.nation_id
        and d.owner_nation_id == u.nation_id
        and d.shipment.donor_id == u.nation_id
    )


def can_investigate_discrepancy(user: Any, d: Discrepancy) -> bool:
    """Open -> investigating: the cell, or the owner nation's donor liaison."""
    u = as_user(user)
    if u is None or d.status != Discrepancy.Status.OPEN:
        return False
    return u.is_coordinator or _owner_donor(u, d)


def discrepancy_resolutions_for(user: Any, d: Discrepancy) -> list[str]:
    """The resolutions this user may give this discrepancy (none once it is resolved): the
    cell any; the owner nation's donor liaison any of its own; the recipient's liaison "found"
    for what it received (the discrepancies of the handover and the receipt it sees)."""
    u = as_user(user)
    if u is None or d.status == Discrepancy.Status.RESOLVED:
        return []
    if u.is_coordinator or _owner_donor(u, d):
        return list(Discrepancy.Resolution.values)
    if u.is_recipient_liaison and d.stage in HANDOVER_STAGES and _sees_discrepancy(u, d):
        return [Discrepancy.Resolution.FOUND.value]
    return []


def can_resolve_discrepancy(user: Any, d: Discrepancy, resolution: str | None = None) -> bool:
    """Whether the user may resolve ``d`` (as ``resolution``, or as anything when None)."""
    allowed = discrepancy_resolutions_for(user, d)
    return bool(allowed) if resolution is None else resolution in allowed


def can_reassign_discrepancy(user: Any, d: Discrepancy) -> bool:
    """Give it to the shipment's donor or to the cell: the coordinator, while it is not resolved."""
    u = as_user(user)
    return bool(u and u.is_coordinator and d.status != Discrepancy.Status.RESOLVED)


def can_set_due_discrepancy(user: Any, d: Discrepancy) -> bool:
    u = as_user(user)
    return bool(u and u.is_coordinator and d.status != Discrepancy.Status.RESOLVED)


def discrepancy_actions_for(user: Any, d: Discrepancy) -> dict[str, Any]:
    """What a page offers on one discrepancy: each allowed action (the resolutions by value)."""
    return {
        "investigate": can_investigate_discrepancy(user, d),
        "resolutions": discrepancy_resolutions_for(user, d),
        "reassign": can_reassign_discrepancy(user, d),
        "due": can_set_due_discrepancy(user, d),
    }


# ---- the register of discrepancies across shipments ----

UNRESOLVED = (Discrepancy.Status.OPEN, Discrepancy.Status.INVESTIGATING)
AGE_BANDS = {"lt7": (0, 7), "7to30": (7, 31), "gt30": (31, None)}  # days since recorded
REGISTER_SORTS = ("due_on", "-due_on", "recorded_at", "-recorded_at")


def overdue_discrepancies(
    qs: QuerySet[Discrepancy], today: dt.date | None = None
) -> QuerySet[Discrepancy]:
    today = today or timezone.now().date()
    return qs.filter(status__in=UNRESOLVED, due_on__lt=today)


@dataclass(frozen=True)
class DiscrepancyFilters:
    donor: str = ""  # nation code
    kind: str = ""
    state: str = ""  # a status, or "unresolved"
    age: str = ""  # a key of AGE_BANDS
    overdue: bool = False
    sort: str = "due_on"


def discrepancy_register(
    user: Any, f: DiscrepancyFilters, today: dt.date | None = None
) -> QuerySet[Discrepancy]:
    """The discrepancies across shipments the user may see, filtered and sorted (due date
    first by default). Unknown filter values are ignored, as on every list."""
    today = today or timezone.now().date()
    qs = discrepancies_visible_to(user).select_related(
        "shipment__donor", "owner_nation", "other_shipment"
    )
    if f.donor:
        qs = qs.filter(shipment__donor__code=f.donor.upper())
    if f.kind in Discrepancy.Kind.values:
        qs = qs.filter(kind=f.kind)
    if f.state == "unresolved":
        qs = qs.filter(status__in=UNRESOLVED)
    elif f.state in Discrepancy.Status.values:
        qs = qs.filter(status=f.state)
    if f.age in AGE_BANDS:
        low, high = AGE_BANDS[f.age]
        start = dt.datetime.combine(today, dt.time(), tzinfo=dt.UTC) + dt.timedelta(days=1)
        qs = qs.filter(recorded_at__lt=start - dt.timedelta(days=low))
        if high is not None:
            qs = qs.filter(recorded_at__gte=start - dt.timedelta(days=high))
    if f.overdue:
        qs = overdue_discrepancies(qs, today)
    sort = f.sort if f.sort in REGISTER_SORTS else "due_on"
    return qs.order_by(sort, "-pk" if sort.startswith("-") else "pk")


def discrepancy_counts(user: Any, today: dt.date | None = None) -> dict[str, int]:
    """Unresolved and overdue discrepancies the user may see: the dashboards' figures."""
    today = today or timezone.now().date()
    qs = discrepancies_visible_to(user).filter(status__in=UNRESOLVED)
    counts = qs.aggregate(open=Count("pk"), overdue=Count("pk", filter=Q(due_on__lt=today)))
    return {"open": counts["open"] or 0, "overdue": counts["overdue"] or 0}


def discrepancy_location_shown(user: Any, d: Discrepancy) -> bool:
    """Where a discrepancy was found is the route: shown with full detail of its shipment, or
    when it was found at the handover point the recipient sees anyway."""
    if d.stage in HANDOVER_STAGES:
        return True
    return shipment_detail_level(user, d.shipment) is Detail.FULL


# ---- end-use inventory: an item's state ----


class ItemState(models.TextChoices):
    RECEIVED = "received", _("Received")
    DAMAGED = "damaged", _("Damaged")
    MISSING = "missing", _("Missing")
    IN_TRANSIT = "in_transit", _("In transit")
    NOT_DISPATCHED = "not_dispatched", _("Not yet dispatched")
    CANCELLED = "cancelled", _("Shipment cancelled")


def _reported(kind: str) -> Exists:
    """A discrepancy of ``kind`` on this item's serial and shipment not resolved as found."""
    return Exists(
        Discrepancy.objects.filter(
            shipment_id=OuterRef("shipment_line__shipment_id"),
            serial=OuterRef("serial"),
            kind=kind,
        ).exclude(resolution=Discrepancy.Resolution.FOUND)
    )


def with_item_state(qs: QuerySet[SerialItem]) -> QuerySet[SerialItem]:
    """The items with ``state`` (an ItemState value), derived from the records: a serial
    reported missing (and not found since) is missing, whatever a receipt said; a damaged one is
    damaged; then received, or where its shipment is."""
    return qs.annotate(
        state=Case(
            When(_reported(Discrepancy.Kind.MISSING_SERIAL), then=Value(ItemState.MISSING)),
            When(_reported(Discrepancy.Kind.DAMAGED), then=Value(ItemState.DAMAGED)),
            When(received_at__isnull=False, then=Value(ItemState.RECEIVED)),
            When(shipment_line__shipment__status=S.CANCELLED, then=Value(ItemState.CANCELLED)),
            When(
                shipment_line__shipment__status__in=[S.PLANNED, S.READY],
                then=Value(ItemState.NOT_DISPATCHED),
            ),
            default=Value(ItemState.IN_TRANSIT),
            output_field=CharField(),
        )
    )


def item_state(item: SerialItem) -> ItemState:
    """The state ``with_item_state`` gave this item."""
    return ItemState(getattr(item, "state", ItemState.IN_TRANSIT))


def items_in_state(qs: QuerySet[SerialItem], state: str) -> QuerySet[SerialItem]:
    """Items of ``with_item_state(qs)`` in ``state``; all of them for a state that is none."""
    if state not in ItemState.values:
        return qs
    return qs.filter(**{"state": state})  # an annotation: the stubs know the model's fields


def serial_items_visible_to(user: Any) -> QuerySet[SerialItem]:
    """End-use inventory: the cell and auditors see all, a donor its own, the recipient what it
    received."""
    u = as_user(user)
    qs = SerialItem.objects.select_related(
        "category", "last_location", "shipment_line__shipment__donor"
    )
    if u is None:
        return qs.none()
    if u.sees_everything:
        return qs
    if u.is_donor_liaison:
        return qs.filter(shipment_line__shipment__donor_id=u.nation_id)
    if u.is_recipient_liaison:
        return qs.filter(received_at__isnull=False)
    return qs.none()


# Who records which event: the donor gets its goods ready and away, the cell runs hubs and
# transport, the recipient's liaison takes over and alone confirms receipt.
EVENT_ROLES = {
    "coordinator": {S.READY, S.DEPARTED, S.AT_HUB, S.DEPARTED_HUB, S.HANDED_OVER, S.CANCELLED},
    "donor_liaison": {S.READY, S.DEPARTED},
    "recipient_liaison": {S.HANDED_OVER, S.RECEIVED},
}


def can_record_events(user: Any) -> bool:
    """Whether the role records shipment events at all (the bulk feed, the next-status form)."""
    u = as_user(user)
    return bool(u and u.role in EVENT_ROLES)


def can_record_event(user: Any, shipment: Shipment, status: str) -> bool:
    u = as_user(user)
    if u is None or status not in EVENT_ROLES.get(u.role, set()):
        return False
    if u.is_donor_liaison:
        return shipment.donor_id == u.nation_id
    return shipments_visible_to(u).filter(pk=shipment.pk).exists()


def bulk_event_statuses(user: Any) -> list[str]:
    """Statuses the user may record for several shipments at once from the list: the steps
    that need no count, names or serials of their own (those are recorded one by one)."""
    u = as_user(user)
    mine = EVENT_ROLES.get(u.role, set()) if u else set()
    return [s for s in (S.READY, S.DEPARTED, S.AT_HUB, S.DEPARTED_HUB) if s in mine]


def serial_manifest(user: Any, shipment: Shipment) -> dict[int, list[str]]:
    """The manifest of a shipment the user may record a check for: serial numbers per
    serial-numbered line (empty lists before the manifest is recorded at the origin)."""
    manifest: dict[int, list[str]] = {
        pk: []
        for pk in shipment.lines.filter(category__sensitive=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    }
    if not can_record_events(user):
        return {}
    for line_id, serial in SerialItem.objects.filter(shipment_line__shipment=shipment).values_list(
        "shipment_line_id", "serial"
    ):
        manifest.setdefault(line_id, []).append(serial)
    return manifest


def can_plan_shipments(user: Any) -> bool:
    u = as_user(user)
    return bool(u and u.is_coordinator)


def can_change_shipment(user: Any, shipment: Shipment) -> bool:
    """Split, merge, re-route, cancel: a planner, on a shipment within their need-to-know."""
    return can_plan_shipments(user) and shipments_visible_to(user).filter(pk=shipment.pk).exists()


def shipment_for_change(user: Any, reference: str) -> Shipment | None:
    """A shipment named by its reference in a form (merge's other shipment), if this user may
    change it; None otherwise, exactly as for one that does not exist."""
    found = shipments_visible_to(user).filter(reference=reference.strip()).first()
    return found if found is not None and can_change_shipment(user, found) else None


def can_see_delays(user: Any) -> bool:
    u = as_user(user)
    return bool(u and u.sees_everything)


# ---- quantities: pledged, allocated, shipped, handed over and received are never mixed ----


def received_quantity_by_requirement(
    requirement_ids: Iterable[int] | None = None,
) -> dict[int, int]:
    """Units the recipient confirmed as received, per requirement: what fulfils a need."""
    qs = ShipmentLine.objects.filter(received_quantity__isnull=False).exclude(
        shipment__status=S.CANCELLED
    )
    if requirement_ids is not None:
        qs = qs.filter(requirement_id__in=list(requirement_ids))
    rows = qs.values("requirement_id").annotate(n=Sum("received_quantity"))
    return {row["requirement_id"]: row["n"] for row in rows}


@dataclass(frozen=True)
class Quantities:
    allocated: int = 0  # in committed allocation runs
    on_shipments: int = 0  # planned on shipments that are not cancelled
    shipped: int = 0  # counted at departure from origin
    handed_over: int = 0  # counted at handover at the delivery point
    received: int = 0  # confirmed by the recipient: the only figure that fulfils a requirement


def quantities_by_requirement(requirement_ids: Iterable[int]) -> dict[int, Quantities]:
    ids = list(requirement_ids)
    allocated = dict(
        AllocationLine.objects.filter(
            requirement_id__in=ids, run__status=AllocationRun.Status.COMMITTED
        )
        .values("requirement_id")
        .annotate(n=Sum("quantity"))
        .values_list("requirement_id", "n")
    )
    rows = (
        ShipmentLine.objects.filter(requirement_id__in=ids)
        .exclude(shipment__status=S.CANCELLED)
        .values("requirement_id")
        .annotate(
            planned=Sum("quantity"),
            shipped=Sum("shipped_quantity"),
            handed=Sum("handed_over_quantity"),
            received=Sum("received_quantity"),
        )
    )
    by_id = {r["requirement_id"]: r for r in rows}
    result = {}
    for rid in ids:
        r: Mapping[str, Any] = by_id.get(rid, {})
        result[rid] = Quantities(
            allocated=allocated.get(rid) or 0,
            on_shipments=r.get("planned") or 0,
            shipped=r.get("shipped") or 0,
            handed_over=r.get("handed") or 0,
            received=r.get("received") or 0,
        )
    return result


def pledged_and_shipped_by_pledge(pledge_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """Per pledge: shipped, handed over and received (pledged and allocated are on the pledge)."""
    rows = (
        ShipmentLine.objects.filter(pledge_id__in=list(pledge_ids))
        .exclude(shipment__status=S.CANCELLED)
        .values("pledge_id")
        .annotate(
            shipped=Sum("shipped_quantity"),
            handed_over=Sum("handed_over_quantity"),
            received=Sum("received_quantity"),
        )
    )
    return {
        r["pledge_id"]: {k: r[k] or 0 for k in ("shipped", "handed_over", "received")} for r in rows
    }


def shipments_not_departed_carrying(pledge_id: int) -> list[str]:
    """References of the shipments, planned or ready at origin, that carry this pledge."""
    return list(
        Shipment.objects.filter(lines__pledge_id=pledge_id, status__in=[S.PLANNED, S.READY])
        .order_by("reference")
        .values_list("reference", flat=True)
        .distinct()
    )


# ---- delays ----


def late_shipments(qs: QuerySet[Shipment], today: dt.date | None = None) -> QuerySet[Shipment]:
    """Shipments on the way that are past a planned milestone, or whose ETA slipped.

    ``next_due`` is the planned date of the milestone the shipment has not reached yet;
    ``delay_days`` is how far its expected times moved behind plan at its last event.
    """
    today = today or timezone.now().date()
    return qs.filter(status__in=IN_PROGRESS).filter(Q(next_due__lt=today) | Q(delay_days__gt=0))


def days_late(shipment: Shipment, today: dt.date) -> int:
    overdue = (today - shipment.next_due).days if shipment.next_due else 0
    return max(overdue, shipment.delay_days, 0)


# ---- hubs ----


@dataclass
class HubWeek:
    monday: dt.date
    domain: str
    inbound: int = 0
    outbound: int = 0
    capacity: int = 0

    @property
    def over_capacity(self) -> bool:
        return max(self.inbound, self.outbound) > self.capacity


@dataclass
class HubOutlook:
    hub: Location
    weeks: list[dt.date]
    domains: list[str]
    cells: dict[tuple[str, dt.date], HubWeek]
    on_hand: dict[str, int]
    capacity: dict[str, int]


def hub_use_by_week(
    *, start: dt.date, weeks: int, exclude_shipments: Iterable[int] = ()
) -> dict[tuple[int, str, int], int]:
    """Units that shipments not cancelled and not yet past their hub will take out of it, per
    (hub, domain, week from the Monday ``start``), by the hub leg's expected (else planned)
    departure: what committed plans already use of a hub's weekly capacity."""
    end = start + dt.timedelta(weeks=weeks)
    rows = (
        ShipmentLine.objects.filter(
            shipment__status__in=[S.PLANNED, S.READY, S.DEPARTED, S.AT_HUB],
            shipment__legs__sequence=2,
        )
        .exclude(shipment_id__in=sorted(set(exclude_shipments)))
        .annotate(
            day=Coalesce("shipment__legs__expected_departure", "shipment__legs__planned_departure")
        )
        .filter(day__gte=start, day__lt=end)
        .values("shipment__hub_id", "category__domain", "day")
        .annotate(n=Sum(Coalesce("shipped_quantity", "quantity")))
    )
    use: dict[tuple[int, str, int], int] = {}
    for row in rows:
        key = (row["shipment__hub_id"], row["category__domain"], (row["day"] - start).days // 7)
        use[key] = use.get(key, 0) + (row["n"] or 0)
    return use


def hub_outlook(hub: Location, *, today: dt.date, weeks: int = 8) -> HubOutlook:
    """Per domain: units expected in and out per week against the weekly capacity, and on hand."""
    monday = today - dt.timedelta(days=today.weekday())
    mondays = [monday + dt.timedelta(weeks=w) for w in range(weeks)]
    end = mondays[-1] + dt.timedelta(days=7)
    by_week = hub_capacity_by_week(start=monday, weeks=weeks, hub_ids=[hub.pk])
    # This week's figure per domain; each week's cell below has that week's (closures, cuts).
    capacity = {domain: figures[0] for (_hub, domain), figures in by_week.items()}
    cells: dict[tuple[str, dt.date], HubWeek] = {}
    open_lines = ShipmentLine.objects.filter(shipment__hub=hub, shipment__status__in=IN_PROGRESS)

    def add(rows: Iterable[Mapping[str, Any]], attr: str) -> None:
        for row in rows:
            day = max(row["day"], monday)
            week = day - dt.timedelta(days=day.weekday())
            key = (row["category__domain"], week)
            cell = cells.setdefault(key, HubWeek(week, row["category__domain"]))
            setattr(cell, attr, getattr(cell, attr) + row["n"])

    inbound = (
        open_lines.filter(shipment__status__in=[S.PLANNED, S.READY, S.DEPARTED])
        .filter(shipment__legs__sequence=1, shipment__legs__expected_arrival__lt=end)
        .values("category__domain", day=F("shipment__legs__expected_arrival"))
        .annotate(n=Sum("quantity"))
    )
    outbound = (
        open_lines.exclude(shipment__status=S.DEPARTED_HUB)
        .filter(shipment__legs__sequence=2, shipment__legs__expected_departure__lt=end)
        .values("category__domain", day=F("shipment__legs__expected_departure"))
        .annotate(n=Sum("quantity"))
    )
    add(inbound, "inbound")
    add(outbound, "outbound")
    on_hand = dict(
        open_lines.filter(shipment__status=S.AT_HUB)
        .values("category__domain")
        .annotate(n=Sum(Coalesce("shipped_quantity", "quantity")))
        .values_list("category__domain", "n")
    )
    domains = sorted({d for d, _ in cells} | set(capacity) | set(on_hand))
    for (domain, week), cell in cells.items():
        figures = by_week.get((hub.pk, domain))
        cell.capacity = figures[(week - monday).days // 7] if figures else 0
    return HubOutlook(hub, mondays, domains, cells, on_hand, capacity)


# ---- end-use inventory ----


def inventory_interval_days() -> int:
    return int(getattr(settings, "COORDCELL_INVENTORY_CHECK_DAYS", 90))


def overdue_serial_items(
    qs: QuerySet[SerialItem], now: dt.datetime | None = None, days: int | None = None
) -> QuerySet[SerialItem]:
    """Received items whose last check (or receipt, if never checked) is older than the interval."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=days if days is not None else inventory_interval_days())
    # A missing item is not due for a check where it is not: its discrepancy is followed up.
    return (
        qs.filter(received_at__isnull=False)
        .filter(~_reported(Discrepancy.Kind.MISSING_SERIAL))
        .annotate(last_accounted=Coalesce("last_checked_at", "received_at"))
        .filter(last_accounted__lt=cutoff)
    )
