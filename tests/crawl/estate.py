"""The crawl's fixture: the small demo scenario brought to a lived-in state through the services
(a committed allocation, shipments in every state, events, serials, discrepancies with photos,
end-use checks, bookings, readiness), then canaried:

1. every free-text field of every record a nation owns (rules.OWNED, walked generically over the
   models' CharField/TextField) holds a token unique to that nation, field and visibility class;
2. a handful of those records per nation hold markup, formula and oversize payloads instead
   (followed by their canary), and so do reference records that feed charts and the briefing;
   some numbers hold the largest value their field accepts;
3. one shipment of each of DE, PL and US carries the time canaries (rules.time_values), PL's
   through a hub whose name is the route canary.

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

from django.apps import apps
from django.db import models
from django.db.models import CharField, TextField, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from . import rules
from .rules import Canary, token

MARKUP = ('"><svg/onload=alert(1)>', '<img src="/etc/passwd"/>')
FORMULAS = ("=1+1", "-2+3", "@SUM(A1)", "+1+1", "\t=1+1", "\r=1+1")
PAYLOADS = (*MARKUP, *FORMULAS, "oversize")
LONG_TEXT = 20_000  # characters of an oversize TextField
MAX_INT = 2_147_483_647  # the largest PositiveIntegerField both databases store
MAX_VALUE = Decimal("99999999999999.99")  # Pledge.value: max_digits=16, decimal_places=2
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
EVENT_TIME = {
    "ready_at_origin": "event ready at origin",
    "departed": "event departed",
    "at_hub": "event at hub",
}
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
    probes: dict[str, Any] = field(default_factory=dict)  # what the write probes name
    payload_rows: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    timings: dict[str, float] = field(default_factory=dict)

    def register(self, nation: str, what: str, klass: str = "") -> str:
        tok = token(nation, what, klass)
        known = self.canaries.setdefault(tok, Canary(tok, nation, what, klass))
        assert (known.nation, known.what, known.klass) == (nation, what, klass), "hash collision"
        return tok


def free_text_fields(model: type[models.Model], skip: frozenset[str] = frozenset()) -> list[Any]:
    """CharField/TextField a person writes: no choices, not a short code, not a login."""
    return [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, CharField | TextField)
        and not f.choices
        and (f.max_length is None or f.max_length >= 12)
        and f.name not in skip
    ]


def uncovered_models() -> list[str]:
    """Models with free text that the rules neither canary nor exempt (a new model: decide)."""
    missing = []
    for model in apps.get_models():
        label = model._meta.label_lower
        if model._meta.app_label in rules.FRAMEWORK_APPS or label in rules.OWNED:
            continue
        if free_text_fields(model) and label not in rules.EXEMPT:
            missing.append(label)
    return missing


def build(*, capture: Any) -> Estate:
    from coordcell.registry.demo.scenario import load_demo
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
    canary_walk(estate)
    _payloads(estate)
    _time_canaries(estate)
    with capture(execute=True):
        from coordcell.readiness.services import recompute_all

        recompute_all(cause="crawl fixture")
    estate.timings["events, canaries, payloads"] = time.perf_counter() - clock
    return estate


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
    # A second plan, solved but not committed: run pages and comparisons have something to show.
    run_execute(run_create(actor=coordinator, planning_start=start, enqueue=False).pk)


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


# ---- canaries ----


def canary_walk(estate: Estate) -> None:
    """Every free-text field of every owned record: ``<token>-<pk>``, unless it holds one."""
    for label, ownership in rules.OWNED.items():
        model = apps.get_model(label)
        fields = free_text_fields(model, ownership.skip)
        qs = model._default_manager.select_related(*ownership.related)
        if label == "training.cohort":
            qs = qs.prefetch_related("bookings__session__site__location__nation")
        groups: dict[tuple[str, str, str], list[int]] = defaultdict(list)
        for obj in qs:
            nation = ownership.owner(obj)
            if nation is None:
                continue
            klass = ownership.klass(obj)
            for f in fields:
                value = getattr(obj, f.attname) or ""
                if rules.CANARY_RE.search(value) or (label, obj.pk, f.name) in estate.keep:
                    continue
                if _derived(label, obj):
                    continue
                groups[(f.name, nation, klass)].append(obj.pk)
        for (name, nation, klass), pks in groups.items():
            tok = estate.register(nation, f"{label}.{name}", klass)
            value = Concat(Value(f"{tok}-"), Cast("pk", output_field=CharField()))
            for chunk in range(0, len(pks), 500):
                model._default_manager.filter(pk__in=pks[chunk : chunk + 500]).update(
                    **{name: value}
                )


def _derived(label: str, obj: Any) -> bool:
    """A discrepancy raised by a check: its text is the app's, quoting canaried records."""
    return label == "logistics.discrepancy" and obj.automatic


