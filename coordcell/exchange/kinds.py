"""The other kinds a cell hands over, beside pledges, requirements and locations (``specs.py``):
shipment events (receipts with their serial numbers among them), capability packages, hub
capacities and training cohorts. Each is one ``ImportSpec``: the record's own fields, its natural
key, the headers a column may have, and the record's own rules (``check``) and bulk action
(``save_many``) in its app. Nothing here writes a record.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Iterable
from typing import Any

from django.db.models import Prefetch
from django.utils.dateparse import parse_datetime

from coordcell.logistics.models import Shipment, ShipmentEvent, ShipmentLine
from coordcell.logistics.selectors import (
    can_plan_shipments,
    can_record_events,
    shipments_visible_to,
)
from coordcell.logistics.services import (
    event_check,
    events_save_many,
    shipment_cargo,
    shipment_check,
    shipments_save_many,
)
from coordcell.pledges.selectors import pledges_visible_to
from coordcell.readiness.models import CapabilityPackage
from coordcell.readiness.selectors import can_save_package
from coordcell.readiness.services import package_check, packages_save_many
from coordcell.registry.capacity import can_change_hub_capacity
from coordcell.registry.forms import HubCapacityForm
from coordcell.registry.models import STANDING_FROM, HubCapacity
from coordcell.registry.services import hub_capacities_save_many, hub_capacity_check
from coordcell.requirements.selectors import requirements_visible_to
from coordcell.training.forms import CohortForm
from coordcell.training.models import Cohort
from coordcell.training.selectors import can_create_cohort
from coordcell.training.services import cohort_check, cohort_path_codes, cohorts_save_many

from . import normalise as n
from .specs import EXTRA_KINDS, EXTRA_LOOKUPS, LOOKUP_OF, FieldSpec, ImportSpec, fields_of

# ---- value kinds: a moment (UTC) and a list of serial numbers ----

_TIME = re.compile(
    r"(?P<date>.+?)[ T](?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?(?:\s*(?:Z|UTC))?"
)


def parse_moment(value: Any) -> dt.datetime:
    """A time in UTC: ISO 8601 with or without its offset (``2027-01-04T08:30:00Z``), a date
    as the importer reads dates followed by ``08:30``, an Excel date-time cell, or a date alone
    (midnight UTC). A time without an offset is UTC, as every time the cell records."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(0), tzinfo=dt.UTC)
    raw = n.text(value).strip()
    try:
        iso = parse_datetime(raw)
    except ValueError:
        iso = None
    if iso is not None:
        return (iso if iso.tzinfo else iso.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)
    if m := _TIME.fullmatch(raw):
        day = n.parse_date(m["date"])
        try:
            clock = dt.time(int(m["h"]), int(m["m"]), int(m["s"] or 0))
        except ValueError as exc:
            raise n.Invalid(f"{raw!r} is not a time of day.", "time") from exc
        return dt.datetime.combine(day, clock, tzinfo=dt.UTC)
    try:
        return dt.datetime.combine(n.parse_date(raw), dt.time(0), tzinfo=dt.UTC)
    except n.Invalid as exc:
        raise n.Invalid(
            f"{raw!r} is not a time: write 2027-01-04 08:30 (UTC), 2027-01-04T08:30:00Z or a date.",
            "time",
        ) from exc


_SERIAL_SEPARATORS = re.compile(r"[,;|\n\r\t]+")


def parse_serials(value: Any) -> list[str]:
    """Serial numbers in one cell, separated by commas, semicolons, bars or line breaks."""
    # Not ``n.text``: it folds the line breaks that separate serials in one cell.
    serials = [s.strip() for s in _SERIAL_SEPARATORS.split(str(value))]
    serials = [s for s in serials if s]
    too_long = [s for s in serials if len(s) > 100]
    if too_long:
        raise n.Invalid(f"Serial {too_long[0][:20]!r}… is longer than 100 characters.", "serial")
    return serials


EXTRA_KINDS.update({"datetime": parse_moment, "serials": parse_serials})


def _shipments(user: Any) -> tuple[Iterable[Any], Callable[[Any], tuple[str, ...]]]:
    # Another nation's shipment is unknown to a donor, like one that does not exist.
    lines = Prefetch("lines", queryset=ShipmentLine.objects.select_related("category"))
    return shipments_visible_to(user).prefetch_related(lines), lambda s: (s.reference,)


