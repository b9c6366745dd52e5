"""The one ledger of quantities: where every unit of a requirement and of a pledge stands.

Counted from the records each time (committed allocation lines, the shipments that carry them,
what was counted at departure and receipt, the discrepancies and their resolutions): nothing here
is a stored counter, so nothing can drift. ``Requirement.status`` and ``Pledge.allocated_quantity``
are stored for lists and filters, but only ever written from these figures (by
``requirements_refresh_status`` and ``pledges_refresh_allocated``).

A shipment line is counted by the stage of its shipment:

* planned or ready at origin: *allocated* (committed, not shipped);
* departed, at or past the hub, handed over: *in transit* (what was counted at departure, else
  the planned quantity); a quantity planned but not loaded is *released*;
* received: *received*, split into *serviceable* and *damaged* (damaged discrepancies not
  resolved "found"); what left the depot and did not arrive is *lost* (or *written off* once its
  discrepancy is resolved so); a short or missing quantity resolved "found" counts as received;
* cancelled: *released* (the pledge's units are free again, the requirement's demand open again).

A committed allocation line's quantity not carried by any shipment stays *allocated*, unless its
pledge was withdrawn (then *withdrawn*) or its requirement cancelled (then *released*).

Balances (tested for any sequence of actions in ``tests/test_ledger_balance.py``):

    required = serviceable + in transit + allocated + open        (open = 0 when over-covered)
    offered  = allocated + shipped + delivered + lost + withdrawn + free

A pledge's *delivered* includes its delivered history (``PledgeDelivery``: delivered before
coordcell kept its shipments), also shown apart as *delivered before handover*.

A requirement or pledge whose quantity is undisclosed has ``undisclosed`` set: what follows from
its quantity (required, open, over-covered; offered, free, over-allocated) is unknown, counted
as 0 here so that nothing is allocated from or to it, and shown as "undisclosed"
(``UNKNOWN_WHEN_UNDISCLOSED``), never as a number.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, fields

from django.db.models import Q, Sum

from coordcell.allocation.models import AllocationLine, AllocationRun
from coordcell.pledges.models import Pledge, PledgeDelivery
from coordcell.requirements.models import Requirement
from coordcell.requirements.status import Coverage

from .lifecycle import S
from .models import Discrepancy, ShipmentLine

NOT_SHIPPED = frozenset({S.PLANNED.value, S.READY.value})
MOVING = frozenset({S.DEPARTED.value, S.AT_HUB.value, S.DEPARTED_HUB.value, S.HANDED_OVER.value})
# Discrepancies whose quantity is missing from what arrived (the count already says how many).
MISSING_KINDS = frozenset({Discrepancy.Kind.SHORT.value, Discrepancy.Kind.MISSING_SERIAL.value})


@dataclass
class RequirementLedger:
    required: int = 0
    allocated: int = 0  # committed, not shipped
    in_transit: int = 0
    received_serviceable: int = 0
    received_damaged: int = 0
    lost: int = 0
    written_off: int = 0
    open: int = 0
    over_covered: int = 0  # more allocated or shipped than required (by hand)
    cancelled: bool = False
    undisclosed: bool = False  # its quantity is not known: required, open, over-covered neither

    def as_dict(self) -> dict[str, int | bool]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @property
    def coverage(self) -> Coverage:
        return Coverage(
            allocated=self.allocated + self.in_transit, received=self.received_serviceable
        )


@dataclass
class PledgeLedger:
    offered: int = 0
    allocated: int = 0  # committed, not shipped
    shipped: int = 0  # in transit
    delivered: int = 0  # received by the recipient, damaged or not (history included)
    delivered_before: int = 0  # of which delivered before handover (the pledge's history)
    lost: int = 0  # left the depot, never arrived (written off included)
    released: int = 0  # once allocated, free again (cancelled, not loaded, re-planned)
    withdrawn: int = 0
    free: int = 0
    over_allocated: int = 0
    undisclosed: bool = False  # its quantity is not known: offered, free, over-allocated neither

    def as_dict(self) -> dict[str, int | bool]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @property
    def committed(self) -> int:
        """What is no longer the donor's to offer: allocated, shipped, delivered or lost."""
        return self.allocated + self.shipped + self.delivered + self.lost