def _payloads(estate: Estate) -> None:
    """Markup, formula and oversize text in owned records (before their canary) and in the
    reference records charts and the briefing print; the largest numbers fields accept."""
    from coordcell.pledges.models import Pledge
    from coordcell.readiness.models import CapabilityPackage
    from coordcell.registry.models import (
        Capability,
        CapabilityCoalition,
        HubCapacity,
        ItemCategory,
        Location,
        Nation,
    )
    from coordcell.requirements.models import Requirement
    from coordcell.training.models import Course

    used = {s.pk for states in estate.shipments.values() for s in states.values()}
    used |= {s.pk for s in estate.route_shipments.values()}
    for label, ownership in rules.OWNED.items():
        model = apps.get_model(label)
        fields = [
            f for f in free_text_fields(model, ownership.skip) if not (f.unique or f.primary_key)
        ]
        if not fields or label in ("registry.user", "api.apitoken", "exchange.savedmapping"):
            continue
        rows = list(model._default_manager.select_related(*ownership.related).order_by("pk"))
        by_nation: dict[str, list[Any]] = defaultdict(list)
        for obj in rows:
            nation = ownership.owner(obj)
            if (label == "logistics.shipment" and obj.pk in used) or _derived(label, obj):
                continue
            if nation in ("DE", "PL", "UA", "GB"):
                by_nation[nation].append(obj)
        for objs in by_nation.values():
            for payload, obj in zip(PAYLOADS, objs[1:], strict=False):
                changes = {}
                for f in fields:
                    current = getattr(obj, f.attname) or ""
                    if (label, obj.pk, f.name) in estate.keep:
                        continue
                    changes[f.name] = _with_payload(payload, current, f.max_length)
                model._default_manager.filter(pk=obj.pk).update(**changes)
                estate.payload_rows[label].append(obj.pk)
    # Reference records: names in chart labels, PDF paragraphs and workbook cells.
    Nation.objects.filter(code="US").update(name=f"United States {MARKUP[1]}")
    Nation.objects.filter(code="FR").update(name=f"France {MARKUP[0]}")
    Capability.objects.filter(pk=Capability.objects.order_by("pk")[0].pk).update(
        name=f"{MARKUP[1]} battalion", description=MARKUP[0]
    )
    coalitions = list(CapabilityCoalition.objects.order_by("pk")[:2])
    CapabilityCoalition.objects.filter(pk=coalitions[0].pk).update(name=f"{MARKUP[0]} coalition")
    CapabilityCoalition.objects.filter(pk=coalitions[1].pk).update(name="-2+3 coalition")
    packages = list(CapabilityPackage.objects.order_by("pk")[:3])
    names = ("=1+1 package", f"{MARKUP[1]} package", f"{MARKUP[0]} package")
    for package, name in zip(packages, names, strict=True):
        CapabilityPackage.objects.filter(pk=package.pk).update(name=name)
    ItemCategory.objects.filter(code="stinger").update(name="+1+1 Stinger MANPADS")
    Course.objects.filter(code="fpv-pilot").update(name=f"FPV {MARKUP[0]}")
    Location.objects.filter(code="dp-lviv").update(name=f"Lviv {MARKUP[1]}")
    Location.objects.filter(code="lublin").update(name="@Lublin")
    # The largest numbers the fields accept.
    Pledge.objects.filter(
        pk=Pledge.objects.filter(donor__code="US", allocated_quantity=0).order_by("pk")[0].pk
    ).update(quantity=MAX_INT, value=MAX_VALUE)
    Requirement.objects.filter(
        pk=Requirement.objects.filter(status="open").order_by("pk")[0].pk
    ).update(quantity=MAX_INT)
    HubCapacity.objects.filter(pk=HubCapacity.objects.order_by("pk")[0].pk).update(
        weekly_capacity=MAX_INT
    )


