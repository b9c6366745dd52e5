"""Recording status events, one by hand or thousands from a feed, and deriving from them each
shipment's status, leg times, ETA and counted quantities.

Idempotent: every event carries the sender's own id (``id``); an id the same sender already
stored is skipped, so a re-sent batch changes nothing. Ids are the sender's (its nation's, or the
cell's: ``ShipmentEvent.sender_of``): another nation's id is a new id, never "already used".
Out of order: events are accepted in any order and the status is derived
(``lifecycle.derive_status``). Partial: a bad event is rejected with its reason, the rest of the
batch is recorded.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from coordcell.audit.services import AuditEntry, record_many
from coordcell.bounds import QUANTITY_MAX, whole_number
from coordcell.db import insert_many
from coordcell.pledges.services import pledges_refresh_allocated
from coordcell.readiness import services as readiness
from coordcell.readiness.equipment import shipment_facts
from coordcell.readiness.facts import Cause
from coordcell.registry.access import as_user, locations_visible_to
from coordcell.registry.models import Location, User
from coordcell.requirements.services import requirements_refresh_status

from . import checks
from .derive import refresh_shipments
from .lifecycle import (
    CHECKS,
    EVENT_STATUSES,
    RANK,
    S,
    transition_error,
)
from .models import SerialItem, Shipment, ShipmentEvent, ShipmentLine
from .selectors import EVENT_ROLES, can_record_events, shipments_visible_to

MAX_BATCH = 5000
ID_REUSED = "This id was already used for a different event; ids must be unique."
EVENT_ROLES_REFUSAL = "Only coordinators and donor or recipient liaisons record events."
MAX_LINES = 1000  # lines one event may count (a shipment has a handful)
FUTURE_TOLERANCE = dt.timedelta(minutes=10)
# Where each event happens: the shipment's origin, hub or delivery point.
EXPECTED_PLACE = {
    S.READY: "origin",
    S.DEPARTED: "origin",
    S.AT_HUB: "hub",
    S.DEPARTED_HUB: "hub",
    S.HANDED_OVER: "delivery_point",
    S.RECEIVED: "delivery_point",
}
NEEDS_QUANTITY = (S.HANDED_OVER, S.RECEIVED)
NEEDS_SIGNATURES = (S.HANDED_OVER, S.RECEIVED)
EVENT_FIELDS = [
    "client_id",
    "shipment_id",
    "status",
    "occurred_at",
    "recorded_at",
    "recorded_by_id",
    "location_id",
    "quantity",
    "line_quantities",
    "serials",
    "handed_over_by",
    "taken_over_by",
    "note",
]


@dataclass(frozen=True)
class Rejection:
    index: int
    id: str
    error: str


@dataclass(frozen=True)
class Incident:
    """A refusal the cell should see in the audit trail (an id reused for another event, a
    serial already on another shipment's manifest), recorded even when the batch is refused."""

    verb: str
    entry: AuditEntry


@dataclass
class IngestResult:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    shipments: list[str] = field(default_factory=list)  # references whose events changed
    incidents: list[Incident] = field(default_factory=list, repr=False)  # never sent back

    def as_dict(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": [r.__dict__ for r in self.rejected],
            "shipments": self.shipments,
        }


class EventError(Exception):
    pass


class SerialTaken(EventError):
    """A serial of the manifest is already on another shipment's manifest."""

    def __init__(self, message: str, incident: Incident) -> None:
        super().__init__(message)
        self.incident = incident


@dataclass
class _Item:
    index: int
    client_id: str
    reference: str
    status: str
    occurred_at: dt.datetime
    location_code: str
    quantity: int | None
    lines: dict[str, int] | None
    serials: list[str] | dict[str, list[str]] | None
    handed_over_by: str
    taken_over_by: str
    note: str
    raw: Mapping[str, Any]


def events_ingest(*, actor: Any, events: Sequence[Mapping[str, Any]]) -> IngestResult:
    """Record a batch of status events (dicts, see docs/logistics.md for the fields).

    Returns what was accepted, skipped as already recorded, and rejected (with the reason).
    """
    return _ingest(actor, events, strict=False)


def _ingest(actor: Any, events: Sequence[Mapping[str, Any]], *, strict: bool) -> IngestResult:
    user = as_user(actor)
    if user is None or not can_record_events(user):
        raise PermissionDenied(EVENT_ROLES_REFUSAL)
    if len(events) > MAX_BATCH:
        raise ValidationError(
            f"A batch holds at most {MAX_BATCH} events; send the {len(events)} in parts."
        )
    result = IngestResult()
    items: list[_Item] = []
    seen: dict[str, _Item] = {}
    now = timezone.now()
    for index, raw in enumerate(events):
        try:
            item = _parse(index, raw, now)
        except EventError as exc:
            client_id = raw.get("id") if isinstance(raw, Mapping) else None
            result.rejected.append(Rejection(index, str(client_id or ""), str(exc)))
            continue
        if item.client_id in seen:
            if dict(seen[item.client_id].raw) == dict(raw):
                result.duplicates += 1
            else:
                result.rejected.append(
                    Rejection(
                        index,
                        item.client_id,
                        "This id is used twice in the batch "
                        "for different events: ids must be unique.",
                    )
                )
            continue
        seen[item.client_id] = item
        items.append(item)
    if not items:
        return result
    try:
        with transaction.atomic():
            _record(user, items, result, now, strict=strict)
    except ValidationError:
        _record_incidents(user, result)  # a refused event by hand still leaves its trace
        raise
    _record_incidents(user, result)
    return result


def _record_incidents(user: User, result: IngestResult) -> None:
    if not result.incidents:
        return
    with transaction.atomic():
        for verb in dict.fromkeys(i.verb for i in result.incidents):
            record_many(
                actor=user,
                verb=verb,
                entries=[i.entry for i in result.incidents if i.verb == verb],
            )


def _parse(index: int, raw: Any, now: dt.datetime) -> _Item:
    if not isinstance(raw, Mapping):
        raise EventError("An event is an object with id, shipment, status and occurred_at.")
    client_id = raw.get("id")
    if not isinstance(client_id, str) or not 1 <= len(client_id) <= 100:
        raise EventError("'id' is required: the sender's unique event id, 1 to 100 characters.")
    reference = raw.get("shipment")
    if not isinstance(reference, str) or not reference:
        raise EventError("'shipment' is required: the shipment reference, e.g. S-000123.")
    status = raw.get("status")
    if status not in EVENT_STATUSES:
        allowed = ", ".join(EVENT_STATUSES)
        raise EventError(f"'status' {status!r} is not an event status; use one of: {allowed}.")
    text = raw.get("occurred_at")
    occurred = parse_datetime(text) if isinstance(text, str) else None
    if occurred is None or occurred.tzinfo is None:
        raise EventError(
            "'occurred_at' must be an ISO 8601 time with its offset, e.g. 2027-01-04T08:30:00Z."
        )
    occurred = occurred.astimezone(dt.UTC)
    if occurred > now + FUTURE_TOLERANCE:
        raise EventError(f"'occurred_at' {text} is in the future.")
    quantity = raw.get("quantity")
    if quantity is not None and whole_number(quantity, 0, QUANTITY_MAX) is None:
        raise EventError(f"'quantity' must be a whole number from 0 to {QUANTITY_MAX}.")
    lines = raw.get("lines")
    if lines is not None and not (
        isinstance(lines, Mapping)
        and len(lines) <= MAX_LINES
        and all(whole_number(v, 0, QUANTITY_MAX) is not None for v in lines.values())
    ):
        raise EventError(
            "'lines' maps shipment line ids to whole quantities from 0 to "
            f'{QUANTITY_MAX}, e.g. {{"17": 40}}.'
        )
    serial_list = raw.get("serials")
    if serial_list is not None and not _serials_ok(serial_list):
        raise EventError(
            "'serials' is a list of serial numbers, or maps shipment line ids to such lists."
        )
    names = {k: raw.get(k) or "" for k in ("handed_over_by", "taken_over_by", "note", "location")}
    if not all(isinstance(v, str) for v in names.values()):
        raise EventError("'handed_over_by', 'taken_over_by', 'location' and 'note' are text.")
    return _Item(
        index,
        client_id,
        reference,
        status,
        occurred,
        names["location"],
        quantity,
        {str(k): v for k, v in lines.items()} if lines is not None else None,
        serial_list,
        names["handed_over_by"][:150],
        names["taken_over_by"][:150],
        names["note"],
        raw,
    )


def _serials_ok(value: Any) -> bool:
    if isinstance(value, list):
        return all(isinstance(s, str) and 0 < len(s) <= 100 for s in value)
    if isinstance(value, Mapping):
        return all(_serials_ok(v) and isinstance(v, list) for v in value.values())
    return False


def _record(
    user: User, items: list[_Item], result: IngestResult, now: dt.datetime, *, strict: bool
) -> None:
    refs = {i.reference for i in items}
    visible = shipments_visible_to(user).filter(reference__in=refs).values("pk")
    # Lock the shipments (in id order, so two feeds never deadlock) before checking ids.
    shipments = {
        s.reference: s
        for s in Shipment.objects.filter(pk__in=visible).order_by("pk").select_for_update()
    }
    lines_by_shipment: dict[int, list[ShipmentLine]] = defaultdict(list)
    for line in ShipmentLine.objects.filter(shipment__in=shipments.values()).select_related(
        "category"
    ):
        lines_by_shipment[line.shipment_id].append(line)
    codes = {i.location_code for i in items if i.location_code}
    # Another donor's depot is "unknown" like a code that does not exist.
    locations = {loc.code: loc for loc in locations_visible_to(user).filter(code__in=codes)}
    sender = ShipmentEvent.sender_of(user)
    stored = {
        row["client_id"]: row
        for row in ShipmentEvent.objects.filter(
            sender=sender, client_id__in=[i.client_id for i in items]
        ).values("id", "client_id", "shipment__reference", "status", "occurred_at")
    }
    current = {s.reference: s.status for s in shipments.values()}
    rows: list[tuple[Any, ...]] = []
    accepted: list[tuple[_Item, Shipment]] = []
    for item in items:
        if item.client_id in stored:
            row = stored[item.client_id]
            same = (row["shipment__reference"], row["status"], row["occurred_at"]) == (
                item.reference,
                item.status,
                item.occurred_at,
            )
            if same:
                result.duplicates += 1
            else:
                result.rejected.append(
                    Rejection(
                        item.index,
                        item.client_id,
                        ID_REUSED,
                    )
                )
                result.incidents.append(
                    Incident(
                        "shipment.event-id-conflict",
                        AuditEntry(
                            "logistics.shipmentevent",
                            str(row["id"]),
                            f"{row['shipment__reference']} {row['status']}",
                            {
                                "client_id": item.client_id,
                                "sender": sender,
                                "sent": {
                                    "shipment": item.reference,
                                    "status": item.status,
                                    "occurred_at": item.occurred_at,
                                },
                            },
                        ),
                    )
                )
            continue
        shipment = shipments.get(item.reference)
        try:
            if shipment is None:
                raise EventError(f"No shipment {item.reference} that you may record events for.")
            row_values = _validate(
                user,
                item,
                shipment,
                lines_by_shipment[shipment.pk],
                locations,
                current[item.reference],
                strict=strict,
            )
        except (EventError, ValidationError) as exc:
            message = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            result.rejected.append(Rejection(item.index, item.client_id, message))
            if isinstance(exc, SerialTaken):
                result.incidents.append(exc.incident)
            continue
        if RANK[item.status] > RANK[current[item.reference]] or item.status == S.CANCELLED:
            current[item.reference] = item.status
        rows.append(
            (item.client_id, shipment.pk, item.status, item.occurred_at, now, user.pk, *row_values)
        )
        accepted.append((item, shipment))
    if strict and result.rejected:
        raise ValidationError([r.error for r in result.rejected])
    if not rows:
        return
    touched = sorted({s.pk for _, s in accepted})
    readiness_before = shipment_facts(touched)
    insert_many(ShipmentEvent, [*EVENT_FIELDS, "sender"], [(*row, sender) for row in rows])
    ids = dict(
        ShipmentEvent.objects.filter(sender=sender, client_id__in=[r[0] for r in rows]).values_list(
            "client_id", "id"
        )
    )
    result.accepted = len(rows)
    result.shipments = sorted({s.reference for _, s in accepted})

    def needs_check(item: _Item, shipment: Shipment, counted: dict[str, int]) -> bool:
        # Only serials, serial-numbered lines and counts below plan can find anything.
        if item.serials:
            return True
        if item.status not in CHECKS:
            return False
        lines = lines_by_shipment[shipment.pk]
        return any(
            ln.category.sensitive or counted.get(str(ln.pk), ln.quantity) < ln.quantity
            for ln in lines
        )

    checks.apply(
        [
            ids[item.client_id]
            for (item, shipment), row in zip(accepted, rows, strict=True)
            if needs_check(item, shipment, row[8])
        ],
        user,
    )
    changed_requirements, changed_pledges = refresh_shipments(touched, today=now.date(), actor=user)
    record_many(
        actor=user,
        verb="shipment.event",
        entries=(
            AuditEntry(
                "logistics.shipmentevent",
                str(ids[item.client_id]),
                f"{shipment.reference} {item.status}",
                {
                    "client_id": item.client_id,
                    "shipment": shipment.reference,
                    "status": item.status,
                    "occurred_at": item.occurred_at,
                    "row": list(row[6:]),
                },
            )
            for (item, shipment), row in zip(accepted, rows, strict=True)
        ),
    )
    cause = "shipment events: " + ", ".join(
        sorted({f"{s.reference} {item.status}" for item, s in accepted})[:5]
    )
    # The ledger moved: what a cancellation or a short count released, what was received.
    requirements_refresh_status(actor=user, requirement_ids=changed_requirements, cause=cause)
    pledges_refresh_allocated(actor=user, pledge_ids=changed_pledges, cause=cause)
    # Readiness only where the events moved what it reads (an ETA, a receipt, a cancellation).
    readiness_after = shipment_facts(touched)
    moved = {pk for pk in touched if readiness_after.get(pk) != readiness_before.get(pk)}
    if moved:
        references = sorted({s.reference for _item, s in accepted if s.pk in moved})
        readiness.recompute_for_shipments_after_commit(
            sorted(moved),
            cause=Cause(
                "shipment events: " + ", ".join(references[:5]),
                "shipment_events",
                shipments=tuple(sorted(moved)),
            ),
            actor=user,
        )


def _validate(
    user: User,
    item: _Item,
    shipment: Shipment,
    lines: list[ShipmentLine],
    locations: dict[str, Location],
    current: str,
    *,
    strict: bool,
) -> tuple[Any, ...]:
    """The stored values of a valid event (location .. note), or EventError saying what is wrong."""
    if item.status not in EVENT_ROLES.get(user.role, set()):
        allowed = ", ".join(sorted(EVENT_ROLES.get(user.role, set()))) or "none"
        raise EventError(
            f"A {user.get_role_display()} cannot record '{item.status}' (may record: {allowed})."
        )
    if strict:
        error = transition_error(current, item.status)
        if error:
            raise EventError(error)
    elif current == S.CANCELLED:
        raise EventError(f"{shipment.reference} is cancelled: it takes no further events.")
    if item.status == S.CANCELLED and RANK[current] >= RANK[S.DEPARTED]:
        raise EventError(f"{shipment.reference} has left its origin: it cannot be cancelled.")
    place = EXPECTED_PLACE.get(S(item.status))
    expected = getattr(shipment, f"{place}_id") if place else None
    location_id = expected
    if item.location_code:
        location = locations.get(item.location_code)
        if location is None:
            raise EventError(f"Unknown location '{item.location_code}'.")
        if place and expected is not None and location.pk != expected:
            raise EventError(
                f"'{item.status}' happens at the shipment's {place.replace('_', ' ')}, "
                f"not at {location.code}."
            )
        location_id = location.pk
    line_quantities = _line_quantities(item, shipment, lines)
    if item.status in NEEDS_SIGNATURES and not (item.handed_over_by and item.taken_over_by):
        raise EventError(
            f"'{item.status}' transfers custody: give 'handed_over_by' and 'taken_over_by' (names)."
        )
    serial_map = _serial_map(user, item, shipment, lines)
    quantity = item.quantity
    if quantity is None and line_quantities:
        quantity = sum(line_quantities.values())
    return (
        location_id,
        quantity,
        line_quantities,
        serial_map,
        item.handed_over_by,
        item.taken_over_by,
        item.note,
    )


def _line_quantities(item: _Item, shipment: Shipment, lines: list[ShipmentLine]) -> dict[str, int]:
    if item.status == S.CANCELLED:
        return {}
    planned = {str(line.pk): line.quantity for line in lines}
    if item.lines is not None:
        unknown = sorted(set(item.lines) - set(planned))
        if unknown:
            raise EventError(
                f"Lines {', '.join(unknown)} are not on {shipment.reference} "
                f"(its lines: {', '.join(planned)})."
            )
        if item.quantity is not None and item.quantity != sum(item.lines.values()):
            raise EventError("'quantity' differs from the sum of 'lines'.")
        return dict(item.lines)
    if item.quantity is None:
        if item.status in NEEDS_QUANTITY:
            raise EventError(f"'{item.status}' needs the quantity counted ('quantity').")
        return planned  # a departure without a count carries what was planned
    if len(planned) == 1:
        return {next(iter(planned)): item.quantity}
    if item.quantity == sum(planned.values()):
        return planned
    raise EventError(
        f"{shipment.reference} has {len(planned)} lines and the count differs from the plan: "
        f"give the quantity per line in 'lines' (line ids: {', '.join(planned)})."
    )


def _serial_map(
    user: User, item: _Item, shipment: Shipment, lines: list[ShipmentLine]
) -> dict[str, list[str]]:
    sensitive = [line for line in lines if line.category.sensitive]
    if item.serials is None:
        if sensitive and item.status in (S.READY, S.AT_HUB, S.HANDED_OVER):
            raise EventError(
                f"{shipment.reference} carries serial-numbered items: '{item.status}' needs "
                "their serial numbers ('serials')."
            )
        return {}
    if not sensitive:
        raise EventError(f"{shipment.reference} carries no serial-numbered items.")
    if isinstance(item.serials, list):
        if len(sensitive) == 1:
            serial_map = {str(sensitive[0].pk): list(item.serials)}
        elif item.status == S.READY:
            raise EventError(
                "Several lines carry serial-numbered items: give 'serials' per line id "
                f"({', '.join(str(line.pk) for line in sensitive)})."
            )
        else:
            serial_map = {"": list(item.serials)}  # checked against the whole manifest
    else:
        serial_map = {str(k): list(v) for k, v in item.serials.items()}
    if item.status == S.READY:
        by_id = {str(line.pk): line for line in sensitive}
        for key, values in serial_map.items():
            line = by_id.get(key)
            if line is None:
                raise EventError(f"Line {key} of {shipment.reference} is not serial-numbered.")
            if len(set(values)) != len(values):
                raise EventError(f"Line {key}: a serial number is listed twice.")
            if len(values) != line.quantity:
                raise EventError(
                    f"Line {key} ({line.category}) carries {line.quantity} items: record "
                    f"{line.quantity} serial numbers before departure, not {len(values)}."
                )
        missing = sorted(set(by_id) - set(serial_map))
        if missing:
            raise EventError(f"Serial numbers missing for lines {', '.join(missing)}.")
        for key, values in serial_map.items():
            taken = (
                SerialItem.objects.filter(category=by_id[key].category, serial__in=values)
                .exclude(shipment_line__shipment=shipment)
                .select_related("shipment_line__shipment")
                .order_by("serial")
                .first()
            )
            if taken:
                raise _serial_taken(user, shipment, taken)
    return serial_map


def _serial_taken(user: User, shipment: Shipment, taken: SerialItem) -> SerialTaken:
    """The refusal keeps the register whole (one serial, one manifest). It names the other
    shipment only to a sender who may see it: to anyone else a name would say whose shipment
    carries that serial. The cell sees every collision in the audit trail."""
    other = taken.shipment_line.shipment
    if shipments_visible_to(user).filter(pk=other.pk).exists():
        where = f"on {other.reference}"
    else:
        where = "on the manifest of another shipment"
    message = (
        f"Serial {taken.serial} is already recorded {where}: one serial belongs to one "
        "manifest. Check the serial number; the coordination cell sees this refusal."
    )
    incident = Incident(
        "serial.collision",
        AuditEntry(
            "logistics.serialitem",
            str(taken.pk),
            str(taken)[:200],
            {
                "serial": taken.serial,
                "sent_for": shipment.reference,
                "recorded_on": other.reference,
            },
        ),
    )
    return SerialTaken(message, incident)


# ---- a batch of events from a spreadsheet (an import): the feed's own rules and action ----


def event_as_feed(event: ShipmentEvent) -> dict[str, Any]:
    """One event of an import as the feed (``events_ingest``) takes it: ``serials`` a list of
    serial numbers (a new event's, as read from the sheet) or nothing."""
    raw: dict[str, Any] = {
        "id": event.client_id,
        "shipment": event.shipment.reference,
        "status": event.status,
        "occurred_at": event.occurred_at.isoformat() if event.occurred_at else None,
        "handed_over_by": event.handed_over_by or "",
        "taken_over_by": event.taken_over_by or "",
        "note": event.note or "",
    }
    if event.location is not None:
        raw["location"] = event.location.code
    if event.quantity is not None:
        raw["quantity"] = event.quantity
    if isinstance(event.serials, list) and event.serials:
        raw["serials"] = list(event.serials)
    return raw


def event_check(
    actor: Any, event: ShipmentEvent, *, before: Mapping[str, Any] | None
) -> ValidationError | None:
    """Every rule of one event of a batch, those ``events_ingest`` applies to one event of a
    feed (who records which status, where it happens, counts, signatures, serials), checked
    against the shipment as stored. ``before`` is the event the sender already recorded under
    this id: the same event again is nothing new (its stored values are kept), another one is
    refused as the feed refuses it. None when it passes."""
    user = as_user(actor)
    if user is None or not can_record_events(user):
        return ValidationError({"__all__": [ValidationError(EVENT_ROLES_REFUSAL, code="role")]})
    if before is not None:
        same = (before["shipment_id"], before["status"], before["occurred_at"]) == (
            event.shipment_id,
            event.status,
            event.occurred_at,
        )
        if not same:
            return ValidationError(
                {
                    "client_id": [
                        ValidationError(
                            ID_REUSED,
                            code="duplicate",
                        )
                    ]
                }
            )
        for attname, value in before.items():  # a re-sent event changes nothing
            setattr(event, attname, value)
        return None
    if event.shipment_id is None:  # a row naming no shipment it may see: nothing to check against
        return ValidationError(
            {"shipment": [ValidationError("Name a shipment you see.", code="required")]}
        )
    try:
        item = _parse(0, event_as_feed(event), timezone.now())
        shipment = event.shipment
        # An import names the shipment and the place through lookups of what the user sees,
        # read once per import (lines prefetched there): no query per row for them here.
        lines = list(shipment.lines.all())
        place = event.location
        locations = {place.code: place} if place is not None else {}
        _validate(user, item, shipment, lines, locations, shipment.status, strict=False)
    except (EventError, ValidationError) as exc:
        message = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        return ValidationError({"__all__": [ValidationError(message, code="event")]})
    return None


def events_save_many(
    *,
    actor: Any,
    creates: Sequence[ShipmentEvent],
    updates: Sequence[tuple[Mapping[str, Any], ShipmentEvent]],
) -> None:
    """Record many events (an import) through the feed's own action, ``events_ingest``: the
    same checks, audit events (``shipment.event``), derived statuses, serial register, ledger
    and readiness. All or nothing: an event the feed rejects refuses the batch, naming it.
    Events are append-only: a changed event is refused."""
    if updates:
        raise ValidationError(
            [f"{e.client_id}: an event is recorded once and never changed." for _b, e in updates]
        )
    if not creates:
        return
    with transaction.atomic():
        result = events_ingest(actor=actor, events=[event_as_feed(e) for e in creates])
        if result.rejected:
            raise ValidationError([f"{r.id}: {r.error}" for r in result.rejected[:20]])
