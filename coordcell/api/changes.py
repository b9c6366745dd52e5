"""The change feed (``GET /api/v1/changes``): what changed, in the audit chain's order, among the
records the caller may read now.

Each record type of the feed names its app's ``*_visible_to`` (the function the pages, exports and
the API start from); nothing here decides who reads what. A page is read in three steps, each a
query or a few for the whole page, never one per event:

1. the events after the cursor, of the types the caller reads at all (``seq`` index, no OFFSET);
2. for the types it reads only in part, which of the page's records are in its ``*_visible_to``
   now (one ``pk IN (...)`` per type);
3. for the types with fields hidden from it, which events changed only those (their ``data``).

Decisions (docs/api.md, "The change feed"):

- Visibility is asked *now*: a record the caller may not read today is left out with its whole
  history, one it may read is listed with its whole history.
- A deleted record cannot be asked about: its events (the delete included) are listed only to a
  caller who reads every record of its type (the type's ``*_visible_to`` is not narrowed for it).
- Shipments and their events are route and time information: listed only where the caller sees
  the shipment in full (``logistics.selectors.detail_level_for_donor``).
- A package's ``readiness-change`` follows other nations' shipments; listed to the cell only.
- An update that changed only fields hidden from the caller (a pledge's value for the
  recipient, ``Register.hidden``) is left out.
- Incidents recorded on a record (an event id or a serial sent twice) are not changes of it.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Model, QuerySet
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce

from coordcell.allocation.models import AllocationRun
from coordcell.allocation.selectors import runs_visible_to
from coordcell.audit.models import AuditEvent
from coordcell.bounds import BIGINT
from coordcell.logistics.models import (
    Discrepancy,
    Leg,
    SerialItem,
    Shipment,
    ShipmentEvent,
    ShipmentLine,
)
from coordcell.logistics.selectors import (
    Detail,
    detail_level_for_donor,
    discrepancies_visible_to,
    serial_items_visible_to,
    shipments_visible_to,
)
from coordcell.notifications.models import Notification
from coordcell.notifications.selectors import notifications_visible_to
from coordcell.pledges.models import PledgeDelivery
from coordcell.pledges.register_defs import PLEDGES
from coordcell.pledges.selectors import pledge_deliveries_visible_to
from coordcell.readiness.models import CapabilityPackage
from coordcell.readiness.selectors import packages_visible_to
from coordcell.registry import register_defs as reg
from coordcell.registry.capacity import hub_capacities_visible_to
from coordcell.registry.models import HubCapacity
from coordcell.registry.registers import Register
from coordcell.requirements.register_defs import REQUIREMENTS
from coordcell.training import selectors as training
from coordcell.training.models import Booking, Cohort, Course, Session, TrainingSite


@dataclass(frozen=True)
class FeedType:
    """One record type of the feed: its name in the answer and whose rules decide who reads it."""

    name: str
    model: type[Model]
    visible: Callable[[Any], QuerySet[Any]]
    resource: str = ""  # the API resource that reads one (``/api/v1/<resource>/<id>``)
    hidden: Callable[[Any], frozenset[str]] | None = None  # fields hidden per reader
    # The path to the shipment's donor: listed only where the caller sees the shipment in full.
    donor_path: str = ""
    cell_only_verbs: frozenset[str] = frozenset()
    # A part of a shipment (a line, a leg, a serial item), changed with it: the path from the
    # part to its shipment. Listed with every change of its shipment the reader is listed.
    shipment_path: str = ""
    # The part is read within its shipment (``/shipments/{id}``), not at an URL of its own.
    read_in_shipment: bool = False

    @property
    def label(self) -> str:
        return self.model._meta.label_lower


def _of_register(name: str, register: Register) -> FeedType:
    return FeedType(name, register.model, register.visible, register.slug, hidden=register.hidden)


def _shipment_events_visible_to(user: Any) -> QuerySet[ShipmentEvent]:
    return ShipmentEvent.objects.filter(shipment__in=shipments_visible_to(user))


def _shipment_lines_visible_to(user: Any) -> QuerySet[ShipmentLine]:
    return ShipmentLine.objects.filter(shipment__in=shipments_visible_to(user))


def _legs_visible_to(user: Any) -> QuerySet[Leg]:
    # Every leg of a shipment seen in full (the feed lists no other: ``donor_path``); the
    # recipient's last leg is read with its shipment, never followed here.
    return Leg.objects.filter(shipment__in=shipments_visible_to(user))


FEED_TYPES: tuple[FeedType, ...] = (
    _of_register("pledge", PLEDGES),
    FeedType("pledge-delivery", PledgeDelivery, pledge_deliveries_visible_to, "pledge-deliveries"),
    _of_register("requirement", REQUIREMENTS),
    _of_register("nation", reg.NATIONS),
    _of_register("organisation", reg.ORGANISATIONS),
    _of_register("category", reg.CATEGORIES),
    _of_register("location", reg.LOCATIONS),
    _of_register("coalition", reg.COALITIONS),
    _of_register("capability", reg.CAPABILITIES),
    FeedType("hub-capacity", HubCapacity, hub_capacities_visible_to, "hub-capacities"),
    FeedType("shipment", Shipment, shipments_visible_to, "shipments", donor_path="donor_id"),
    FeedType(
        "shipment-event",
        ShipmentEvent,
        _shipment_events_visible_to,
        donor_path="shipment__donor_id",
    ),
    FeedType(
        "shipment-line",
        ShipmentLine,
        _shipment_lines_visible_to,
        "shipments",
        donor_path="shipment__donor_id",
        shipment_path="shipment",
        read_in_shipment=True,
    ),
    FeedType(
        "leg",
        Leg,
        _legs_visible_to,
        "shipments",
        donor_path="shipment__donor_id",
        shipment_path="shipment",
        read_in_shipment=True,
    ),
    FeedType(
        "serial-item",
        SerialItem,
        serial_items_visible_to,
        "serial-items",
        donor_path="shipment_line__shipment__donor_id",
        shipment_path="shipment_line__shipment",
    ),
    FeedType("discrepancy", Discrepancy, discrepancies_visible_to, "discrepancies"),
    FeedType("allocation-run", AllocationRun, runs_visible_to, "allocation-runs"),
    FeedType(
        "capability-package",
        CapabilityPackage,
        packages_visible_to,
        "capability-packages",
        cell_only_verbs=frozenset({"readiness-change"}),
    ),
    FeedType("course", Course, training.courses_visible_to, "courses"),
    FeedType("training-site", TrainingSite, training.sites_visible_to, "training-sites"),
    FeedType("session", Session, training.sessions_visible_to, "training-sessions"),
    FeedType("cohort", Cohort, training.cohorts_visible_to, "cohorts"),
    FeedType("booking", Booking, training.bookings_visible_to, "bookings"),
    # The reader's own notifications: not in the audit trail; followed by their own position.
    FeedType("notification", Notification, notifications_visible_to, "notifications"),
)
BY_NAME = {t.name: t for t in FEED_TYPES}
NOTIFICATION = BY_NAME["notification"]
# The types whose changes are changes of a shipment's parts too (lines, legs, serial items).
SHIPMENT_TYPES = (BY_NAME["shipment"], BY_NAME["shipment-event"])
TYPE_CHOICES = [(t.name, t.name) for t in FEED_TYPES]

# Recorded on a record, but not a change of it: a refused request, an id or a serial sent twice.
INCIDENTS = ("access-refused", "shipment.event-id-conflict", "serial.collision")

PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
# A page reads at most this many events of the caller's types, so that a caller who may read
# few of them (a donor among every nation's pledges) is answered in bounded time: its page may
# then hold fewer changes than asked, with a `next` to go on from.
SCAN_LIMIT = 20_000

_CURSOR_PREFIX = "c1."
_CURSOR_PREFIX_2 = "c2."


def encode_cursor(position: int, notification: int = 0) -> str:
    """An opaque, stable cursor: the same position always gives the same text. ``position`` is
    the last audit event read, ``notification`` the last of the reader's notifications listed
    (a cursor without one, as this feed gave before it listed notifications, is 0)."""
    text = (
        f"{_CURSOR_PREFIX_2}{position}.{notification}"
        if notification
        else f"{_CURSOR_PREFIX}{position}"
    )
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, int]:
    """The positions a cursor names (audit event, notification); ValueError for one this feed
    did not give."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise ValueError(cursor) from exc
    if text.startswith(_CURSOR_PREFIX):
        numbers = [text.removeprefix(_CURSOR_PREFIX), "0"]
    elif text.startswith(_CURSOR_PREFIX_2) and text.count(".") == 2:
        numbers = text.removeprefix(_CURSOR_PREFIX_2).split(".")
        if numbers[1] == "0":
            raise ValueError(cursor)  # given as c1: one position, one text
    else:
        raise ValueError(cursor)
    if not all(n.isdigit() and len(n) <= 19 and int(n) <= BIGINT[1] for n in numbers):
        raise ValueError(cursor)
    return int(numbers[0]), int(numbers[1])


