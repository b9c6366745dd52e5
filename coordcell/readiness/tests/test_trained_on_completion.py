"""A crew counts as trained only when the site recorded it completed every course of its path:
booked is planned (an expected date, the package not shown ready), failed or absent is not
trained and needs booking again. An equipment slip away from the crews proposes a schedule run."""

import datetime as dt

import pytest
import time_machine

from coordcell.readiness.wording import Wording
from coordcell.registry.models import Role
from coordcell.training import execution
from coordcell.training import selectors as training_selectors
from coordcell.training import services as training_services
from coordcell.training.models import Booking
from coordcell.training.tests.factories import make_cohort, make_session

pytestmark = pytest.mark.django_db
CELL = Wording.for_the_cell()


def _record(world, package, outcome, commit):  # type: ignore[no-untyped-def]
    booking = Booking.objects.get(cohort=package.cohort)
    with time_machine.travel(dt.datetime.combine(package.start, dt.time(12))), commit(execute=True):
        execution.attendance_record(
            actor=world.users[Role.TRAINING_SITE_OFFICER], booking=booking, outcome=outcome
        )
    package.package.refresh_from_db()
    return package.package


def test_a_booked_crew_is_planned_not_trained(package):
    pkg = package.package
    assert pkg.ready_on == package.week(3)  # the finish date still gives the expected date
    assert pkg.components["crews"]["fact"]["completed"] is False
    assert not CELL.crews_trained(pkg)
    labels = [s.label for s in CELL.critical_path(pkg)]
    assert labels[-1] == "PzH 2000 battery expected ready (crews not yet recorded trained)"


def test_a_completed_crew_is_trained(world, package, django_capture_on_commit_callbacks):
    pkg = _record(world, package, "completed", django_capture_on_commit_callbacks)
    assert pkg.ready_on == package.week(3)
    assert CELL.crews_trained(pkg)
    crews = {c.name: c for c in CELL.components(pkg)}["crews"]
    assert crews.text.startswith(f"cohort {package.cohort.reference} trained")
    assert [s.label for s in CELL.critical_path(pkg)][-1] == "PzH 2000 battery ready"


@pytest.mark.parametrize(
    ("outcome", "words"), [("failed", "failed"), ("absent", "was absent from")]
)
def test_a_failed_or_absent_crew_needs_booking_again(
    world, package, django_capture_on_commit_callbacks, outcome, words
):
    pkg = _record(world, package, outcome, django_capture_on_commit_callbacks)
    assert pkg.ready_on is None  # not trained: no date until booked again
    assert pkg.bottleneck["kind"] == "crew_needs_rebooking"
    assert CELL.bottleneck(pkg) == (
        f"cohort {package.cohort.reference} ({package.cohort.unit}) {words} course m109-op at "
        f"{package.site} ({package.session.reference}): not trained, needs booking again"
    )
    # The British officer reads it of its own site's cohort; a donor reads no cohort or session.
    officer = Wording.for_page(world.users[Role.TRAINING_SITE_OFFICER], [pkg])
    assert package.cohort.reference in officer.bottleneck(pkg)
    donor = Wording.for_page(world.users[Role.DONOR_LIAISON], [pkg])
    assert donor.bottleneck(pkg).startswith(f"a cohort {words} course m109-op")
    assert package.session.reference not in donor.bottleneck(pkg)
    # Booked again: planned again, with the new session's finish as the expected date.
    again = make_session(package.op, package.site, package.week(4))
    with django_capture_on_commit_callbacks(execute=True):
        training_services.booking_create(
            actor=world.users[Role.COORDINATOR], cohort=package.cohort, session=again
        )
    pkg.refresh_from_db()
    assert pkg.ready_on == package.week(6)
    assert pkg.bottleneck["kind"] == "crew_training"
    assert pkg.bottleneck["completed"] is False


def test_the_readiness_page_says_expected_until_the_crews_are_trained(
    world, package, client_for, django_capture_on_commit_callbacks
):
    url = f"/readiness/{package.package.pk}/"
    client = client_for(world.users[Role.RECIPIENT_LIAISON])
    assert "not ready until its crews are recorded trained" in client.get(url).content.decode()
    _record(world, package, "completed", django_capture_on_commit_callbacks)
    client = client_for(world.users[Role.RECIPIENT_LIAISON])
    assert "not ready until its crews are recorded trained" not in client.get(url).content.decode()


def test_crews_trained_after_the_equipment_arrives_propose_a_schedule_run(
    world, package, client_for, django_capture_on_commit_callbacks
):
    coordinator = world.users[Role.COORDINATOR]
    late = make_session(package.op, package.site, package.week(6))
    cohort = make_cohort(world, [package.op], trainees=6)
    with django_capture_on_commit_callbacks(execute=True):
        training_services.booking_create(actor=coordinator, cohort=cohort, session=late)
    proposals = training_selectors.schedule_proposals(coordinator)
    assert [(p.cohorts, p.weeks, p.early, p.equipment_date) for p in proposals] == [
        ((cohort.reference,), 5, False, package.week(3))
    ]
    page = client_for(coordinator).get("/training/runs/").content.decode()
    assert f"cohorts {cohort.reference} finish training up to 5 weeks after it" in page
    session_page = client_for(coordinator).get(f"/training/sessions/{late.pk}/attendance/")
    assert "Propose a schedule run" in session_page.content.decode()
    # A delivery's date is the cell's and the donor's: the site officer is proposed nothing.
    officer = world.users[Role.TRAINING_SITE_OFFICER]
    assert training_selectors.schedule_proposals(officer) == []
    officer_page = client_for(officer).get(f"/training/sessions/{late.pk}/attendance/")
    assert "Propose a schedule run" not in officer_page.content.decode()


def test_crews_far_ahead_of_their_equipment_propose_a_schedule_run(
    world, package, django_capture_on_commit_callbacks
):
    """The gun line's arrival slips 20 weeks: the crew, trained by week 2, is 21 weeks early
    (beyond the scheduler's 12 weeks of tolerance)."""
    from coordcell.allocation.models import AllocationLine
    from coordcell.readiness import services

    AllocationLine.objects.filter(pk=package.gun_line.pk).update(arrival_week=23)
    services.recompute_for_requirements([package.guns.pk], cause="slip")
    proposals = training_selectors.schedule_proposals(world.users[Role.COORDINATOR])
    assert [(p.cohorts, p.weeks, p.early) for p in proposals] == [
        ((package.cohort.reference,), 21, True)
    ]
