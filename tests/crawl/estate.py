"""The crawl's fixture: the small demo scenario brought to a lived-in state through the services
(a committed allocation, shipments in every state, events, serials, discrepancies with photos,
end-use checks, bookings, readiness), then canaried:

1. every free-text field of every record a nation owns (rules.OWNED, walked generically over the
   models' CharField/TextField) holds a token unique to that nation, field and visibility class;
2. a handful of those records per nation hold markup, formula and oversize payloads instead
   (followed by their canary), and so do reference records that feed charts and the briefing;
   some numbers hold the largest value their field accepts;
3. one in-transit shipment of each of DE, PL and US carries the time canaries
   (rules.time_values), PL's through a hub whose name is the route canary, and each carries the
   end items of a capability package of its own: readiness, computed last, reads their times.

References are canaried before the events and checks that quote them run, so texts the app derives
(a discrepancy raised by a check, readiness bottlenecks) quote canaries too.
"""

from __future__ import annotations

import datetime as dt
import io
import time
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone

from . import rules
from .canaries import canary_walk, payloads, time_canaries
from .rules import Canary, token

# Photos of each nation's discrepancies, in sizes no other image has: found embedded in a PDF
# or a workbook by their size.
PHOTO_SIZES = {
    ("DE", "transit"): (61, 37),
    ("DE", "handover"): (62, 39),
    ("PL", "transit"): (67, 41),
    ("PL", "handover"): (68, 43),
    ("US", "transit"): (71, 47),
    ("US", "handover"): (72, 49),
}
SHIPMENT_STATES = (
    "planned",
    "ready_at_origin",
    "departed",
    "at_hub",
    "departed_hub",
    "handed_over",
    "received",
    "cancelled",
)
STEPS = ("ready_at_origin", "departed", "at_hub", "departed_hub", "handed_over", "received")


@dataclass
class Estate:
    users: dict[str, Any]
    canaries: dict[str, Canary] = field(default_factory=dict)
    keep: set[tuple[str, int, str]] = field(default_factory=set)  # (model, pk, field) as they are
    shipments: dict[str, dict[str, Any]] = field(default_factory=dict)  # nation -> state -> one
    route_shipments: dict[str, Any] = field(default_factory=dict)
    hub: Any = None
    photos: dict[bytes, tuple[str, str]] = field(default_factory=dict)  # bytes -> (nation, klass)
    payload_rows: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    timings: dict[str, float] = field(default_factory=dict)

    def register(self, nation: str, what: str, klass: str = "") -> str:
        tok = token(nation, what, klass)
        known = self.canaries.setdefault(tok, Canary(tok, nation, what, klass))
        assert (known.nation, known.what, known.klass) == (nation, what, klass), "hash collision"
        return tok


def build(*, capture: Any) -> Estate:
    from coordcell.demo.scenario import load_demo
    from coordcell.registry.models import User

    clock = time.perf_counter()
    today = timezone.now().date()
    start = today - dt.timedelta(days=today.weekday(), weeks=3)
    load_demo(size="small", seed=1, start=start)
    estate = Estate(users={u.username: u for u in User.objects.all()})
    estate.hub = _canary_hub(estate)
    with capture(execute=True):
        _allocate(estate, start)
        _book_training(estate)
    estate.timings["demo, allocation, bookings"] = time.perf_counter() - clock
    clock = time.perf_counter()
    canary_walk(estate)  # references first: what the app derives from now on quotes canaries
    with capture(execute=True):
        _live_shipments(estate)
        _tokens(estate)
        _delivered_history(estate)
    canary_walk(estate)
    payloads(estate)
    time_canaries(estate)
    with capture(execute=True):
        from coordcell.readiness.services import recompute_all

        recompute_all(cause="crawl fixture")
    _analyze()
    estate.timings["events, canaries, payloads"] = time.perf_counter() - clock
    return estate


