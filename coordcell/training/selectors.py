"""Reads: the one access function per training object type, used by pages, API and exports.

- Coordinators and auditors see everything; only coordinators plan (sessions, bookings, runs).
- A training-site officer sees its own nation's sites, their sessions and bookings, and the
  cohorts booked there; another site's session answers 404. It keeps its sites' sessions.
- The recipient's liaison sees the courses, sites and sessions, and registers its cohorts.
- Donor liaisons see the course catalogue and the sites only.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, QuerySet

from coordcell.registry.access import as_user

from .models import (
    Booking,
    Cohort,
    CohortOutcome,
    CohortStep,
    Course,
    ScheduleRun,
    Session,
    TrainingSite,
)
from .scheduler.model import Parameters


def courses_visible_to(user: Any) -> QuerySet[Course]:
    qs = Course.objects.select_related("system").prefetch_related("prerequisites")
    return qs if as_user(user) else qs.none()


def courses_editable_by(user: Any) -> QuerySet[Course]:
    u = as_user(user)
    return courses_visible_to(u) if u and u.is_coordinator else Course.objects.none()


def sites_visible_to(user: Any) -> QuerySet[TrainingSite]:
    u = as_user(user)
    qs = TrainingSite.objects.select_related("location", "location__nation").prefetch_related(
        "courses"
    )
    if u is None:
        return qs.none()
    if u.is_training_site_officer and u.nation_id is not None:  # implied: narrows the type
        return qs.filter(location__nation_id=u.nation_id)
    return qs


def sites_editable_by(user: Any) -> QuerySet[TrainingSite]:
    """Coordinators keep every site; an officer keeps its own sites' seats, instructors, courses."""
    u = as_user(user)
    if u is None or not (u.is_coordinator or u.is_training_site_officer):
        return TrainingSite.objects.none()
    return sites_visible_to(u)


def sessions_visible_to(user: Any) -> QuerySet[Session]:
    u = as_user(user)
    qs = Session.objects.select_related(
        "course", "site", "site__location", "site__location__nation"
    )
    if u is None:
        return qs.none()
    if u.sees_everything or u.is_recipient_liaison:
        return qs
    if u.is_training_site_officer and u.nation_id is not None:  # implied: narrows the type
        return qs.filter(site__location__nation_id=u.nation_id)
    return qs.none()


def sessions_editable_by(user: Any) -> QuerySet[Session]:
    u = as_user(user)
    if u is None or not (u.is_coordinator or u.is_training_site_officer):
        return Session.objects.none()
    return sessions_visible_to(u)


def can_create_session(user: Any) -> bool:
    u = as_user(user)
    return bool(u and (u.is_coordinator or u.is_training_site_officer))


def cohorts_visible_to(user: Any) -> QuerySet[Cohort]:
    u = as_user(user)
    qs = Cohort.objects.select_related("capability").prefetch_related(
        Prefetch("steps", CohortStep.objects.select_related("course").order_by("position"))
    )
    if u is None:
        return qs.none()
    if u.sees_everything or u.is_recipient_liaison:
        return qs
    if u.is_training_site_officer and u.nation_id is not None:  # implied: narrows the type
        booked_here = Booking.objects.filter(session__site__location__nation_id=u.nation_id).values(
            "cohort_id"
        )
        return qs.filter(pk__in=booked_here)
    return qs.none()


def cohorts_editable_by(user: Any) -> QuerySet[Cohort]:
    u = as_user(user)
    if u is None or not (u.is_coordinator or u.is_recipient_liaison):
        return Cohort.objects.none()
    return cohorts_visible_to(u)


def can_create_cohort(user: Any) -> bool:
    u = as_user(user)
    return bool(u and (u.is_coordinator or u.is_recipient_liaison))


def bookings_visible_to(user: Any) -> QuerySet[Booking]:
    u = as_user(user)
    qs = Booking.objects.select_related(
        "cohort", "session", "session__course", "session__site__location", "run"
    )
    if u is None:
        return qs.none()
    if u.sees_everything or u.is_recipient_liaison:
        return qs
    if u.is_training_site_officer and u.nation_id is not None:  # implied: narrows the type
        return qs.filter(session__site__location__nation_id=u.nation_id)
    return qs.none()


def bookings_editable_by(user: Any) -> QuerySet[Booking]:
    u = as_user(user)
    return bookings_visible_to(u) if u and u.is_coordinator else Booking.objects.none()


def can_book(user: Any) -> bool:
    u = as_user(user)
    return bool(u and u.is_coordinator)


def can_record_attendance(user: Any, booking: Booking) -> bool:
    """Attendance and results of a booking: the training-site officer of the session's site (its
    own nation's sites) and coordinators; never the auditor, donors or the recipient."""
    u = as_user(user)
    if u is None:
        return False
    if u.is_coordinator:
        return True
    return bool(
        u.is_training_site_officer
        and u.nation_id is not None
        and booking.session.site.location.nation_id == u.nation_id
    )


