"""When is a requirement expected to be received in full, and what decides that date?

Sources, best knowledge first: what the recipient confirmed as received; units on a shipment (its
ETA, or its planned handover, moved later when the pledge it carries slipped past the planned
departure); units on a committed allocation line not yet on a shipment (the line's arrival week,
moved the same way). A requirement not covered by these is "not allocated": it has no date.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from coordcell.allocation.models import AllocationLine, AllocationRun
from coordcell.logistics.ledger import requirement_ledgers
from coordcell.logistics.lifecycle import CHANGEABLE, S
from coordcell.logistics.models import Shipment, ShipmentLine
from coordcell.requirements.models import Requirement

from . import facts


class Kind:
    RECEIVED = "received"
    ON_PLAN = "on_plan"
    PLEDGE_SLIPPED = "pledge_slipped"
    SHIPMENT_DELAYED = "shipment_delayed"
    NOT_ALLOCATED = "not_allocated"


@dataclass(frozen=True)
class Source:
    quantity: int
    date: dt.date
    kind: str
    pledge: str
    donor_id: int | None
    shipment: str = ""
    slip_days: int = 0
    available_from: dt.date | None = None
    departure: dt.date | None = None
    pledge_id: int | None = None
    shipment_id: int | None = None


@dataclass(frozen=True)
class Expectation:
    """When a requirement is expected in full (None: not covered), and the source deciding it."""

    requirement_id: int
    reference: str
    quantity: int | None  # None: undisclosed, never covered in full until disclosed
    received: int
    covered: int
    date: dt.date | None
    kind: str
    binding: Source | None
    donors: tuple[int, ...] = ()  # received: the donors whose lines were received

    def fact(self) -> facts.Fact:
        """What decides the date, as a fact (the words are written per viewer: wording.py)."""
        out: facts.Fact = {
            "kind": self.kind,
            **facts.requirement(self.requirement_id, self.reference),
        }
        if self.kind == Kind.NOT_ALLOCATED:
            return {**out, "covered": self.covered, "quantity": self.quantity}
        if self.kind == Kind.RECEIVED:
            return {**out, "date": facts.iso(self.date), "donors": sorted(self.donors)}
        b = self.binding
        assert b is not None
        return {
            **out,
            "date": facts.iso(self.date),
            "pledge": b.pledge_id,
            "pledge_ref": b.pledge,
            "donor": b.donor_id,
            "shipment": b.shipment_id,
            "shipment_ref": b.shipment,
            "slip_days": b.slip_days,
            "available_from": facts.iso(b.available_from),
            "departure": facts.iso(b.departure),
        }

    def steps(self) -> list[facts.Fact]:
        b = self.binding
        if b is None:
            return [self.fact()]
        pledge = {"pledge": b.pledge_id, "pledge_ref": b.pledge, "donor": b.donor_id}
        out: list[facts.Fact] = []
        if b.available_from:
            out.append({"kind": "pledge_available", **pledge, "date": facts.iso(b.available_from)})
        if b.departure:
            out.append(
                {
                    "kind": "shipment_leaves",
                    **pledge,
                    "shipment": b.shipment_id,
                    "shipment_ref": b.shipment,
                    "date": facts.iso(b.departure),
                }
            )
        out.append(
            {
                "kind": "requirement_received",
                **facts.requirement(self.requirement_id, self.reference),
                "donor": b.donor_id,
                "date": facts.iso(self.date),
            }
        )
        return out


def _slip(available_from: dt.date, departure: dt.date) -> int:
    return max(0, (available_from - departure).days)


@dataclass(frozen=True)
class PlanOverlay:
    """A plan not (or not yet) committed, laid over the situation: the shipments it would
    release count as cancelled, its lines as committed (compare a what-if with its base)."""

    releasing: frozenset[int] = frozenset()
    lines: tuple[AllocationLine, ...] = ()
    replaces_committed: bool = False  # its lines stand instead of committed lines off shipments


def expectations(
    requirement_ids: Iterable[int], overlay: PlanOverlay | None = None
) -> dict[int, Expectation]:
    ids = sorted(set(requirement_ids))
    if not ids:
        return {}
    sources: dict[int, list[Source]] = defaultdict(list)
    received: dict[int, int] = defaultdict(int)
    received_on: dict[int, dt.date] = {}
    received_from: dict[int, set[int]] = defaultdict(set)
    lines = ShipmentLine.objects.filter(requirement_id__in=ids).select_related("shipment", "pledge")
    on_shipments: set[int] = set()
    for line in lines:
        if line.allocation_line_id:
            on_shipments.add(line.allocation_line_id)
        shipment = line.shipment
        if shipment.status == S.CANCELLED or (overlay and shipment.pk in overlay.releasing):
            continue
        if line.received_quantity is not None:
            received[line.requirement_id] += line.received_quantity
            received_from[line.requirement_id].add(shipment.donor_id)
            day = (shipment.status_at.date() if shipment.status_at else None) or shipment.eta
            if day and day > received_on.get(line.requirement_id, dt.date.min):
                received_on[line.requirement_id] = day
            continue
        planned = shipment.eta or shipment.planned_arrival
        kind, slip = Kind.ON_PLAN, 0
        if (
            shipment.status in CHANGEABLE
            and line.pledge.available_from > shipment.planned_departure
        ):
            slip = _slip(line.pledge.available_from, shipment.planned_departure)
            kind = Kind.PLEDGE_SLIPPED
            planned = max(planned, shipment.planned_arrival + dt.timedelta(days=slip))
        elif shipment.eta and shipment.eta > shipment.planned_arrival:
            kind, slip = Kind.SHIPMENT_DELAYED, (shipment.eta - shipment.planned_arrival).days
        sources[line.requirement_id].append(
            Source(
                line.quantity,
                planned,
                kind,
                line.pledge.reference,
                line.pledge.donor_id,
                shipment.reference,
                slip,
                line.pledge.available_from,
                shipment.planned_departure,
                line.pledge_id,
                shipment.pk,
            )
        )
    committed = list(
        AllocationLine.objects.filter(
            requirement_id__in=ids, run__status=AllocationRun.Status.COMMITTED
        )
        .exclude(pk__in=on_shipments)
        .select_related("run", "pledge")
    )
    if overlay:
        wanted = set(ids)
        overlaid = [a for a in overlay.lines if a.requirement_id in wanted]
        committed = overlaid if overlay.replaces_committed else [*committed, *overlaid]
    for a in committed:
        departure = a.run.week_start(a.dispatch_week)
        arrival = a.run.week_start(a.arrival_week)
        kind, slip = Kind.ON_PLAN, 0
        if a.pledge.available_from > departure:
            slip = _slip(a.pledge.available_from, departure)
            kind, arrival = Kind.PLEDGE_SLIPPED, arrival + dt.timedelta(days=slip)
        sources[a.requirement_id].append(
            Source(
                a.quantity,
                arrival,
                kind,
                a.pledge.reference,
                a.pledge.donor_id,
                "",
                slip,
                a.pledge.available_from,
                departure,
                a.pledge_id,
                None,
            )
        )
    # What counts is what arrived serviceable: damaged units and units lost on the way are
    # open until replaced (the ledger says how many).
    for rid, ledger in requirement_ledgers(received).items():
        received[rid] = ledger.received_serviceable
    result: dict[int, Expectation] = {}
    for req in Requirement.objects.filter(pk__in=ids).only("id", "reference", "quantity"):
        got = received[req.pk]
        if req.quantity is None:
            result[req.pk] = Expectation(
                req.pk, req.reference, None, got, got, None, Kind.NOT_ALLOCATED, None
            )
            continue
        if got >= req.quantity:
            day = received_on.get(req.pk)
            result[req.pk] = Expectation(
                req.pk,
                req.reference,
                req.quantity,
                got,
                got,
                day,
                Kind.RECEIVED,
                None,
                tuple(sorted(received_from[req.pk])),
            )
            continue
        need, covered, binding = req.quantity - got, got, None
        for source in sorted(sources[req.pk], key=lambda s: (s.date, s.pledge, s.shipment)):
            if need <= 0:
                break
            need -= source.quantity
            covered += source.quantity
            binding = source
        if need > 0 or binding is None:
            result[req.pk] = Expectation(
                req.pk,
                req.reference,
                req.quantity,
                got,
                min(covered, req.quantity),
                None,
                Kind.NOT_ALLOCATED,
                None,
            )
        else:
            result[req.pk] = Expectation(
                req.pk,
                req.reference,
                req.quantity,
                got,
                req.quantity,
                binding.date,
                binding.kind,
                binding,
            )
    return result


def shipment_facts(shipment_ids: Iterable[int]) -> dict[int, tuple[Any, ...]]:
    """What ``expectations`` reads of each shipment: whether it may still change or was cancelled,
    its ETA, and what of it was received and when. An event that moves none of these (most do
    not) leaves every package's date and bottleneck as they were; change both together."""
    received: dict[int, list[tuple[int, int | None]]] = defaultdict(list)
    for shipment_id, line_id, quantity in (
        ShipmentLine.objects.filter(shipment_id__in=list(shipment_ids))
        .order_by("pk")
        .values_list("shipment_id", "pk", "received_quantity")
    ):
        received[shipment_id].append((line_id, quantity))
    facts = {}
    for pk, status, eta, status_at in Shipment.objects.filter(
        pk__in=list(shipment_ids)
    ).values_list("pk", "status", "eta", "status_at"):
        lines = tuple(received[pk])
        any_received = any(quantity is not None for _line, quantity in lines)
        facts[pk] = (
            status in CHANGEABLE,
            status == S.CANCELLED,
            eta,
            status_at.date() if any_received and status_at else None,
            lines,
        )
    return facts