# The figures that follow from a record's own quantity: unknown while it is undisclosed.
UNKNOWN_WHEN_UNDISCLOSED = frozenset(
    {"required", "open", "over_covered", "offered", "free", "over_allocated"}
)


def figure(ledger: RequirementLedger | PledgeLedger, name: str) -> int | None:
    """One figure of a ledger as a reader gets it: None ("undisclosed") where it follows from a
    quantity that is not disclosed."""
    if ledger.undisclosed and name in UNKNOWN_WHEN_UNDISCLOSED:
        return None
    value: int = getattr(ledger, name)
    return value


@dataclass
class _Counts:
    requirements: dict[int, RequirementLedger] = field(default_factory=dict)
    pledges: dict[int, PledgeLedger] = field(default_factory=dict)


def _line_damage(
    line_ids: Collection[int],
) -> tuple[dict[int, int], dict[int, int], dict[int, int]]:
    """Per shipment line: damaged units, units found after all, units written off."""
    damaged: dict[int, int] = defaultdict(int)
    found: dict[int, int] = defaultdict(int)
    written_off: dict[int, int] = defaultdict(int)
    if not line_ids:
        return damaged, found, written_off
    for row in Discrepancy.objects.filter(line_id__in=line_ids).values(
        "line_id", "kind", "quantity", "resolution"
    ):
        quantity = row["quantity"] or 0
        resolution = row["resolution"]
        if row["kind"] == Discrepancy.Kind.DAMAGED:
            if resolution == "found":
                continue
            if resolution == "written_off":
                written_off[row["line_id"]] += quantity
            damaged[row["line_id"]] += quantity
        elif row["kind"] in MISSING_KINDS:
            if resolution == "found":
                found[row["line_id"]] += quantity
            elif resolution == "written_off":
                written_off[row["line_id"]] += quantity
    return damaged, found, written_off


