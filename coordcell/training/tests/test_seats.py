"""Seats are never over-booked: one at a time, and when bookings race each other."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, close_old_connections, connection
from django.db.models import Sum

from coordcell.registry.models import Role
from coordcell.training import services
from coordcell.training.models import Booking, Session

from .factories import make_cohort, make_session


@pytest.mark.django_db
def test_a_cohort_that_does_not_fit_is_refused_with_the_free_seats(world, training):
    coordinator = world.users[Role.COORDINATOR]
    services.booking_create(
        actor=coordinator,
        cohort=make_cohort(world, [training.op], trainees=15),
        session=training.gb_op,
    )
    with pytest.raises(ValidationError) as exc:
        services.booking_create(
            actor=coordinator,
            cohort=make_cohort(world, [training.op], trainees=6),
            session=training.gb_op,
        )
    assert "5 free seats of 20" in " ".join(exc.value.messages)
    training.gb_op.refresh_from_db()
    assert training.gb_op.booked_trainees == 15


@pytest.mark.django_db
def test_the_database_refuses_more_trainees_than_seats(world, training):
    with pytest.raises(IntegrityError):
        Session.objects.filter(pk=training.gb_op.pk).update(booked_trainees=21)


@pytest.mark.django_db
def test_seats_cannot_be_cut_below_the_trainees_booked(world, training):
    coordinator = world.users[Role.COORDINATOR]
    services.booking_create(
        actor=coordinator,
        cohort=make_cohort(world, [training.op], trainees=12),
        session=training.gb_op,
    )
    session = Session.objects.get(pk=training.gb_op.pk)
    session.seats = 10
    with pytest.raises(ValidationError) as exc:
        services.session_save(actor=coordinator, session=session)
    assert "seats" in exc.value.message_dict


@pytest.mark.django_db
def test_the_site_weekly_limit_counts_every_session_running(world, training):
    coordinator = world.users[Role.COORDINATOR]
    training.gb.seats_per_week = 25
    training.gb.save()
    services.booking_create(
        actor=coordinator,
        cohort=make_cohort(world, [training.op], trainees=15),
        session=training.gb_op,
    )
    other = make_session(training.op, training.gb, training.start, seats=20)
    with pytest.raises(ValidationError) as exc:
        services.booking_create(
            actor=coordinator,
            cohort=make_cohort(world, [training.op], trainees=12),
            session=other,
        )
    assert "holds 25 trainees a week" in " ".join(exc.value.messages)


@pytest.mark.django_db(transaction=True)
def test_concurrent_bookings_never_over_book_a_session(world, training):
    coordinator = world.users[Role.COORDINATOR]
    session = make_session(training.op, training.de, training.start, seats=20)
    cohorts = [make_cohort(world, [training.op], trainees=6) for _ in range(8)]
    barrier = threading.Barrier(len(cohorts))
    outcomes: list[str] = []

    def book(cohort):  # type: ignore[no-untyped-def]
        try:
            barrier.wait()
            for _attempt in range(50):
                try:
                    services.booking_create(actor=coordinator, cohort=cohort, session=session)
                    outcomes.append("booked")
                    return
                except ValidationError:
                    outcomes.append("refused")
                    return
                except OperationalError:
                    # SQLite's shared in-memory test database answers "locked" instead of
                    # waiting: the client tries again, as a user would.
                    threading.Event().wait(0.02)
            outcomes.append("gave up")
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=book, args=(c,)) for c in cohorts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    session.refresh_from_db()
    booked = Booking.objects.filter(session=session).aggregate(n=Sum("cohort__trainees"))["n"]
    assert outcomes.count("booked") == 3  # 3 x 6 = 18 of 20 seats; a fourth cohort does not fit
    assert outcomes.count("refused") == 5
    assert session.booked_trainees == booked == 18
