"""Writes on shipments, in one place to import from: shipments from committed allocation lines
and status changes by hand (here), changes by hand with a reason (``changes.py``) and the bulk
event feed (``ingest.py``), re-exported.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from coordcell.allocation.models import AllocationLine
from coordcell.registry.models import Location

from . import ingest
from .changes import (
    Item,
    shipment_cancel,
    shipment_cargo,
    shipment_check,
    shipment_create,
    shipment_merge,
    shipment_reroute,
    shipment_split,
    shipments_save_many,
)
from .drafts import LOAD_REFERENCES, SHIPMENT_REFERENCES, Draft, save_drafts
from .ingest import IngestResult, Rejection, event_check, events_ingest, events_save_many
from .lifecycle import RANK, S
from .loads import LOAD_LIMITS, Piece, pack
from .models import Shipment, ShipmentLine
from .planning import first_leg_mode

__all__ = [
    "LOAD_REFERENCES",
    "SHIPMENT_REFERENCES",
    "Item",
    "IngestResult",
    "Rejection",
    "event_check",
    "events_ingest",
    "events_save_many",
    "shipment_cancel",
    "shipment_cargo",
    "shipment_check",
    "shipment_create",
    "shipment_merge",
    "shipment_record_event",
    "shipment_reroute",
    "shipment_split",
    "drops",
    "loads_of_lines",
    "shipments_create_for_lines",
    "shipments_save_many",
]


def shipments_create_for_lines(*, actor: Any, lines: Sequence[AllocationLine]) -> list[Shipment]:
    """Shipments for committed allocation lines, as loads: one load per donor, origin depot, hub
    and dispatch week, with several lines, split into several loads where it is over its
    transport mode's limits (``loads.py``); within a load, one shipment per delivery point (a
    shipment is handed over and received at one point), all with the load's reference. Lines
    that already travel on a shipment that is not cancelled are skipped, so calling it twice
    ships nothing twice.

    Meant to run inside the allocation commit's transaction; audited there.
    """
    with transaction.atomic():
        ids = [line.pk for line in lines]
        shipped = set(
            ShipmentLine.objects.filter(allocation_line_id__in=ids)
            .exclude(shipment__status=S.CANCELLED)
            .values_list("allocation_line_id", flat=True)
        )
        fresh = (
            AllocationLine.objects.filter(pk__in=set(ids) - shipped)
            .select_related(
                "run", "hub", "pledge__origin", "pledge__category", "requirement__delivery_point"
            )
            .order_by("pk")
        )
        loads = [load for _group, group_loads in loads_of_lines(fresh) for load in group_loads]
        references = iter(LOAD_REFERENCES.take(len(loads)))
        drafts = []
        for load in loads:
            reference = next(references)
            sensitive = any(piece.line.pledge.category.sensitive for piece in load)
            for drop in drops(load):
                first = drop[0].line
                run = first.run
                drafts.append(
                    Draft(
                        donor_id=first.pledge.donor_id,
                        origin=first.pledge.origin,
                        hub=first.hub,
                        delivery_point=first.requirement.delivery_point,
                        departure=run.week_start(first.dispatch_week),
                        hub_departure=run.week_start(max(p.line.hub_week for p in drop)),
                        lines=[
                            ShipmentLine(
                                allocation_line=piece.line,
                                pledge=piece.line.pledge,
                                requirement=piece.line.requirement,
                                category=piece.line.pledge.category,
                                quantity=piece.quantity,
                            )
                            for piece in drop
                        ],
                        run_id=run.pk,
                        dispatch_week=first.dispatch_week,
                        load=reference,
                        sensitive=sensitive,
                    )
                )
        if not drafts:
            return []
        return save_drafts(actor, drafts, verb="shipment.create_from_plan")


def loads_of_lines(
    lines: Iterable[AllocationLine],
) -> list[tuple[list[AllocationLine], list[list[Piece[AllocationLine]]]]]:
    """The lines (with their pledge's origin and category, hub and requirement's delivery point
    read) grouped by donor, origin, hub and dispatch week, each group with its loads (within
    the mode's limits): what a commit ships, and what its confirmation page counts. A load's
    shipments are its :func:`drops`."""
    groups: dict[tuple[int, int, int, int], list[AllocationLine]] = defaultdict(list)
    for line in lines:
        if line.quantity <= 0:
            continue
        key = (line.pledge.donor_id, line.pledge.origin_id, line.hub_id, line.dispatch_week)
        groups[key].append(line)
    return [(group, load_pieces(group)) for group in groups.values()]


def drops(load: Sequence[Piece[AllocationLine]]) -> list[list[Piece[AllocationLine]]]:
    """A load's pieces by the delivery point their requirement is handed over at, in the order
    the points first appear: the load's shipments."""
    by_point: dict[int, list[Piece[AllocationLine]]] = {}
    for piece in load:
        by_point.setdefault(piece.line.requirement.delivery_point_id, []).append(piece)
    return list(by_point.values())


def load_pieces(group: Sequence[AllocationLine]) -> list[list[Piece[AllocationLine]]]:
    """One group's lines (same donor, origin, hub and week) packed into loads within the limits
    of the mode its first leg travels by (``loads.LOAD_LIMITS``)."""
    first = group[0]
    sensitive = any(line.pledge.category.sensitive for line in group)
    mode = first_leg_mode(first.pledge.origin, first.hub, sensitive=sensitive)
    pieces = [Piece(line, line.pledge.category.unit, line.quantity) for line in group]
    return pack(pieces, LOAD_LIMITS[mode])


def shipment_record_event(
    *,
    actor: Any,
    shipment: Shipment,
    status: str,
    occurred_at: dt.datetime | None = None,
    location: Location | None = None,
    quantity: int | None = None,
    lines: dict[int, int] | None = None,
    serials: list[str] | dict[str, list[str]] | None = None,
    handed_over_by: str = "",
    taken_over_by: str = "",
    note: str = "",
) -> Shipment:
    """One status change by hand. Only the next step of the lifecycle is allowed here; a
    disallowed one is refused with a message naming from, to and what is allowed."""
    event: dict[str, Any] = {
        "id": f"manual-{uuid.uuid4()}",
        "shipment": shipment.reference,
        "status": status,
        "occurred_at": (occurred_at or timezone.now()).isoformat(),
        "note": note,
        "handed_over_by": handed_over_by,
        "taken_over_by": taken_over_by,
    }
    if location is not None:
        event["location"] = location.code
    if quantity is not None:
        event["quantity"] = quantity
    if lines is not None:
        event["lines"] = {str(k): v for k, v in lines.items()}
    if serials is not None:
        event["serials"] = serials
    if RANK.get(status, -1) < 0:
        raise ValidationError(f"Unknown status {status!r}.")
    result = ingest._ingest(actor, [event], strict=True)
    if result.rejected:  # refused before it reached the shipment (e.g. a time in the future)
        raise ValidationError([r.error for r in result.rejected])
    if not result.accepted:
        raise ValidationError("Nothing was recorded: this event is already recorded.")
    shipment.refresh_from_db()
    return shipment