@dataclass(frozen=True)
class Change:
    seq: int
    type: FeedType
    id: int
    version: int | None
    verb: str
    at: Any
    read_at: int | None = None  # the id of the resource that reads it, if not ``id``

    @property
    def resource_id(self) -> int:
        return self.id if self.read_at is None else self.read_at


@dataclass(frozen=True)
class Page:
    changes: list[Change]
    position: int  # the last event read: the next page starts after it
    more: bool  # the page was cut (size or scan limit): events after ``position`` may be listed
    notification: int = 0  # the last of the reader's notifications listed


@dataclass(frozen=True)
class _Reach:
    """How far one type reaches for one reader."""

    type: FeedType
    whole: bool  # every record of the type, deleted ones included: no per-record check
    hidden: frozenset[str]
    cell_only_verbs: frozenset[str]


def _reach(user: Any, feed_type: FeedType) -> _Reach | None:
    visible = feed_type.visible(user)
    if visible.query.is_empty():
        return None
    full_everywhere = detail_level_for_donor(user, None) is Detail.FULL
    whole = not visible.query.has_filters() and (not feed_type.donor_path or full_everywhere)
    hidden = feed_type.hidden(user) if feed_type.hidden is not None else frozenset()
    excluded = frozenset() if full_everywhere else feed_type.cell_only_verbs
    return _Reach(feed_type, whole, hidden, excluded)


