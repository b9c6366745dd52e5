"""Cancelling a session rebooks its cohorts on other sessions of the course, earliest first, and
says which it could not rebook (proposing a scheduler run): no cohort is dropped silently."""

import datetime as dt

import pytest

from coordcell.audit.models import AuditEvent
from coordcell.registry.models import Role
from coordcell.training import execution, services
from coordcell.training.models import Booking, Session

from .factories import make_cohort, make_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def situation(world, training):
    """Two cohorts (8 and 12 trainees) on the British session; later British sessions of the
    course with 10 seats (week 3) and 10 seats (week 5); the German session is cancelled."""
    coordinator = world.users[Role.COORDINATOR]
    Session.objects.filter(pk=training.de_op.pk).update(status=Session.Status.CANCELLED)
    small = make_cohort(world, [training.op], trainees=8)
    large = make_cohort(world, [training.op], trainees=12)
    services.booking_create(actor=coordinator, cohort=small, session=training.gb_op)
    services.booking_create(actor=coordinator, cohort=large, session=training.gb_op)
    later = make_session(training.op, training.gb, training.start + dt.timedelta(weeks=5), seats=10)
    sooner = make_session(
        training.op, training.gb, training.start + dt.timedelta(weeks=3), seats=10
    )
    return small, large, sooner, later


def test_cancelling_rebooks_on_the_earliest_session_that_takes_the_cohort(
    world, training, situation
):
    small, large, sooner, later = situation
    result = execution.session_cancel(actor=world.users[Role.COORDINATOR], session=training.gb_op)
    assert [(r.cohort, r.session) for r in result.rebooked] == [(small, sooner)]
    assert [(u.cohort, u.course) for u in result.unbooked] == [(large, training.op)]
    assert result.proposes_schedule_run
    assert Booking.objects.get(cohort=small).session == sooner
    assert not Booking.objects.filter(cohort=large).exists()  # left unbooked, and said so
    training.gb_op.refresh_from_db()
    assert (training.gb_op.status, training.gb_op.booked_trainees) == ("cancelled", 0)
    sooner.refresh_from_db()
    assert sooner.booked_trainees == 8
    event = AuditEvent.objects.get(verb="session-cancel", target_id=str(training.gb_op.pk))
    assert event.data == {
        "rebooked": [[small.reference, sooner.reference]],
        "unbooked": [large.reference],
    }
    assert AuditEvent.objects.filter(verb="booking-release").count() == 2
    moved = AuditEvent.objects.get(
        verb="booking-create", data__cohort=small.reference, data__session=sooner.reference
    )
    assert moved.data["why"] == f"rebooked from {training.gb_op.reference}, cancelled"


def test_every_cohort_rebooked_proposes_no_run(world, training, situation):
    small, large, sooner, later = situation
    Session.objects.filter(pk=later.pk).update(seats=20)
    result = execution.session_cancel(actor=world.users[Role.COORDINATOR], session=training.gb_op)
    assert {(r.cohort, r.session) for r in result.rebooked} == {(small, sooner), (large, later)}
    assert result.unbooked == () and not result.proposes_schedule_run


def test_rebooking_respects_the_booking_rules(world, training):
    """The later session starts before the cohort's next course ends: it cannot take it."""
    coordinator = world.users[Role.COORDINATOR]
    cohort = make_cohort(world, [training.op, training.mnt], trainees=5)
    services.booking_create(actor=coordinator, cohort=cohort, session=training.gb_op)
    mnt = make_session(training.mnt, training.gb, training.start + dt.timedelta(weeks=2))
    services.booking_create(actor=coordinator, cohort=cohort, session=mnt)
    make_session(training.op, training.gb, training.start + dt.timedelta(weeks=1))  # overlaps mnt
    Session.objects.filter(pk=training.de_op.pk).update(status=Session.Status.CANCELLED)
    result = execution.session_cancel(actor=coordinator, session=training.gb_op)
    assert [u.cohort for u in result.unbooked] == [cohort]
    assert list(Booking.objects.filter(cohort=cohort).values_list("course__code", flat=True)) == [
        "m109-mnt"
    ]


def test_officer_cancels_its_session_and_reads_what_became_of_the_cohorts(
    world, training, situation, client_for
):
    """A cohort moved to another nation's site is named, its new session is not."""
    small, large, sooner, later = situation
    Session.objects.filter(pk=sooner.pk).update(seats=1)  # the British sessions take only 10
    german = make_session(training.op, training.de, training.start + dt.timedelta(weeks=2))
    client = client_for(world.users[Role.TRAINING_SITE_OFFICER])
    url = f"/training/sessions/{training.gb_op.pk}/cancel/"
    assert url in client.get(f"/training/sessions/{training.gb_op.pk}/").content.decode()
    assert client.post(url, {}).status_code == 400  # not confirmed: nothing happens
    assert Session.objects.get(pk=training.gb_op.pk).status == "planned"
    page = client.post(url, {"confirm": "on"})
    assert page.status_code == 200
    body = page.content.decode()
    assert Booking.objects.get(cohort=small).session == german
    assert Booking.objects.get(cohort=large).session == german
    assert small.reference in body and large.reference in body
    assert "another nation" in body and german.reference not in body
    assert "/training/runs/" not in body  # the scheduler is the cell's


def test_coordinator_is_proposed_a_scheduler_run_for_the_unbooked(
    world, training, situation, client_for
):
    small, large, sooner, later = situation
    client = client_for(world.users[Role.COORDINATOR])
    page = client.post(f"/training/sessions/{training.gb_op.pk}/cancel/", {"confirm": "on"})
    body = page.content.decode()
    assert f"{small.reference} moved to {sooner.reference}" in body
    assert f"{large.reference} is no longer booked on m109-op" in body
    assert 'href="/training/runs/"' in body


def test_another_sites_session_cannot_be_cancelled_by_the_officer(world, training, client_for):
    client = client_for(world.users[Role.TRAINING_SITE_OFFICER])
    url = f"/training/sessions/{training.de_op.pk}/cancel/"
    assert client.post(url, {"confirm": "on"}).status_code == 404
    assert Session.objects.get(pk=training.de_op.pk).status == "planned"


def test_the_edit_form_does_not_cancel_silently(world, training, situation, client_for):
    small, large, *_ = situation
    client = client_for(world.users[Role.COORDINATOR])
    s = training.gb_op
    client.post(
        f"/training/sessions/{s.pk}/edit/",
        {
            "course": s.course_id,
            "site": s.site_id,
            "start_date": s.start_date.isoformat(),
            "seats": s.seats,
            "status": "cancelled",
            "version": s.version,
        },
    )
    assert Session.objects.get(pk=s.pk).status == "planned"
    assert Booking.objects.filter(session=s).count() == 2


def test_officer_is_told_of_the_unbooked_without_other_sites_counts(
    world, training, situation, client_for
):
    small, large, *_ = situation
    client = client_for(world.users[Role.TRAINING_SITE_OFFICER])
    body = client.post(
        f"/training/sessions/{training.gb_op.pk}/cancel/", {"confirm": "on"}
    ).content.decode()
    assert f"{large.reference} is no longer booked on m109-op: no other planned session" in body
    assert "other planned sessions of the course" not in body