def _with_payload(payload: str, canary_text: str, max_length: int | None) -> str:
    if payload == "oversize":
        room = (max_length or LONG_TEXT) - len(canary_text) - 1
        return f"{canary_text} {'W' * room}"
    value = f"{payload} {canary_text}"
    return value[:max_length] if max_length else value


def _time_canaries(estate: Estate) -> None:
    """Distinctive days on one in-transit shipment per donor (rules.time_values): written to the
    rows directly, after everything derived from them was computed."""
    from coordcell.logistics.models import Leg, Shipment

    for nation, shipment in estate.route_shipments.items():
        v = rules.time_values(nation)
        Shipment.objects.filter(pk=shipment.pk).update(
            planned_departure=v["shipment planned departure"],
            planned_arrival=v["shipment planned handover"],
            eta=v["ETA (and leg 2 expected arrival)"],
            next_due=v["shipment next milestone due"],
            status_at=rules.at(v["shipment status time"]),
        )
        legs = {leg.sequence: leg.pk for leg in Leg.objects.filter(shipment=shipment)}
        Leg.objects.filter(pk=legs[1]).update(
            planned_departure=v["leg 1 planned departure"],
            planned_arrival=v["leg 1 planned arrival"],
            expected_departure=v["leg 1 expected departure"],
            expected_arrival=v["leg 1 expected arrival"],
            actual_departure=rules.at(v["leg 1 actual departure"]),
            actual_arrival=rules.at(v["leg 1 actual arrival"]),
        )
        Leg.objects.filter(pk=legs[2]).update(
            planned_departure=v["leg 2 planned departure"],
            planned_arrival=v["leg 2 planned arrival"],
            expected_departure=v["leg 2 expected departure"],
            expected_arrival=v["ETA (and leg 2 expected arrival)"],
        )
        for event in shipment.events.all():
            day = v[EVENT_TIME[event.status]]
            type(event).objects.filter(pk=event.pk).update(
                occurred_at=rules.at(day), recorded_at=rules.at(day, 5, 11)
            )
    for canary in rules.DATES.values():
        estate.canaries.setdefault(canary.token, canary)
    _in_packages(estate)


def _in_packages(estate: Estate) -> None:
    """A capability package of each canary shipment's goods alone: readiness, computed after the
    time canaries, reads that shipment's times (and names it) in its date, path and bottleneck."""
    from coordcell.readiness.models import CapabilityPackage, PackageItem
    from coordcell.registry.models import Capability, CapabilityCoalition

    coalition = CapabilityCoalition.objects.order_by("pk").last()
    for nation, shipment in estate.route_shipments.items():
        capability = Capability.objects.create(
            code=f"crawl-{nation.lower()}", name=f"Crawl capability {nation}", coalition=coalition
        )
        package = CapabilityPackage.objects.create(
            reference=f"CP-CRAWL-{nation}", name=f"Crawl package {nation}", capability=capability
        )
        for line in shipment.lines.all():
            PackageItem.objects.get_or_create(
                package=package, requirement_id=line.requirement_id, defaults={"role": "end_item"}
            )