def _pk(text: str) -> int | None:
    return int(text) if text.isdigit() and len(text) <= 19 else None


class ChangeFeed:
    """The feed as one reader may follow it."""

    def __init__(self, user: Any, types: Iterable[FeedType] = FEED_TYPES) -> None:
        self.user = user
        asked = list(types)
        self.notifications = NOTIFICATION in asked
        self.wanted = {t.name for t in asked}
        # A part of a shipment changes with it: the shipment's own changes are read for them.
        self.parts = [t for t in asked if t.shipment_path]
        read = [t for t in asked if t is not NOTIFICATION]
        read += [t for t in SHIPMENT_TYPES if self.parts and t not in read]
        reaches = (_reach(user, t) for t in read)
        self.reach = {r.type.label: r for r in reaches if r is not None}

    def events(self) -> QuerySet[AuditEvent]:
        version = Coalesce(
            KT("data__after__version"),
            KT("data__changes__version__1"),
            KT("data__before__version"),
        )
        return (
            AuditEvent.objects.filter(target_type__in=list(self.reach))
            .exclude(verb__in=INCIDENTS)
            .order_by("seq")
            .annotate(feed_version=version)
        )

    def page(self, after: int = 0, size: int = PAGE_SIZE, notification: int = 0) -> Page:
        """The changes after the audit event ``after`` (and the reader's notifications after
        ``notification``, once the trail's are all read): at most ``size``, unless one change
        of a shipment alone lists more parts than that."""
        changes: list[Change] = []
        position, scanned = after, 0
        events: Any = self.events() if self.reach else None  # annotated with feed_version
        while events is not None and scanned < SCAN_LIMIT:
            chunk = list(
                events.filter(seq__gt=position).values_list(
                    "seq", "at", "verb", "target_type", "target_id", "feed_version"
                )[:size]
            )
            scanned += len(chunk)
            kept = self._kept(chunk)
            for row in chunk:
                listed = kept.get(row[0], [])
                if changes and len(changes) + len(listed) > size:
                    return Page(changes, position, True, notification)  # next page: this one
                position = row[0]
                changes += listed
                if len(changes) >= size:
                    return Page(changes, position, True, notification)
            if len(chunk) < size:
                break
        else:
            if events is not None:  # the scan limit: the trail goes on
                return Page(changes, position, True, notification)
        more = False
        if self.notifications and len(changes) < size:
            room = size - len(changes)
            own = notifications_visible_to(self.user).filter(pk__gt=notification).order_by("pk")
            rows = list(own.values_list("pk", "created_at")[: room + 1])
            for pk, created_at in rows[:room]:
                changes.append(Change(0, NOTIFICATION, pk, None, "create", created_at))
                notification = pk
            more = len(rows) > room
        return Page(changes, position, more, notification)

    def _kept(self, rows: list[tuple[Any, ...]]) -> dict[int, list[Change]]:
        """The rows of one chunk the reader may see, as changes: a few queries for them all."""
        candidates: dict[int, Change] = {}
        unsure: dict[str, set[int]] = {}
        for seq, at, verb, label, target_id, version in rows:
            reach = self.reach[label]
            pk = _pk(target_id)
            if pk is None or verb in reach.cell_only_verbs:
                continue
            number = int(version) if version is not None and str(version).isdigit() else None
            candidates[seq] = Change(seq, reach.type, pk, number, verb, at)
            if not reach.whole:
                unsure.setdefault(label, set()).add(pk)
        readable = {label: self._readable(self.reach[label], pks) for label, pks in unsure.items()}
        kept = {
            seq: change
            for seq, change in candidates.items()
            if self.reach[change.type.label].whole or change.id in readable[change.type.label]
        }
        kept = self._without_hidden_changes(kept)
        listed = {seq: [c] if c.type.name in self.wanted else [] for seq, c in kept.items()}
        if self.parts:
            self._with_parts(kept, listed)
        return listed

    def _with_parts(self, kept: dict[int, Change], listed: dict[int, list[Change]]) -> None:
        """After each change of a shipment the reader is listed (in full: ``donor_path``), the
        shipment's lines, legs and serial items, as they are now: a few queries a chunk."""
        shipment, event = SHIPMENT_TYPES
        of_seq = {seq: c.id for seq, c in kept.items() if c.type is shipment}
        events = {seq: c.id for seq, c in kept.items() if c.type is event}
        if events:
            owners = dict(
                ShipmentEvent.objects.filter(pk__in=set(events.values())).values_list(
                    "pk", "shipment_id"
                )
            )
            of_seq |= {seq: owners[pk] for seq, pk in events.items() if pk in owners}
        if not of_seq:
            return
        shipment_ids = set(of_seq.values())
        for part in self.parts:
            by_shipment: dict[int, list[int]] = {}
            rows = part.model._default_manager.filter(
                **{f"{part.shipment_path}__in": shipment_ids}
            ).order_by("pk")
            for shipment_id, pk in rows.values_list(part.shipment_path, "pk"):
                by_shipment.setdefault(shipment_id, []).append(pk)
            for seq, shipment_id in sorted(of_seq.items()):
                c = kept[seq]
                read_at = shipment_id if part.read_in_shipment else None
                listed[seq] += [
                    Change(seq, part, pk, None, c.verb, c.at, read_at)
                    for pk in by_shipment.get(shipment_id, [])
                ]

    def _readable(self, reach: _Reach, pks: set[int]) -> set[int]:
        rows = reach.type.visible(self.user).filter(pk__in=pks)
        if not reach.type.donor_path:
            return set(rows.values_list("pk", flat=True))
        return {
            pk
            for pk, donor_id in rows.values_list("pk", reach.type.donor_path)
            if detail_level_for_donor(self.user, donor_id) is Detail.FULL
        }

    def _without_hidden_changes(self, kept: dict[int, Change]) -> dict[int, Change]:
        """Leave out an update that changed only fields hidden from the reader."""
        asked = [seq for seq, c in kept.items() if self.reach[c.type.label].hidden]
        if not asked:
            return kept
        for seq, data in AuditEvent.objects.filter(seq__in=asked).values_list("seq", "data"):
            reach = self.reach[kept[seq].type.label]
            changed = data.get("changes") if isinstance(data, dict) else None
            if not isinstance(changed, dict):
                continue  # a create or a delete: the record itself
            names = {_field_name(reach.type.model, key) for key in changed} - {"version"}
            if names and names <= reach.hidden:
                del kept[seq]
        return kept


def _field_name(model: type[Model], key: str) -> str:
    for field in model._meta.concrete_fields:
        if field.attname == key:
            return field.name
    return key
