"""The demo in mid-operation: what the cell has done with the loaded scenario so far.

After ``load_demo`` (reference data, requirements, pledges, courses, sessions, cohorts), the demo
acts as the cell's people would, through the records' own actions only: training that was held
(sessions in the past weeks, their cohorts' attendance recorded), bookings for the sessions to
come, a committed allocation plan (``run_create`` / ``run_execute`` / ``run_commit``) and its
shipments brought to every state by their events, discrepancies found (some resolved), and
capability packages that hold what the plan covers, so each has a readiness date.

Events carry their own times in the past (``occurred_at``); the plan's week 0 is the scenario's
start, which is never in the past (``scenario.default_start``).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

# capability -> the course path its crews take, for the capabilities whose crews the scenario's
# cohorts do not train (staff and medics of the logistics formations).
EXTRA_PATHS = {
    "log-bde": ["nato-proc"],
    "winter-sustain": ["combat-medic"],
}
# How many shipments of the plan's first departures are brought to each state (the rest stay
# planned), with the events that reach it.
STATE_COUNTS = (
    ("received", 6),
    ("handed_over", 3),
    ("departed_hub", 3),
    ("at_hub", 4),
    ("departed", 3),
    ("ready_at_origin", 3),
    ("cancelled", 2),
)
STEPS = ("ready_at_origin", "departed", "at_hub", "departed_hub", "handed_over", "received")
EVENT_DAYS = 2  # days between a shipment's events


def bring_to_mid_operation(*, start: dt.date, seed: int) -> dict[str, int]:
    """Act on the loaded scenario as the cell would have so far (see the module docstring).
    Returns counts of what it did, by label."""
    from coordcell.readiness.services import recompute_all
    from coordcell.registry.models import User

    users = {u.username: u for u in User.objects.all()}
    now = timezone.now().replace(microsecond=0)
    rng = random.Random(seed * 7919 + 17)
    done: dict[str, int] = {}
    # One transaction: a demo that fails half-way leaves the scenario as it was loaded.
    with transaction.atomic():
        done.update(_training(users, start, now.date(), rng))
        run = _plan(users["coordinator"], start)
        done["allocation runs committed"] = 1
        done.update(_shipments(users, run, now))
        done.update(_packages(users["coordinator"]))
        recompute_all(cause="demo data", actor=users["coordinator"])
    return done


# ---- training: sessions held, with attendance; sessions to come, booked ----


def _training(
    users: dict[str, Any], start: dt.date, today: dt.date, rng: random.Random
) -> dict[str, int]:
    from coordcell.registry.models import Capability
    from coordcell.training.execution import attendance_record
    from coordcell.training.models import Booking, Cohort, CohortStep, Course, Session
    from coordcell.training.services import booking_create, training_load

    from . import places

    coordinator = users["coordinator"]
    courses = {c.code: c for c in Course.objects.all()}
    sites: dict[str, Any] = {}
    for session in Session.objects.select_related("site__location").order_by("pk"):
        sites.setdefault(session.site.location.code, session.site)
    # One crew per capability was released early and has started its training: its first
    # course was held in the past weeks.
    capabilities = list(Capability.objects.order_by("code"))
    first_course: dict[str, list[tuple[Capability, list[str]]]] = defaultdict(list)
    for cap in capabilities:
        paths = places.CREW_PATHS.get(cap.code) or [EXTRA_PATHS[cap.code]]
        path = paths[0]
        first_course[path[0]].append((cap, path))
    sessions, cohorts, steps, held = [], [], [], []
    reference = _next_reference(Session, "TS-")
    cohort_reference = _next_reference(Cohort, "CO-")
    for k, (code, crews) in enumerate(sorted(first_course.items())):
        course = courses[code]
        # The site that runs the course, the training-site officer's own where it can.
        site_code = next(
            s for s in ("salisbury-plain", *places.SITE_COURSES) if code in places.SITE_COURSES[s]
        )
        begins = start - dt.timedelta(weeks=course.duration_weeks + 1 + k % 3)
        trainees = [rng.randint(4, 8) for _ in crews]
        session = Session(
            reference=f"TS-{reference:06d}",
            course=course,
            site=sites[site_code],
            start_date=begins,
            seats=min(course.max_class_size, max(12, sum(trainees))),
        )
        reference += 1
        sessions.append(session)
        for (cap, path), size in zip(crews, trainees, strict=True):
            cohort = Cohort(
                reference=f"CO-{cohort_reference:06d}",
                unit=f"{cohort_reference}. {rng.choice(places.CREW_UNITS)}, {cap.name}",
                trainees=size,
                capability=cap,
                earliest_release=begins - dt.timedelta(weeks=2),
                priority=1,
                created_at=timezone.now() - dt.timedelta(weeks=course.duration_weeks + 4),
            )
            cohort_reference += 1
            cohorts.append(cohort)
            steps += [
                CohortStep(cohort=cohort, course=courses[c], position=n)
                for n, c in enumerate(path, 1)
            ]
            held.append((cohort, session))
    training_load(actor=None, objects=sessions, verb="demo-data")
    training_load(actor=None, objects=cohorts, verb="demo-data")
    training_load(actor=None, objects=steps, verb="demo-data", audit=False, check=False)
    attended = 0
    for cohort, session in held:
        booking = booking_create(actor=coordinator, cohort=cohort, session=session, recompute=False)
        officer = users["trainer-gb"] if session.site.location.nation.code == "GB" else coordinator
        if session.start_date <= today:
            attendance_record(
                actor=officer,
                booking=booking,
                outcome=Booking.Outcome.COMPLETED,
                attended=cohort.trainees,
                note="All trainees passed the final assessment.",
            )
            attended += 1
    booked = _book_paths(coordinator, Cohort.objects.order_by("reference"), today)
    return {
        "sessions held": len(sessions),
        "attendance recorded": attended,
        "bookings": booked + len(held),
    }


def _next_reference(model: Any, prefix: str) -> int:
    last = model.objects.filter(reference__startswith=prefix).order_by("-reference").first()
    return int(last.reference.removeprefix(prefix)) + 1 if last else 1


def _book_paths(coordinator: Any, cohorts: Iterable[Any], today: dt.date) -> int:
    """Book each cohort's courses still to take, in path order, on the earliest session that
    takes it (``booking_create`` says when one cannot)."""
    from coordcell.training.models import Booking, Session
    from coordcell.training.services import booking_create

    by_course: dict[int, list[Session]] = defaultdict(list)
    for session in Session.objects.filter(
        status=Session.Status.PLANNED, start_date__gt=today
    ).order_by("start_date", "pk"):
        by_course[session.course_id].append(session)
    booked = 0
    for cohort in cohorts:
        done = set(Booking.objects.filter(cohort=cohort).values_list("course_id", flat=True))
        for course in cohort.path():
            if course.pk in done:
                continue
            for session in by_course[course.pk]:
                if session.start_date < cohort.earliest_release:
                    continue
                try:
                    booking_create(
                        actor=coordinator, cohort=cohort, session=session, recompute=False
                    )
                except ValidationError:
                    continue
                booked += 1
                break
            else:
                break  # the later courses wait for this one: left for a schedule run
    return booked


# ---- the committed plan ----


def _plan(coordinator: Any, start: dt.date) -> Any:
    from coordcell.allocation.services import run_commit, run_create, run_execute

    run = run_execute(run_create(actor=coordinator, planning_start=start, enqueue=False).pk)
    return run_commit(actor=coordinator, run=run)


# ---- shipments in every state, through their events ----


def _shipments(users: dict[str, Any], run: Any, now: dt.datetime) -> dict[str, int]:
    from coordcell.logistics.models import Shipment
    from coordcell.logistics.services import events_ingest, shipment_cancel

    coordinator = users["coordinator"]
    donors = {u.nation.code: u for u in users.values() if u.is_donor_liaison and u.nation}
    pool = list(
        Shipment.objects.filter(run=run, status="planned")
        .select_related("donor")
        .order_by("planned_departure", "pk")
    )
    done: dict[str, int] = defaultdict(int)
    # The events of every shipment, sent as the feeds would: a batch per step and sender.
    batches: dict[tuple[int, int], list[dict[str, Any]]] = defaultdict(list)
    senders: dict[int, Any] = {}
    for state, count in STATE_COUNTS:
        for i in range(min(count, len(pool))):
            shipment = pool.pop(0)
            done[f"shipments {state.replace('_', ' ')}"] += 1
            if state == "cancelled":
                shipment_cancel(
                    actor=coordinator,
                    shipment=shipment,
                    reason="The donor withdrew the transport slot; the goods go with a later load.",
                )
                continue
            for n, event in enumerate(_events(shipment, state, now, i)):
                step = event["status"]
                if step == "received":
                    sender = users["recipient"]
                elif step in ("ready_at_origin", "departed") and shipment.donor.code in donors:
                    sender = donors[shipment.donor.code]
                else:
                    sender = coordinator
                senders[sender.pk] = sender
                batches[(n, sender.pk)].append(event)
    for (_n, sender), events in sorted(batches.items()):
        result = events_ingest(actor=senders[sender], events=events)
        if result.rejected:
            raise RuntimeError(f"demo events refused: {result.rejected[:3]}")
    done["shipments planned"] = len(pool)
    done.update(_discrepancies(coordinator, now))
    return dict(done)


def _serials(shipment: Any) -> dict[str, list[str]]:
    """Serial numbers of the shipment's serial-numbered lines, as the donor's manifest lists
    them."""
    return {
        str(line.pk): [
            f"{shipment.donor.code}-{line.category.code[:10].upper()}-{line.pk:05d}-{n + 1:04d}"
            for n in range(line.quantity)
        ]
        for line in shipment.lines.select_related("category").order_by("pk")
        if line.category.sensitive
    }


def _events(shipment: Any, target: str, now: dt.datetime, i: int) -> list[dict[str, Any]]:
    """The events that bring a planned shipment to ``target``, as the donor, the cell and the
    recipient would have recorded them, each in the past."""
    steps = STEPS[: STEPS.index(target) + 1]
    serials = _serials(shipment)
    counted = {str(line.pk): line.quantity for line in shipment.lines.order_by("pk")}
    first = now - dt.timedelta(days=EVENT_DAYS * len(steps) + i % 3, hours=3 * i)
    events = []
    for n, step in enumerate(steps):
        event: dict[str, Any] = {
            "id": f"demo-{shipment.reference}-{n}",
            "shipment": shipment.reference,
            "status": step,
            "occurred_at": (first + dt.timedelta(days=EVENT_DAYS * n)).isoformat(),
        }
        if serials and step in ("ready_at_origin", "at_hub", "handed_over", "received"):
            event["serials"] = serials
        if step in ("handed_over", "received"):
            event.update(
                handed_over_by="Sgt. M. Becker (escort)",
                taken_over_by="Capt. O. Kovalenko",
                quantity=sum(counted.values()),
                lines=counted,
            )
        events.append(event)
    return events


def _discrepancies(coordinator: Any, now: dt.datetime) -> dict[str, int]:
    """Damage found at a hub check and at handover: some still open, some resolved."""
    from coordcell.logistics.discrepancies import discrepancy_record, discrepancy_resolve
    from coordcell.logistics.models import Discrepancy, Shipment

    found = list(
        Shipment.objects.filter(status__in=("at_hub", "departed_hub", "received")).order_by(
            "planned_departure", "pk"
        )
    )
    descriptions = (
        "Two crates with crushed corners; contents to be inspected.",
        "Pallet wrap torn, one case wet from rain during transfer.",
        "Seal number on the container does not match the manifest.",
        "One box dented; packing list missing from the pouch.",
    )
    made = []
    for n, shipment in enumerate(found[:6]):
        made.append(
            discrepancy_record(
                actor=coordinator,
                shipment=shipment,
                kind=Discrepancy.Kind.DAMAGED,
                description=descriptions[n % len(descriptions)],
            )
        )
    resolved = 0
    for n, discrepancy in enumerate(made[::2]):
        discrepancy_resolve(
            actor=coordinator,
            discrepancy=discrepancy,
            resolution=(Discrepancy.Resolution.REPLACED, Discrepancy.Resolution.WRITTEN_OFF)[n % 2],
            note="Agreed with the donor's liaison officer at the weekly call.",
        )
        resolved += 1
    return {"discrepancies open": len(made) - resolved, "discrepancies resolved": resolved}


# ---- capability packages of what the plan covers ----


def _packages(coordinator: Any) -> dict[str, int]:
    """Each package lists its capability's needs that the plan covers (so it has a date):
    end items (systems first), then a first and second tranche of sustainment."""
    from coordcell.readiness.equipment import expectations
    from coordcell.readiness.models import CapabilityPackage
    from coordcell.readiness.services import package_save
    from coordcell.registry.models import ItemCategory
    from coordcell.requirements.models import Requirement

    needs: dict[int, list[Requirement]] = defaultdict(list)
    for req in Requirement.objects.select_related("category").order_by("reference"):
        needs[req.capability_id].append(req)
    covered = {
        rid
        for rid, exp in expectations(r.pk for rs in needs.values() for r in rs).items()
        if exp.date is not None
    }
    changed = 0
    for package in CapabilityPackage.objects.order_by("reference"):
        mine = [r for r in needs[package.capability_id] if r.pk in covered]
        systems = [r for r in mine if r.category.unit == ItemCategory.Unit.SYSTEM]
        ends = (systems or mine)[:4]
        rest = [r for r in mine if r not in ends][:6]
        items = [(r, "end_item", 1) for r in ends]
        for k, r in enumerate(rest):
            role = {"round": "ammunition", "set": "spares"}.get(r.category.unit, "maintenance")
            items.append((r, role, 1 if k < 3 else 2))
        if items:
            package_save(actor=coordinator, package=package, items=items)
            changed += 1
    return {"capability packages planned": changed}
