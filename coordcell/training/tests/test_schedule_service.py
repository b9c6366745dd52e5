"""The schedule service maps the registers onto the scheduler and its answer back to bookings."""

import datetime as dt

import pytest
from django.core.management import call_command

from coordcell.allocation.models import AllocationLine, AllocationRun
from coordcell.pledges.tests.factories import PledgeFactory
from coordcell.registry.models import ItemCategory, Role
from coordcell.requirements.tests.factories import RequirementFactory
from coordcell.training import execution, scheduling, services
from coordcell.training.models import Blackout, Booking, ScheduleRun

from .factories import make_cohort, make_session

pytestmark = pytest.mark.django_db(transaction=True)


def _equipment_in_week(world, start, week):  # type: ignore[no-untyped-def]
    """A committed allocation line bringing the capability's system in planning week ``week``."""
    world.category.unit = ItemCategory.Unit.SYSTEM
    world.category.save()
    requirement = RequirementFactory(
        category=world.category,
        capability=world.capability,
        delivery_point=world.delivery_point,
        quantity=4,
    )
    pledge = PledgeFactory(
        donor=world.nations["DE"],
        origin=world.depots["DE"],
        category=world.category,
        quantity=4,
        available_from=start,
    )
    run = AllocationRun.objects.create(
        reference="A-00001", status=AllocationRun.Status.COMMITTED, planning_start=start
    )
    AllocationLine.objects.create(
        run=run,
        pledge=pledge,
        requirement=requirement,
        hub=world.hub,
        quantity=4,
        dispatch_week=0,
        hub_week=1,
        arrival_week=week,
    )


def test_the_instance_carries_weeks_seats_blackouts_and_the_equipment_target(world, training):
    start = training.start
    _equipment_in_week(world, start, 6)
    Blackout.objects.create(
        site=training.gb, starts=start + dt.timedelta(weeks=3), ends=start + dt.timedelta(weeks=3)
    )
    fixed = make_cohort(world, [training.op], trainees=5)
    services.booking_create(
        actor=world.users[Role.COORDINATOR], cohort=fixed, session=training.gb_op
    )
    free = make_cohort(
        world, [training.op, training.mnt], trainees=8, release=start + dt.timedelta(days=8)
    )

    mapped = scheduling.build_instance(planning_start=start, horizon_weeks=20)
    inst = mapped.instance

    assert [c.id for c in inst.cohorts] == [free.reference]  # booked by hand: stays as it is
    cohort = inst.cohorts[0]
    assert cohort.path == ("m109-op", "m109-mnt")
    assert cohort.release_week == 2  # released on the Tuesday of week 1: first Monday after
    assert cohort.target_week == 6  # the week its system arrives
    assert inst.course_by_id["m109-mnt"].prerequisites == ("m109-op",)
    sessions = inst.session_by_id
    assert sessions[training.gb_op.reference].seats == 15  # 20 less the 5 booked by hand
    assert sessions[training.gb_op.reference].start_week == 0
    assert inst.site_by_id["salisbury-plain"].blackout_weeks == frozenset({3})


def test_a_run_books_the_cohorts_and_explains_the_late_one(world, training):
    start = training.start
    _equipment_in_week(world, start, 2)
    late_session = make_session(training.op, training.de, start + dt.timedelta(weeks=5), seats=30)
    first = make_cohort(world, [training.op], trainees=12)
    second = make_cohort(world, [training.op], trainees=12)

    call_command(
        "schedule_training", "--start", start.isoformat(), "--horizon", "20", "--time-limit", "5"
    )

    run = ScheduleRun.objects.get()
    assert run.status == ScheduleRun.Status.DONE
    assert run.objective is not None and run.gap is not None
    booked = {b.cohort_id: b.session_id for b in Booking.objects.all()}
    assert set(booked) == {first.pk, second.pk}
    assert all(b.source == Booking.Source.SCHEDULER for b in Booking.objects.all())
    # Two sessions of 20 in week 0 take one cohort of 12 each: nobody needs the late session.
    assert late_session.pk not in booked.values()
    for session in (training.gb_op, training.de_op):
        session.refresh_from_db()
        assert session.booked_trainees == 12
    assert all(o.lateness == 0 for o in run.outcomes.all())


def test_a_late_cohort_keeps_its_binding_reason(world, training):
    start = training.start
    _equipment_in_week(world, start, 2)
    for session in (training.gb_op, training.de_op):
        session.seats = 10
        session.save()
    make_session(training.op, training.de, start + dt.timedelta(weeks=5), seats=30)
    cohort = make_cohort(world, [training.op], trainees=12)
    run = scheduling.run_create(
        actor=world.users[Role.COORDINATOR],
        planning_start=start,
        horizon_weeks=20,
        time_limit_s=5,
        enqueue=False,
    )
    run = scheduling.run_execute(run.pk)
    outcome = run.outcomes.get(cohort=cohort)
    assert outcome.lateness == 5
    assert "m109-op" in outcome.binding_reason or "PzH operator" in outcome.binding_reason
    assert Booking.objects.get(cohort=cohort).session.start_date == start + dt.timedelta(weeks=5)


def test_a_second_run_replaces_the_scheduler_bookings_not_the_hand_made_ones(world, training):
    start = training.start
    by_hand = make_cohort(world, [training.op], trainees=4)
    services.booking_create(
        actor=world.users[Role.COORDINATOR], cohort=by_hand, session=training.de_op
    )
    make_cohort(world, [training.op], trainees=6)
    for _ in range(2):
        run = scheduling.run_create(
            actor=world.users[Role.COORDINATOR],
            planning_start=start,
            horizon_weeks=12,
            time_limit_s=2,
            enqueue=False,
        )
        scheduling.run_execute(run.pk)
    assert Booking.objects.filter(source=Booking.Source.MANUAL).count() == 1
    assert Booking.objects.filter(source=Booking.Source.SCHEDULER).count() == 1
    total = sum(
        s.booked_trainees for s in (training.gb_op, training.de_op) if not s.refresh_from_db()
    )
    assert total == 10


def test_a_run_books_again_a_cohort_that_failed_its_course(world, training):
    import time_machine

    start = training.start
    cohort = make_cohort(world, [training.op], trainees=6)
    failed = services.booking_create(
        actor=world.users[Role.COORDINATOR], cohort=cohort, session=training.gb_op
    )
    again = make_session(training.op, training.gb, start + dt.timedelta(weeks=3))
    with time_machine.travel(dt.datetime.combine(start, dt.time(12)) + dt.timedelta(days=1)):
        execution.attendance_record(
            actor=world.users[Role.TRAINING_SITE_OFFICER], booking=failed, outcome="failed"
        )
        run = scheduling.run_create(
            actor=world.users[Role.COORDINATOR],
            planning_start=start + dt.timedelta(weeks=1),
            horizon_weeks=12,
            time_limit_s=2,
            enqueue=False,
        )
        scheduling.run_execute(run.pk)
    assert [b.session for b in Booking.objects.filter(cohort=cohort)] == [again]
    training.gb_op.refresh_from_db()
    assert training.gb_op.booked_trainees == 0
