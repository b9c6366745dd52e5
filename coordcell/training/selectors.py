"""Reads: the one access function per training object type, used by pages, API and exports.

- Coordinators and auditors see everything; only coordinators plan (sessions, bookings, runs).
- A training-site officer sees its own nation's sites, their sessions and bookings, and the
  cohorts booked there; another site's session answers 404. It keeps its sites' sessions.
- The recipient's liaison sees the courses, sites and sessions, and registers its cohorts.
- Donor liaisons see the course catalogue and the sites only.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet

from coordcell.registry.access import as_user

from .models import Booking, Cohort, CohortStep, Course, ScheduleRun, Session, TrainingSite


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


def runs_visible_to(user: Any) -> QuerySet[ScheduleRun]:
    """Runs plan every site and cohort: the cell's staff and auditors only."""
    u = as_user(user)
    if u is None or not u.sees_everything:
        return ScheduleRun.objects.none()
    return ScheduleRun.objects.select_related("created_by")