def _count(
    *,
    requirement_ids: Collection[int] | None = None,
    pledge_ids: Collection[int] | None = None,
    releasing: Collection[int] = (),
) -> _Counts:
    """The ledgers of the requirements and pledges named, or of all of them when both are None.
    ``releasing``: shipments counted as if cancelled (what a re-plan would release)."""
    everything = requirement_ids is None and pledge_ids is None
    requirement_ids = set(requirement_ids or ())
    pledge_ids = set(pledge_ids or ())
    scope = (
        Q()
        if everything
        else Q(requirement_id__in=sorted(requirement_ids)) | Q(pledge_id__in=sorted(pledge_ids))
    )
    counts = _Counts()

    def req(rid: int) -> RequirementLedger:
        return counts.requirements.setdefault(rid, RequirementLedger())

    def ple(pid: int) -> PledgeLedger:
        return counts.pledges.setdefault(pid, PledgeLedger())

    on_shipments: dict[int, int] = defaultdict(int)  # allocation line -> units on any shipment
    ship_rows = list(
        ShipmentLine.objects.filter(scope).values(
            "id",
            "allocation_line_id",
            "pledge_id",
            "requirement_id",
            "quantity",
            "shipped_quantity",
            "received_quantity",
            "shipment_id",
            "shipment__status",
        )
    )
    damaged, found, written_off = _line_damage(
        [r["id"] for r in ship_rows if r["shipment__status"] == S.RECEIVED]
    )
    for row in ship_rows:
        status = S.CANCELLED.value if row["shipment_id"] in releasing else row["shipment__status"]
        quantity = row["quantity"]
        r, p = req(row["requirement_id"]), ple(row["pledge_id"])
        if row["allocation_line_id"]:
            on_shipments[row["allocation_line_id"]] += quantity
        if status == S.CANCELLED:
            if row["allocation_line_id"]:
                p.released += quantity
            continue
        if status in NOT_SHIPPED:
            r.allocated += quantity
            p.allocated += quantity
            continue
        moved = row["shipped_quantity"] if row["shipped_quantity"] is not None else quantity
        if moved < quantity and row["allocation_line_id"]:
            p.released += quantity - moved
        if status in MOVING:
            r.in_transit += moved
            p.shipped += moved
            continue
        # Received.
        line_id = row["id"]
        received = row["received_quantity"] if row["received_quantity"] is not None else moved
        received += min(found[line_id], max(0, moved - received))
        missing = max(0, moved - received)
        broken = min(damaged[line_id], received)
        gone = min(written_off[line_id], missing + broken)
        r.received_serviceable += received - broken
        r.received_damaged += broken - min(broken, max(0, gone - missing))
        r.written_off += gone
        r.lost += missing - min(missing, gone)
        p.delivered += received
        p.lost += missing

    lines = AllocationLine.objects.filter(scope, run__status=AllocationRun.Status.COMMITTED)
    for line in lines.values(
        "id", "pledge_id", "requirement_id", "quantity", "pledge__status", "requirement__status"
    ):
        remainder = max(0, line["quantity"] - on_shipments.get(line["id"], 0))
        if not remainder:
            continue
        r, p = req(line["requirement_id"]), ple(line["pledge_id"])
        if line["requirement__status"] == Requirement.Status.CANCELLED:
            p.released += remainder
        elif line["pledge__status"] == Pledge.Status.WITHDRAWN:
            p.withdrawn += remainder
        else:
            r.allocated += remainder
            p.allocated += remainder

    history = PledgeDelivery.objects.all()
    if not everything:
        history = history.filter(pledge_id__in=sorted(pledge_ids))
    for pid, delivered in (
        history.filter(quantity__isnull=False)
        .values("pledge_id")
        .annotate(n=Sum("quantity"))
        .values_list("pledge_id", "n")
        .order_by()
    ):
        p = ple(pid)
        p.delivered_before += delivered
        p.delivered += delivered

    requirements = Requirement.objects.all()
    if not everything:
        requirements = requirements.filter(pk__in=sorted(requirement_ids))
    for rid, required, cancelled in requirements.values_list("pk", "quantity", "cancelled_at"):
        r = req(rid)
        r.cancelled = cancelled is not None
        if required is None:
            r.undisclosed = True
            continue
        r.required = required
        covered = r.received_serviceable + r.in_transit + r.allocated
        r.open = 0 if r.cancelled else max(0, required - covered)
        r.over_covered = max(0, covered - required)
    pledges = Pledge.objects.all()
    if not everything:
        pledges = pledges.filter(pk__in=sorted(pledge_ids))
    for pid, offered, status in pledges.values_list("pk", "quantity", "status"):
        p = ple(pid)
        if offered is None:
            p.undisclosed = True
            continue
        p.offered = offered
        rest = offered - p.committed - p.withdrawn
        p.over_allocated = max(0, -rest)
        if status == Pledge.Status.WITHDRAWN:
            p.withdrawn += max(0, rest)
        else:
            p.free = max(0, rest)
    return counts


def requirement_ledgers(
    requirement_ids: Iterable[int], *, releasing: Collection[int] = ()
) -> dict[int, RequirementLedger]:
    ids = sorted(set(requirement_ids))
    counts = _count(requirement_ids=ids, pledge_ids=(), releasing=releasing).requirements
    return {rid: counts.get(rid, RequirementLedger()) for rid in ids}


def pledge_ledgers(
    pledge_ids: Iterable[int], *, releasing: Collection[int] = ()
) -> dict[int, PledgeLedger]:
    ids = sorted(set(pledge_ids))
    counts = _count(requirement_ids=(), pledge_ids=ids, releasing=releasing).pledges
    return {pid: counts.get(pid, PledgeLedger()) for pid in ids}


def all_ledgers(
    *, releasing: Collection[int] = ()
) -> tuple[dict[int, RequirementLedger], dict[int, PledgeLedger]]:
    """Every requirement's and every pledge's ledger, in a few queries (an allocation run's
    input)."""
    counts = _count(releasing=releasing)
    return counts.requirements, counts.pledges


def requirement_coverage(requirement_ids: Iterable[int]) -> dict[int, Coverage]:
    """What a requirement's status follows from (see ``requirements.status``)."""
    return {rid: ledger.coverage for rid, ledger in requirement_ledgers(requirement_ids).items()}


def replan_releases(since: dt.date) -> set[int]:
    """The shipments a re-plan from ``since`` releases: planned (not yet ready at origin) and
    due to leave on or after that day. What already moved, or is loading, is kept."""
    from .models import Shipment

    return set(
        Shipment.objects.filter(status=S.PLANNED, planned_departure__gte=since).values_list(
            "pk", flat=True
        )
    )