def _analyze() -> None:
    """PostgreSQL plans from table statistics: after the suite's earlier tests filled and emptied
    the tables, stale ones made a report query of this estate take 15 s (nested loops over
    tables thought empty). A deployment's autovacuum keeps them fresh; here the estate, not yet
    committed, is analysed in its own transaction (ANALYZE counts its own rows)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


# ---- the lived-in state, through the services ----


def _canary_hub(estate: Estate) -> Any:
    from coordcell.registry.models import Location, Nation

    hub = Location.objects.create(
        code="crawl-hub",
        name=rules.HUB.token,
        kind=Location.Kind.HUB,
        nation=Nation.objects.get(code="PL"),
        latitude=Decimal("50.04"),
        longitude=Decimal("22.00"),
    )
    estate.canaries[rules.HUB.token] = rules.HUB
    return hub


def _allocate(estate: Estate, start: dt.date) -> None:
    from coordcell.allocation.services import run_commit, run_create, run_execute

    coordinator = estate.users["coordinator"]
    run = run_execute(run_create(actor=coordinator, planning_start=start, enqueue=False).pk)
    run_commit(actor=coordinator, run=run)
    # A second plan against the first, solved but not committed: a comparison to show; resilient
    # and with its N-1 table, so that the crawl reads the exposure (route and timing information).
    second = run_create(
        actor=coordinator,
        planning_start=start,
        base_run=run,
        parameters={"hub_share_cap": 0.6, "n_minus_one": True},
        enqueue=False,
    )
    run_execute(second.pk)


def _book_training(estate: Estate) -> None:
    """Cohorts booked at a British and a German site: what an officer of each may see."""
    from django.core.exceptions import ValidationError

    from coordcell.training.models import Cohort, Session
    from coordcell.training.services import booking_create

    coordinator = estate.users["coordinator"]
    for nation in ("GB", "DE"):
        booked = 0
        sessions = Session.objects.filter(site__location__nation__code=nation).order_by(
            "start_date", "pk"
        )
        for session in sessions:
            for cohort in Cohort.objects.filter(bookings=None).order_by("reference"):
                if booked == 2:
                    break
                try:
                    booking_create(actor=coordinator, cohort=cohort, session=session)
                except ValidationError:
                    continue
                booked += 1
        assert booked == 2, f"no cohort could be booked at a site in {nation}"
    # A scheduler run, queued: its page has something to show (solving it takes seconds).
    from coordcell.training.scheduling import run_create

    run_create(actor=coordinator, enqueue=False)


def _lines(shipment: Any) -> tuple[list[Any], list[Any]]:
    lines = list(shipment.lines.select_related("category").order_by("pk"))
    return lines, [ln for ln in lines if ln.category.sensitive]


def _serials(estate: Estate, shipment: Any, target: str) -> dict[str, list[str]]:
    nation = shipment.donor.code
    klass = "handover" if target == "received" else "transit"
    tok = estate.register(nation, "logistics.serialitem.serial", klass)
    _, sensitive = _lines(shipment)
    return {str(ln.pk): [f"{tok}-{ln.pk}-{n}" for n in range(ln.quantity)] for ln in sensitive}


def _advance(estate: Estate, shipment: Any, target: str, base: dt.datetime, **extra: Any) -> None:
    """Record the events that bring a planned shipment to ``target``, as the cell, the donor's
    feed and the recipient would."""
    from coordcell.logistics.services import events_ingest, shipment_cancel

    if target == "planned":
        return
    if target == "cancelled":
        shipment_cancel(actor=estate.users["coordinator"], shipment=shipment, reason="fixture")
        return
    nation = shipment.donor.code
    lines, sensitive = _lines(shipment)
    serials = extra.pop("serials", None) or _serials(estate, shipment, target)
    counted = {str(ln.pk): ln.quantity for ln in lines}
    names = {"handed_over_by": "fixture", "taken_over_by": "fixture"}
    for n, step in enumerate(STEPS[: STEPS.index(target) + 1]):
        klass = "handover" if step in ("handed_over", "received") else "transit"
        event: dict[str, Any] = {
            "id": f"{estate.register(nation, 'logistics.shipmentevent.client_id', klass)}"
            f"-{shipment.pk}-{n}",
            "shipment": shipment.reference,
            "status": step,
            "occurred_at": (base + dt.timedelta(hours=7 * n)).isoformat(),
        }
        if sensitive and step in ("ready_at_origin", "at_hub", "handed_over", "received"):
            event["serials"] = serials
        if step in ("handed_over", "received"):
            event.update(names, quantity=sum(counted.values()), lines=counted)
        event.update(extra.get(step, {}))
        actor = estate.users["recipient" if step == "received" else "coordinator"]
        result = events_ingest(actor=actor, events=[event])
        assert result.accepted == 1, (shipment.reference, step, result.rejected)


def _png(size: tuple[int, int], nation: str) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    colour = {"DE": (200, 30, 30), "PL": (30, 200, 30), "US": (30, 30, 200)}[nation]
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


def _live_shipments(estate: Estate) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from coordcell.logistics.discrepancies import discrepancy_record, inventory_check_record
    from coordcell.logistics.models import SerialItem, Shipment
    from coordcell.logistics.services import shipment_reroute

    coordinator, recipient = estate.users["coordinator"], estate.users["recipient"]
    now = timezone.now().replace(microsecond=0)
    for k, nation in enumerate(rules.ROUTE_DONORS):
        pool = list(
            Shipment.objects.filter(donor__code=nation, status="planned").order_by(
                "planned_departure", "pk"
            )
        )
        sensitive = [s for s in pool if any(ln.category.sensitive for ln in _lines(s)[0])]
        states: dict[str, Any] = {}
        # A sensitive planned shipment stays planned: the write probes record its departure.
        states["planned"] = sensitive[0] if sensitive else pool[0]
        rest = [s for s in pool if s != states["planned"]]
        for state in SHIPMENT_STATES[1:]:
            states[state] = rest.pop(0)
        states["route"] = rest.pop(0)
        estate.shipments[nation] = states
        base = now - dt.timedelta(days=20 - k)
        for state, shipment in states.items():
            if state == "route":
                continue
            _advance(estate, shipment, state, base)
        route = states["route"]
        if nation == "PL":
            shipment_reroute(actor=coordinator, shipment=route, hub=estate.hub, reason="fixture")
            route.refresh_from_db()
        _advance(estate, route, "at_hub", base)
        estate.route_shipments[nation] = route
        # Discrepancies with a photo: one the recipient may see (at handover), one it may not.
        for state, klass in (("at_hub", "transit"), ("handed_over", "handover")):
            photo = _png(PHOTO_SIZES[(nation, klass)], nation)
            estate.photos[photo] = (nation, klass)
            states[state].refresh_from_db()
            discrepancy_record(
                actor=coordinator,
                shipment=states[state],
                kind="damaged",
                description="fixture",
                photos=[SimpleUploadedFile("crate.png", photo, "image/png")],
            )
    _wrong_serial_at_hub(estate)
    received = SerialItem.objects.filter(received_at__isnull=False)
    if received.exists():
        first = received.select_related("shipment_line__shipment__delivery_point").first()
        inventory_check_record(
            actor=recipient,
            serials=list(received.values_list("serial", flat=True)[:5]),
            location=first.shipment_line.shipment.delivery_point,
            note="fixture",
        )


def _wrong_serial_at_hub(estate: Estate) -> None:
    """A hub check of a German shipment finds an item of a Polish manifest (one whose serial is
    no canary: the item was physically in the German crate, its serial is no secret there)."""
    from coordcell.logistics.models import SerialItem, Shipment

    pl_item = (
        SerialItem.objects.filter(shipment_line__shipment__donor__code="PL").order_by("pk").first()
    )
    assert pl_item is not None, "PL has no serial-numbered shipment past its departure"
    SerialItem.objects.filter(pk=pl_item.pk).update(serial="FOUND-AT-HUB-1")
    estate.keep.add(("logistics.serialitem", pl_item.pk, "serial"))
    de = [
        s
        for s in Shipment.objects.filter(donor__code="DE", status="planned").order_by("pk")
        if _lines(s)[1] and s != estate.shipments["DE"]["planned"]
    ][0]
    serials = _serials(estate, de, "at_hub")
    with_extra = {key: [*values, "FOUND-AT-HUB-1"] for key, values in serials.items()}
    now = timezone.now().replace(microsecond=0)
    _advance(
        estate,
        de,
        "at_hub",
        now - dt.timedelta(days=10),
        serials=serials,
        at_hub={"serials": with_extra},
    )
    estate.shipments["DE"]["wrong serial at hub"] = de


def _tokens(estate: Estate) -> None:
    from coordcell.api.services import token_create

    for login in ("donor-de", "donor-pl", "recipient", "trainer-gb"):
        user = estate.users[login]
        token_create(actor=user, user=user, name="fixture")


def _delivered_history(estate: Estate) -> None:
    """A pledge of each donor with a delivered history (issue 20): its source is free text."""
    from coordcell.pledges.deliveries import pledge_delivery_save
    from coordcell.pledges.models import Pledge, PledgeDelivery

    coordinator = next(u for u in estate.users.values() if u.is_coordinator)
    for code in ("DE", "PL"):
        for status in ("confirmed", "offered"):
            pledge = (
                Pledge.objects.filter(donor__code=code, status=status, quantity__gt=1)
                .order_by("pk")
                .first()
            )
            if pledge is None:
                continue
            pledge_delivery_save(
                actor=coordinator,
                delivery=PledgeDelivery(
                    pledge=pledge,
                    quantity=1,
                    delivered_on=timezone.now().date() - dt.timedelta(days=400),
                    source="Handover note",
                ),
            )