def _pledges(user: Any) -> tuple[Iterable[Any], Callable[[Any], tuple[str, ...]]]:
    # By the cell's reference, or the donor's own where only one donor uses it.
    visible = pledges_visible_to(user).select_related("category", "origin")
    return visible, lambda p: (p.reference, p.donor_reference)


def _requirements(user: Any) -> tuple[Iterable[Any], Callable[[Any], tuple[str, ...]]]:
    visible = requirements_visible_to(user).select_related("category", "delivery_point")
    return visible, lambda r: (r.reference,)


EXTRA_LOOKUPS.update(shipment=_shipments, pledge=_pledges, requirement=_requirements)
LOOKUP_OF[Shipment] = "shipment"


def _replace(fields: tuple[FieldSpec, ...], **changes: dict[str, Any]) -> tuple[FieldSpec, ...]:
    return tuple(
        dataclasses.replace(f, **changes[f.name]) if f.name in changes else f for f in fields
    )


# ---- shipment events, receipts with serials among them ----


def _event_defaults(user: Any) -> dict[str, Any]:
    # The id space of the rows is the importer's, as for a feed it sends (ShipmentEvent.sender_of).
    return {"sender": ShipmentEvent.sender_of(user)}


EVENTS = ImportSpec(
    kind="events",
    model=ShipmentEvent,
    fields=_replace(
        fields_of(
            ShipmentEvent,
            [
                "client_id",
                "shipment",
                "status",
                "occurred_at",
                "location",
                "quantity",
                "serials",
                "handed_over_by",
                "taken_over_by",
                "note",
            ],
            key=("client_id",),
            synonyms={
                "client_id": ("event id", "event reference", "event ref", "id", "ref"),
                "shipment": ("shipment reference", "consignment", "shipment ref"),
                "status": ("event", "state", "milestone"),
                "occurred_at": ("when", "date", "time", "at", "occurred"),
                "location": ("place", "where", "at location"),
                "quantity": ("qty", "count", "counted", "units", "received"),
                "serials": ("serials", "serial numbers", "serial", "serial list"),
                "handed_over_by": ("handed over by", "from", "signed by sender"),
                "taken_over_by": ("taken over by", "received by", "to", "signed by"),
                "note": ("notes", "remarks", "comment"),
            },
            help={
                "client_id": "Your own id for the event: importing the file again records "
                "nothing twice."
            },
        ),
        occurred_at={"kind": "datetime"},
        location={"required": False},
        serials={"kind": "serials", "label": "Serial numbers"},
    ),
    key_fields=("sender", "client_id"),
    can_import=can_record_events,
    check=event_check,
    save_many=events_save_many,
    defaults=_event_defaults,
)

# ---- shipments, one line each ----


def _shipment_defaults(user: Any) -> dict[str, Any]:
    return {"reason": "Imported from a spreadsheet"}  # the audited reason, unless a column says


SHIPMENTS = ImportSpec(
    kind="shipments",
    model=Shipment,
    fields=(
        *_replace(
            fields_of(
                Shipment,
                ["reference", "hub", "planned_departure", "reason"],
                key=("reference",),
                synonyms={
                    "reference": ("shipment", "shipment reference", "consignment", "ref", "id"),
                    "hub": ("via", "hub code", "transit hub"),
                    "planned_departure": ("departure", "departed", "dispatch", "date"),
                    "reason": ("why", "notes", "remarks", "comment"),
                },
                help={
                    "reference": "The source's reference for the shipment: importing again "
                    "records nothing twice.",
                    "planned_departure": "The day it leaves (or left) the donor's depot; the legs "
                    "and the handover date are planned from it.",
                },
            ),
            reason={"label": "Reason"},
        ),
        FieldSpec("pledge", "Pledge", "pledge", True, ("pledge reference", "donor reference")),
        FieldSpec("requirement", "Requirement", "requirement", True, ("need", "for")),
        FieldSpec("quantity", "Quantity", "int", True, ("qty", "units", "number", "amount")),
        FieldSpec(
            "capacity_override",
            "Capacity override",
            "text",
            synonyms=("override", "over capacity because"),
            help="Why the shipment may take its hub over its weekly capacity (recorded).",
        ),
    ),
    key_fields=("reference",),
    can_import=can_plan_shipments,
    check=shipment_check,
    save_many=shipments_save_many,
    defaults=_shipment_defaults,
    extra=("pledge", "requirement", "quantity", "capacity_override"),
    stored_extra=lambda shipments: {s.pk: shipment_cargo(s) for s in shipments},
)

