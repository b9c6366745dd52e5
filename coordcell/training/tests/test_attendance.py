"""A session's site records each booked cohort's attendance and result (completed, failed,
absent): who may, when, what is checked, and the page it does it on."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from coordcell.audit.models import AuditEvent
from coordcell.registry.models import Role
from coordcell.training import execution, services
from coordcell.training.models import Booking

from .factories import make_cohort

pytestmark = pytest.mark.django_db


@pytest.fixture
def booked(world, training):
    """A cohort of 8 booked at the British site, another at the German one."""
    coordinator = world.users[Role.COORDINATOR]
    at_gb = make_cohort(world, [training.op])
    at_de = make_cohort(world, [training.op])
    gb = services.booking_create(actor=coordinator, cohort=at_gb, session=training.gb_op)
    de = services.booking_create(actor=coordinator, cohort=at_de, session=training.de_op)
    return gb, de


def _started(training):
    """A moment on the sessions' second day."""
    return time_machine.travel(dt.datetime.combine(training.start, dt.time(12)) + dt.timedelta(1))


def test_site_officer_records_completion_of_its_sites_cohort(world, training, booked):
    gb, _de = booked
    officer = world.users[Role.TRAINING_SITE_OFFICER]  # acts for the UK
    with _started(training):
        execution.attendance_record(
            actor=officer, booking=gb, outcome="completed", attended=7, note="one sick"
        )
    gb.refresh_from_db()
    assert (gb.outcome, gb.attended, gb.outcome_note) == ("completed", 7, "one sick")
    assert gb.outcome_recorded_by == officer and gb.outcome_recorded_at is not None
    event = AuditEvent.objects.filter(verb="attendance-record", target_id=str(gb.pk)).get()
    assert event.actor_name == officer.username
    assert event.data["changes"]["outcome"] == ["", "completed"]


def test_results_are_refused_before_the_session_starts(world, training, booked):
    gb, _de = booked
    with pytest.raises(ValidationError) as refused:
        execution.attendance_record(
            actor=world.users[Role.TRAINING_SITE_OFFICER], booking=gb, outcome="completed"
        )
    assert "once it has started" in str(refused.value)
    gb.refresh_from_db()
    assert gb.outcome == ""


@pytest.mark.parametrize(
    "role", [Role.AUDITOR, Role.RECIPIENT_LIAISON, Role.DONOR_LIAISON, "officer-of-another-site"]
)
def test_only_the_sites_officer_and_coordinators_record_results(world, training, booked, role):
    gb, de = booked
    booking = de if role == "officer-of-another-site" else gb
    if role == "officer-of-another-site":  # the British officer, on the German site's booking
        user = world.users[Role.TRAINING_SITE_OFFICER]
    else:
        user = world.users[role]
    with _started(training), pytest.raises(PermissionDenied):
        execution.attendance_record(actor=user, booking=booking, outcome="failed")
    assert Booking.objects.get(pk=booking.pk).outcome == ""


def test_coordinator_records_results_at_any_site(world, training, booked):
    _gb, de = booked
    with _started(training):
        execution.attendance_record(
            actor=world.users[Role.COORDINATOR], booking=de, outcome="absent"
        )
    assert Booking.objects.get(pk=de.pk).outcome == "absent"


@pytest.mark.parametrize(
    ("outcome", "attended", "field", "words"),
    [
        ("completed", 9, "attended", "the cohort has 8 trainees"),
        ("completed", 0, "attended", "record the cohort as absent"),
        ("passed", None, "outcome", "completed, failed or absent"),
    ],
)
def test_bad_results_are_refused_with_the_field_named(
    world, training, booked, outcome, attended, field, words
):
    gb, _de = booked
    with _started(training), pytest.raises(ValidationError) as refused:
        execution.attendance_record(
            actor=world.users[Role.COORDINATOR], booking=gb, outcome=outcome, attended=attended
        )
    assert words in " ".join(refused.value.message_dict[field])
    assert Booking.objects.get(pk=gb.pk).outcome == ""


def test_officer_records_results_on_the_session_page(world, training, booked, client_for):
    gb, de = booked
    url = f"/training/sessions/{training.gb_op.pk}/attendance/"
    with _started(training):  # logged in on the day (a session cookie from before expires)
        client = client_for(world.users[Role.TRAINING_SITE_OFFICER])
        detail = client.get(f"/training/sessions/{training.gb_op.pk}/").content.decode()
        assert url in detail  # the session's page links to it
        page = client.get(url).content.decode()
        assert gb.cohort.reference in page and f'name="b{gb.pk}-outcome"' in page
        assert de.cohort.reference not in page
        form = {
            "booking": gb.pk,
            f"b{gb.pk}-outcome": "failed",
            f"b{gb.pk}-attended": "6",
            f"b{gb.pk}-note": "range closed two days",
        }
        response = client.post(url, form)
        assert response.status_code == 302
        assert Booking.objects.get(pk=gb.pk).outcome == "failed"
        assert "Failed" in client.get(url).content.decode()
        # Another site's session is not found, its page and its results alike.
        other = f"/training/sessions/{training.de_op.pk}/attendance/"
        assert client.get(other).status_code == 404
        assert client.post(other, {"booking": de.pk}).status_code == 404


def test_a_refused_result_keeps_what_was_typed(world, training, booked, client_for):
    gb, _de = booked
    url = f"/training/sessions/{training.gb_op.pk}/attendance/"
    with _started(training):
        client = client_for(world.users[Role.TRAINING_SITE_OFFICER])
        response = client.post(
            url,
            {
                "booking": gb.pk,
                f"b{gb.pk}-outcome": "completed",
                f"b{gb.pk}-attended": "30",
                f"b{gb.pk}-note": "my careful note",
            },
        )
    assert response.status_code == 400
    body = response.content.decode()
    assert "the cohort has 8 trainees" in body and "my careful note" in body


def test_auditor_reads_results_but_has_no_form(world, training, booked, client_for):
    gb, _de = booked
    url = f"/training/sessions/{training.gb_op.pk}/attendance/"
    with _started(training):
        client = client_for(world.users[Role.AUDITOR])
        page = client.get(url)
        assert page.status_code == 200 and gb.cohort.reference in page.content.decode()
        assert f'name="b{gb.pk}-outcome"' not in page.content.decode()
        refused = client.post(url, {"booking": gb.pk, f"b{gb.pk}-outcome": "completed"})
    assert refused.status_code == 404  # refused like anything out of its scope (audited)
    assert Booking.objects.get(pk=gb.pk).outcome == ""


def test_a_failed_course_can_be_booked_again_replacing_the_failed_booking(world, training, booked):
    from .factories import make_session

    gb, _de = booked
    coordinator = world.users[Role.COORDINATOR]
    with _started(training):
        execution.attendance_record(actor=coordinator, booking=gb, outcome="failed")
        again = make_session(training.op, training.gb, training.start + dt.timedelta(weeks=4))
        rebooked = services.booking_create(actor=coordinator, cohort=gb.cohort, session=again)
    assert list(Booking.objects.filter(cohort=gb.cohort)) == [rebooked]
    assert AuditEvent.objects.filter(verb="booking-delete", target_id=str(gb.pk)).exists()
