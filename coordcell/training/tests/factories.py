"""Training data for tests: a course pair with a prerequisite, two host sites, sessions, cohorts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from coordcell.registry.models import Location
from coordcell.registry.tests.factories import LocationFactory
from coordcell.training.models import Cohort, CohortStep, Course, Session, TrainingSite, monday


def next_monday(weeks: int = 1) -> dt.date:
    return monday(timezone.now().date()) + dt.timedelta(weeks=weeks)


def make_courses(world: Any) -> tuple[Course, Course]:
    op = Course.objects.create(
        code="m109-op",
        name="PzH operator",
        system=world.category,
        duration_weeks=2,
        min_class_size=1,
        max_class_size=20,
    )
    mnt = Course.objects.create(
        code="m109-mnt",
        name="PzH maintainer",
        system=world.category,
        duration_weeks=2,
        min_class_size=1,
        max_class_size=20,
    )
    mnt.prerequisites.add(op)
    return op, mnt


def make_site(world: Any, nation: str, code: str, courses: list[Course], **kw: Any) -> TrainingSite:
    location = LocationFactory(
        code=code,
        name=code.title(),
        kind=Location.Kind.TRAINING_SITE,
        nation=world.nations[nation],
    )
    site = TrainingSite.objects.create(
        location=location,
        instructors=kw.get("instructors", 10),
        seats_per_week=kw.get("seats_per_week", 200),
    )
    site.courses.set(courses)
    return site


_n = iter(range(1, 10**6))


def make_session(course: Course, site: TrainingSite, start: dt.date, seats: int = 20) -> Session:
    return Session.objects.create(
        reference=f"TS-{next(_n):06d}", course=course, site=site, start_date=start, seats=seats
    )


def make_cohort(
    world: Any,
    path: list[Course],
    trainees: int = 8,
    release: dt.date | None = None,
    capability: Any = None,
) -> Cohort:
    cohort = Cohort.objects.create(
        reference=f"CO-{next(_n):06d}",
        unit=f"Battery {next(_n)}",
        trainees=trainees,
        capability=capability or world.capability,
        earliest_release=release or monday(timezone.now().date()),
    )
    for i, course in enumerate(path, 1):
        CohortStep.objects.create(cohort=cohort, course=course, position=i)
    return cohort