# ---- capability packages ----

PACKAGES = ImportSpec(
    kind="packages",
    model=CapabilityPackage,
    fields=fields_of(
        CapabilityPackage,
        ["capability", "name"],
        key=("capability",),
        synonyms={
            "capability": ("capability code", "system", "capability name"),
            "name": ("package", "package name", "title"),
        },
        help={"capability": "One package per capability: importing again renames, never doubles."},
    ),
    key_fields=("capability",),
    can_import=can_save_package,
    check=package_check,
    save_many=packages_save_many,
)

# ---- hub capacities ----


def _capacity_defaults(user: Any) -> dict[str, Any]:
    return {"valid_from": STANDING_FROM}  # no first week: the hub's standing figure


HUB_CAPACITIES = ImportSpec(
    kind="hub-capacities",
    model=HubCapacity,
    fields=fields_of(
        HubCapacity,
        ["hub", *HubCapacityForm.Meta.fields],
        key=("hub", "domain", "valid_from"),
        synonyms={
            "hub": ("hub code", "location", "site"),
            "domain": ("category domain", "type"),
            "valid_from": ("from", "week of", "valid from", "start"),
            "valid_until": ("until", "to", "valid until", "end"),
            "weekly_capacity": ("capacity", "units per week", "per week", "throughput"),
            "reason": ("why", "notes", "remarks"),
        },
        help={
            "valid_from": "A Monday; empty: the hub's standing figure. With the hub and the "
            "domain it is the row's key.",
        },
    ),
    key_fields=("hub", "domain", "valid_from"),
    can_import=can_change_hub_capacity,
    check=hub_capacity_check,
    save_many=hub_capacities_save_many,
    defaults=_capacity_defaults,
)

# ---- training cohorts ----

_CODE_SEPARATORS = re.compile(r"\s*(?:[,;|>]|→|->)\s*")


def parse_codes(value: Any) -> tuple[str, ...]:
    """Course codes in order: ``pat-op, pat-mnt``, ``pat-op → pat-mnt`` or ``pat-op > pat-mnt``."""
    return tuple(code for code in _CODE_SEPARATORS.split(n.text(value)) if code)


EXTRA_KINDS["codes"] = parse_codes


def _stored_path(cohort: Cohort) -> dict[str, Any]:
    return {"course_path": cohort_path_codes(cohort)}


COHORTS = ImportSpec(
    kind="cohorts",
    model=Cohort,
    fields=(
        *fields_of(
            Cohort,
            # The form's "path" is not the model's: it is the import's ``course_path``.
            ["reference", *(name for name in CohortForm.Meta.fields if name != "path")],
            key=("reference",),
            synonyms={
                "reference": ("cohort", "cohort reference", "ref", "id"),
                "unit": ("recipient unit", "unit name", "formation"),
                "trainees": ("people", "crew", "headcount", "number"),
                "capability": ("capability they crew", "system"),
                "earliest_release": ("release", "available from", "from", "date"),
                "priority": ("prio", "urgency"),
            },
            help={
                "reference": "The source's reference for the cohort: importing again updates, "
                "never duplicates."
            },
        ),
        FieldSpec(
            "course_path",
            "Course path",
            "codes",
            synonyms=("path", "courses", "course codes", "training path"),
            help="Course codes in the order the cohort takes them (pat-op, pat-mnt). Required "
            "for a new cohort; empty keeps a stored cohort's path.",
        ),
    ),
    key_fields=("reference",),
    can_import=can_create_cohort,
    check=cohort_check,
    save_many=cohorts_save_many,
    extra=("course_path",),
    stored_extra=lambda cohorts: {c.pk: _stored_path(c) for c in cohorts},
)

KIND_SPECS: tuple[ImportSpec, ...] = (SHIPMENTS, EVENTS, PACKAGES, HUB_CAPACITIES, COHORTS)
