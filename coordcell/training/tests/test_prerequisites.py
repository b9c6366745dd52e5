"""Prerequisites are respected: on the cohort's path, on bookings, and in the catalogue."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from coordcell.registry.models import Role
from coordcell.training import services
from coordcell.training.models import Cohort

from .factories import make_cohort, make_session

pytestmark = pytest.mark.django_db


def test_a_path_that_puts_a_course_before_its_prerequisite_is_refused(world, training):
    cohort = Cohort(
        unit="1st Battery", trainees=8, capability=world.capability, earliest_release=training.start
    )
    with pytest.raises(ValidationError) as exc:
        services.cohort_save(
            actor=world.users[Role.RECIPIENT_LIAISON],
            cohort=cohort,
            path=[training.mnt, training.op],
        )
    assert "m109-mnt needs m109-op before it" in str(exc.value.message_dict["path"])


def test_a_prerequisite_already_passed_lets_the_path_skip_it(world, training):
    cohort = Cohort(
        unit="2nd Battery", trainees=8, capability=world.capability, earliest_release=training.start
    )
    saved = services.cohort_save(
        actor=world.users[Role.RECIPIENT_LIAISON],
        cohort=cohort,
        path=[training.mnt],
        qualifications=[training.op],
    )
    assert saved.reference.startswith("CO-")
    assert [c.code for c in saved.path()] == ["m109-mnt"]


def test_the_second_course_cannot_start_before_the_first_ends(world, training):
    coordinator = world.users[Role.COORDINATOR]
    cohort = make_cohort(world, [training.op, training.mnt])
    services.booking_create(actor=coordinator, cohort=cohort, session=training.gb_op)
    # The operator course runs two weeks: a maintainer session one week in overlaps it.
    too_early = make_session(training.mnt, training.gb, training.start + dt.timedelta(weeks=1))
    with pytest.raises(ValidationError) as exc:
        services.booking_create(actor=coordinator, cohort=cohort, session=too_early)
    assert "prerequisite m109-op is not completed" in " ".join(exc.value.messages)
    in_time = make_session(training.mnt, training.gb, training.start + dt.timedelta(weeks=2))
    services.booking_create(actor=coordinator, cohort=cohort, session=in_time)
    assert cohort.bookings.count() == 2


def test_a_course_needing_an_unbooked_prerequisite_is_refused(world, training):
    cohort = make_cohort(world, [training.op, training.mnt])
    later = make_session(training.mnt, training.gb, training.start + dt.timedelta(weeks=4))
    with pytest.raises(ValidationError) as exc:
        services.booking_create(actor=world.users[Role.COORDINATOR], cohort=cohort, session=later)
    assert "m109-op" in " ".join(exc.value.messages)


def test_prerequisites_cannot_go_round_in_a_circle(world, training):
    with pytest.raises(ValidationError) as exc:
        services.course_save(
            actor=world.users[Role.COORDINATOR],
            course=training.op,
            prerequisites=[training.mnt],
        )
    assert "prerequisites" in exc.value.message_dict


def test_a_cohort_is_not_booked_before_its_release(world, training):
    cohort = make_cohort(world, [training.op], release=training.start + dt.timedelta(days=3))
    with pytest.raises(ValidationError) as exc:
        services.booking_create(
            actor=world.users[Role.COORDINATOR], cohort=cohort, session=training.gb_op
        )
    assert "before the cohort is released" in " ".join(exc.value.messages)
