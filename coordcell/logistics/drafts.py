"""Saving planned shipments: references, legs, lines and one audit event each."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from coordcell.audit.services import AuditEntry, record_many, snapshot
from coordcell.numbering.services import Numbering
from coordcell.registry.models import Location

from .models import Leg, Shipment, ShipmentLine
from .planning import plan_legs

# Taken by each save of drafts; a plan's commit holds it before its audited writes.
SHIPMENT_REFERENCES = Numbering("S", 6, Shipment)
# The loads a plan's commit makes (several shipments each), numbered the same way.
LOAD_REFERENCES = Numbering("L", 6, Shipment, field="load")


@dataclass(frozen=True)
class Draft:
    donor_id: int
    origin: Location
    hub: Location
    delivery_point: Location
    departure: dt.date
    hub_departure: dt.date | None
    lines: list[ShipmentLine]
    run_id: int | None = None
    dispatch_week: int | None = None
    reference: str = ""  # the source's own (an import); empty: the counter's next
    load: str = ""  # the load it travels in (a plan's commit), see Shipment.load
    # whether the load carries a sensitive category (its first leg's mode is the load's);
    # None: whether these lines do
    sensitive: bool | None = None


def save_drafts(actor: Any, drafts: list[Draft], *, verb: str, reason: str = "") -> list[Shipment]:
    counted = iter(SHIPMENT_REFERENCES.take(sum(1 for d in drafts if not d.reference)))
    references = [d.reference or next(counted) for d in drafts]
    shipments = []
    legs_by_shipment = []
    for draft, reference in zip(drafts, references, strict=True):
        sensitive = draft.sensitive
        if sensitive is None:
            sensitive = any(line.category.sensitive for line in draft.lines)
        legs = plan_legs(
            origin=draft.origin,
            hub=draft.hub,
            delivery_point=draft.delivery_point,
            departure=draft.departure,
            hub_departure=draft.hub_departure,
            sensitive=sensitive,
        )
        shipments.append(
            Shipment(
                reference=reference,
                donor_id=draft.donor_id,
                origin=draft.origin,
                hub=draft.hub,
                delivery_point=draft.delivery_point,
                run_id=draft.run_id,
                dispatch_week=draft.dispatch_week,
                load=draft.load,
                planned_departure=legs[0].departure,
                planned_arrival=legs[-1].arrival,
                eta=legs[-1].arrival,
                next_due=legs[0].departure,
                created_by=actor,
                reason=reason,
            )
        )
        legs_by_shipment.append(legs)
    Shipment.objects.bulk_create(shipments)
    if any(s.pk is None for s in shipments):  # backends without RETURNING
        by_ref = dict(
            Shipment.objects.filter(reference__in=references).values_list("reference", "pk")
        )
        for s in shipments:
            s.pk = by_ref[s.reference]
    Leg.objects.bulk_create(
        Leg(
            shipment=shipment,
            sequence=n,
            origin=leg.origin,
            destination=leg.destination,
            mode=leg.mode,
            planned_departure=leg.departure,
            planned_arrival=leg.arrival,
            expected_departure=leg.departure,
            expected_arrival=leg.arrival,
        )
        for shipment, legs in zip(shipments, legs_by_shipment, strict=True)
        for n, leg in enumerate(legs, start=1)
    )
    all_lines = []
    for shipment, draft in zip(shipments, drafts, strict=True):
        for line in draft.lines:
            line.shipment = shipment
            all_lines.append(line)
    ShipmentLine.objects.bulk_create(all_lines)
    record_many(
        actor=actor,
        verb=verb,
        entries=(
            AuditEntry(
                "logistics.shipment",
                str(s.pk),
                s.reference,
                {
                    "after": snapshot(s, fields=[f.name for f in Shipment._meta.concrete_fields]),
                    "lines": [
                        [ln.allocation_line_id, ln.pledge_id, ln.requirement_id, ln.quantity]
                        for ln in d.lines
                    ],
                    "legs": [[leg.mode, leg.departure, leg.arrival] for leg in legs],
                    "reason": reason,
                },
            )
            for s, d, legs in zip(shipments, drafts, legs_by_shipment, strict=True)
        ),
    )
    return shipments
