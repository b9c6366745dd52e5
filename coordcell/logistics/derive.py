"""Status, leg times, ETA and counted quantities of shipments, derived from their events.

Nothing else writes these fields; ``refresh_shipments`` can be re-run at any time and gives the
same result for the same events (and day).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import models

from coordcell.db import update_many

from .lifecycle import LEG_ARRIVES, LEG_DEPARTS, EventFact, LegTimes, S, derive_status, schedule
from .models import Leg, Shipment, ShipmentEvent, ShipmentLine


def refresh_shipments(
    shipment_ids: Sequence[int], *, today: dt.date, actor: Any = None
) -> tuple[set[int], set[int]]:
    """Derive status, leg times, ETA and counted quantities from the shipments' events.

    Returns the ids of the requirements and of the pledges whose ledger these changes move
    (a count, a departure, a receipt or a cancellation). Those who need to know are told of a
    shipment newly cancelled or newly late (``actor``: who sent the events).
    """
    events: dict[int, list[Mapping[str, Any]]] = defaultdict(list)
    for row in ShipmentEvent.objects.filter(shipment_id__in=shipment_ids).values(
        "id", "shipment_id", "status", "occurred_at", "location_id", "line_quantities"
    ):
        events[row["shipment_id"]].append(row)
    legs: dict[int, list[Leg]] = defaultdict(list)
    for leg in Leg.objects.filter(shipment_id__in=shipment_ids).order_by("sequence"):
        legs[leg.shipment_id].append(leg)
    lines: dict[int, list[ShipmentLine]] = defaultdict(list)
    for line in ShipmentLine.objects.filter(shipment_id__in=shipment_ids):
        lines[line.shipment_id].append(line)
    changed_shipments: list[Shipment] = []
    changed_legs: list[Leg] = []
    changed_lines: list[ShipmentLine] = []
    requirements: set[int] = set()
    pledges: set[int] = set()
    cancelled_now: list[Shipment] = []
    refreshed: list[Shipment] = []
    for shipment in Shipment.objects.filter(pk__in=shipment_ids):
        evs = events[shipment.pk]
        by_id = {e["id"]: e for e in evs}
        latest: dict[str, Mapping[str, Any]] = {}
        for e in sorted(evs, key=lambda e: (e["occurred_at"], e["id"])):
            latest[e["status"]] = e
        top = derive_status(EventFact(e["id"], e["status"], e["occurred_at"]) for e in evs)
        cancelled = S.CANCELLED in latest
        status = S.CANCELLED if cancelled else (top.status if top else S.PLANNED)
        top_event = latest[S.CANCELLED] if cancelled else (by_id[top.id] if top else None)
        times = []
        for n, leg in enumerate(legs[shipment.pk]):
            dep = latest.get(LEG_DEPARTS[n]) if n < len(LEG_DEPARTS) else None
            arr = latest.get(LEG_ARRIVES[n]) if n < len(LEG_ARRIVES) else None
            times.append(
                LegTimes(
                    leg.planned_departure,
                    leg.planned_arrival,
                    dep["occurred_at"] if dep else None,
                    arr["occurred_at"] if arr else None,
                )
            )
        plan = schedule(times, status, today)
        before = _values(shipment, SHIPMENT_DERIVED)
        newly_cancelled = cancelled and before[0] != S.CANCELLED
        stage_moved = before[0] != status
        shipment.status = status
        shipment.status_at = top_event["occurred_at"] if top_event else None
        shipment.last_location_id = top_event["location_id"] if top_event else None
        shipment.eta, shipment.next_due, shipment.delay_days = (
            plan.eta,
            plan.next_due,
            plan.delay_days,
        )
        refreshed.append(shipment)
        if newly_cancelled:
            cancelled_now.append(shipment)
        if _values(shipment, SHIPMENT_DERIVED) != before:
            changed_shipments.append(shipment)
        for leg, t in zip(legs[shipment.pk], times, strict=True):
            before = _values(leg, LEG_DERIVED)
            leg.actual_departure, leg.actual_arrival = t.actual_departure, t.actual_arrival
            leg.expected_departure, leg.expected_arrival = t.expected_departure, t.expected_arrival
            if _values(leg, LEG_DERIVED) != before:
                changed_legs.append(leg)
        for line in lines[shipment.pk]:
            before = _values(line, LINE_DERIVED)
            for stage, attr in LINE_COUNTS:
                event = latest.get(stage)
                count = event["line_quantities"].get(str(line.pk)) if event else None
                setattr(line, attr, count)
            after = _values(line, LINE_DERIVED)
            if after != before:
                changed_lines.append(line)
            if after != before or newly_cancelled or stage_moved:
                requirements.add(line.requirement_id)
                pledges.add(line.pledge_id)
    update_many(Shipment, SHIPMENT_DERIVED, changed_shipments)
    update_many(Leg, LEG_DERIVED, changed_legs)
    update_many(ShipmentLine, LINE_DERIVED, changed_lines)
    if refreshed:
        from coordcell.notifications.services import notify_shipments_changed

        notify_shipments_changed(
            cancelled=cancelled_now, refreshed=refreshed, today=today, actor=actor
        )
    return requirements, pledges


SHIPMENT_DERIVED = [
    "status",
    "status_at",
    "last_location_id",
    "eta",
    "next_due",
    "delay_days",
]
LEG_DERIVED = ["actual_departure", "actual_arrival", "expected_departure", "expected_arrival"]
LINE_COUNTS = [
    (S.DEPARTED, "shipped_quantity"),
    (S.HANDED_OVER, "handed_over_quantity"),
    (S.RECEIVED, "received_quantity"),
]
LINE_DERIVED = [attr for _, attr in LINE_COUNTS]


def _values(obj: models.Model, names: Iterable[str]) -> list[Any]:
    return [getattr(obj, n) for n in names]
