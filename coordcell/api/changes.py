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
from coordcell.logistics.models import Discrepancy, Shipment, ShipmentEvent
from coordcell.logistics.selectors import (
    Detail,
    detail_level_for_donor,
    discrepancies_visible_to,
    shipments_visible_to,
)
from coordcell.pledges.register_defs import PLEDGES
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

    @property
    def label(self) -> str:
        return self.model._meta.label_lower


def _of_register(name: str, register: Register) -> FeedType:
    return FeedType(name, register.model, register.visible, register.slug, hidden=register.hidden)


def _shipment_events_visible_to(user: Any) -> QuerySet[ShipmentEvent]:
    return ShipmentEvent.objects.filter(shipment__in=shipments_visible_to(user))


FEED_TYPES: tuple[FeedType, ...] = (
    _of_register("pledge", PLEDGES),
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
)
BY_NAME = {t.name: t for t in FEED_TYPES}
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


def encode_cursor(position: int) -> str:
    """An opaque, stable cursor: the same position always gives the same text."""
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{position}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The position a cursor names; ValueError for one this feed did not give."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise ValueError(cursor) from exc
    number = text.removeprefix(_CURSOR_PREFIX)
    if (
        not text.startswith(_CURSOR_PREFIX)
        or not number.isdigit()
        or len(number) > 19
        or int(number) > BIGINT[1]
    ):
        raise ValueError(cursor)
    return int(number)


@dataclass(frozen=True)
class Change:
    seq: int
    type: FeedType
    id: int
    version: int | None
    verb: str
    at: Any


@dataclass(frozen=True)
class Page:
    changes: list[Change]
    position: int  # the last event read: the next page starts after it
    more: bool  # the page was cut (size or scan limit): events after ``position`` may be listed


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
        reaches = (_reach(user, t) for t in types)
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

    def page(self, after: int = 0, size: int = PAGE_SIZE) -> Page:
        changes: list[Change] = []
        position, scanned = after, 0
        if not self.reach:
            return Page(changes, position, more=False)
        events: Any = self.events()  # annotated with feed_version
        while scanned < SCAN_LIMIT:
            chunk = list(
                events.filter(seq__gt=position).values_list(
                    "seq", "at", "verb", "target_type", "target_id", "feed_version"
                )[:size]
            )
            scanned += len(chunk)
            kept = self._kept(chunk)
            for row in chunk:
                position = row[0]
                if row[0] in kept:
                    changes.append(kept[row[0]])
                    if len(changes) == size:
                        return Page(changes, position, more=True)
            if len(chunk) < size:
                return Page(changes, position, more=False)
        return Page(changes, position, more=True)

    def _kept(self, rows: list[tuple[Any, ...]]) -> dict[int, Change]:
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
        return self._without_hidden_changes(kept)

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