def can_cancel_session(user: Any, session: Session) -> bool:
    """Cancelling a session (which rebooks its cohorts): whoever keeps the session."""
    u = as_user(user)
    return bool(
        u
        and session.status == Session.Status.PLANNED
        and sessions_editable_by(u).filter(pk=session.pk).exists()
    )


def session_bookings_visible_to(user: Any, session: Session) -> QuerySet[Booking]:
    """The cohorts booked on a session, as its page lists them."""
    return (
        bookings_visible_to(user)
        .filter(session=session)
        .select_related("cohort", "outcome_recorded_by")
        .order_by("cohort__reference")
    )


def runs_visible_to(user: Any) -> QuerySet[ScheduleRun]:
    """Runs plan every site and cohort: the cell's staff and auditors only."""
    u = as_user(user)
    if u is None or not u.sees_everything:
        return ScheduleRun.objects.none()
    return ScheduleRun.objects.select_related("created_by")


def can_see_schedule_runs(user: Any) -> bool:
    u = as_user(user)
    return bool(u and u.sees_everything)


def can_create_schedule_run(user: Any) -> bool:
    """Run the training scheduler (it books the cohorts free to plan): the cell's staff."""
    u = as_user(user)
    return bool(u and u.is_coordinator)


def schedule_run_outcomes(run: ScheduleRun) -> QuerySet[CohortOutcome]:
    """What the run found for each cohort: unscheduled and latest first."""
    return run.outcomes.select_related("cohort", "cohort__capability").order_by(
        "scheduled", "-lateness", "cohort__reference"
    )


def schedule_run_bookings(run: ScheduleRun) -> QuerySet[Booking]:
    return run.bookings.select_related(
        "cohort", "session", "session__course", "session__site__location"
    ).order_by("session__start_date", "cohort__reference", "pk")


@dataclass(frozen=True)
class SlipProposal:
    """A package's equipment and its crews' training apart: the crews finish more than the
    scheduler's tolerance before the equipment is expected (``early``), or after it arrives."""

    package_id: int
    package: str
    equipment_date: dt.date
    cohorts: tuple[str, ...]
    weeks: int
    early: bool


def schedule_proposals(user: Any, cohort_ids: set[int] | None = None) -> list[SlipProposal]:
    """Packages whose equipment date (as readiness last computed it) and crews' training have
    drifted apart, so that a schedule run would move the crews: for the cell only (the
    equipment's date is a delivery's timing, and the cell runs the scheduler). ``cohort_ids``
    narrows it to packages crewed by those cohorts (a session's page)."""
    from coordcell.readiness.models import CapabilityPackage

    u = as_user(user)
    if u is None or not u.sees_everything:
        return []
    tolerance = Parameters().max_early_gap or 0
    packages = {
        p.capability_id: p for p in CapabilityPackage.objects.order_by("reference") if p.components
    }
    finish: dict[int, dt.date] = {}
    capability_of: dict[int, int] = {}
    reference: dict[int, str] = {}
    open_cohorts: set[int] = set()
    for b in Booking.objects.filter(cohort__capability_id__in=list(packages)).select_related(
        "cohort", "session__course"
    ):
        end = b.session.end_date
        finish[b.cohort_id] = max(end, finish.get(b.cohort_id, end))
        capability_of[b.cohort_id] = b.cohort.capability_id
        reference[b.cohort_id] = b.cohort.reference
        if not b.completed:
            open_cohorts.add(b.cohort_id)
    early: dict[int, list[tuple[str, int]]] = defaultdict(list)
    late: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for cohort_id in sorted(open_cohorts, key=lambda c: reference[c]):
        package = packages[capability_of[cohort_id]]
        equipment = _day((package.components.get("end items") or {}).get("date"))
        if equipment is None:
            continue
        gap = (equipment - finish[cohort_id]).days // 7
        if gap > tolerance:
            early[package.pk].append((reference[cohort_id], gap))
        elif finish[cohort_id] > equipment:
            late[package.pk].append(
                (reference[cohort_id], -(-(finish[cohort_id] - equipment).days // 7))
            )
    out = []
    wanted = None
    if cohort_ids is not None:
        wanted = {capability_of[c] for c in cohort_ids if c in capability_of}
    for package in packages.values():
        if wanted is not None and package.capability_id not in wanted:
            continue
        equipment = _day((package.components.get("end items") or {}).get("date"))
        for rows, is_early in ((early[package.pk], True), (late[package.pk], False)):
            if rows and equipment is not None:
                out.append(
                    SlipProposal(
                        package.pk,
                        f"{package.reference} {package.name}",
                        equipment,
                        tuple(r for r, _w in rows),
                        max(w for _r, w in rows),
                        is_early,
                    )
                )
    return out


def _day(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
