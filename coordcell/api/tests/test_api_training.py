"""Training through the API: the registers as the pages show them to each role, a booking's
attendance and a session's cancellation through the same actions as the pages."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
import time_machine

from coordcell.audit.models import AuditEvent
from coordcell.registry.models import Role
from coordcell.training import services
from coordcell.training.models import Booking, Session
from coordcell.training.tests.factories import (
    make_cohort,
    make_courses,
    make_session,
    make_site,
    next_monday,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def training(world):
    """A British and a German site; a cohort booked on each site's session of the course."""
    op, mnt = make_courses(world)
    gb = make_site(world, "GB", "salisbury-plain", [op, mnt])
    de = make_site(world, "DE", "grafenwoehr", [op, mnt])
    start = next_monday()
    gb_op = make_session(op, gb, start, seats=20)
    de_op = make_session(op, de, start, seats=20)
    coordinator = world.users[Role.COORDINATOR]
    at_gb = make_cohort(world, [op], trainees=8)
    at_de = make_cohort(world, [op], trainees=8)
    return SimpleNamespace(
        op=op,
        gb=gb,
        de=de,
        start=start,
        gb_op=gb_op,
        de_op=de_op,
        at_gb=at_gb,
        at_de=at_de,
        gb_booking=services.booking_create(actor=coordinator, cohort=at_gb, session=gb_op),
        de_booking=services.booking_create(actor=coordinator, cohort=at_de, session=de_op),
    )


def _started(training):
    return time_machine.travel(dt.datetime.combine(training.start, dt.time(12)) + dt.timedelta(1))


def _refs(api, url, key="reference"):
    answer = api.get(url)
    assert answer.status_code == 200, answer.json()
    return sorted(row[key] for row in answer.json()["results"])


def test_the_site_officer_reads_only_its_sites_sessions_and_bookings(world, training, api_for):
    officer = api_for(world.users[Role.TRAINING_SITE_OFFICER])  # acts for the UK
    assert _refs(officer, "/api/v1/training-sessions") == [training.gb_op.reference]
    assert [b["cohort"] for b in officer.get("/api/v1/bookings").json()["results"]] == [
        training.at_gb.reference
    ]
    assert officer.get(f"/api/v1/training-sessions/{training.de_op.pk}").status_code == 404
    assert officer.get(f"/api/v1/bookings/{training.de_booking.pk}").status_code == 404
    assert AuditEvent.objects.filter(verb="access-refused").count() == 2


def test_the_coordinator_reads_every_session_with_its_site_and_course(world, training, api_for):
    api = api_for(world.users[Role.COORDINATOR])
    assert _refs(api, "/api/v1/training-sessions") == sorted(
        [training.gb_op.reference, training.de_op.reference]
    )
    session = api.get(f"/api/v1/training-sessions/{training.gb_op.pk}").json()
    assert (session["course"], session["site"], session["booked_trainees"]) == (
        training.op.code,
        "salisbury-plain",
        8,
    )
    cohort = api.get(f"/api/v1/cohorts/{training.at_gb.pk}").json()
    assert cohort["path"] == training.op.code and cohort["trainees"] == 8
    course = api.get(f"/api/v1/courses/{training.op.pk}").json()
    assert course["code"] == training.op.code and "version" in course
    assert _refs(api, "/api/v1/training-sites", "location") == ["grafenwoehr", "salisbury-plain"]


@pytest.mark.parametrize("role", list(Role))
def test_each_role_lists_what_the_pages_list(world, training, api_for, client, role):
    """The API lists the rows the register pages list, role by role."""
    from coordcell.training import selectors

    user = world.users[role]
    api = api_for(user)
    for url, visible in (
        ("/api/v1/training-sessions", selectors.sessions_visible_to),
        ("/api/v1/cohorts", selectors.cohorts_visible_to),
        ("/api/v1/bookings", selectors.bookings_visible_to),
        ("/api/v1/courses", selectors.courses_visible_to),
        ("/api/v1/training-sites", selectors.sites_visible_to),
    ):
        answer = api.get(url)
        assert answer.status_code == 200, (url, answer.json())
        ids = sorted(row["id"] for row in answer.json()["results"])
        assert ids == sorted(visible(user).values_list("pk", flat=True)), url


def test_a_coordinator_creates_a_cohort_and_books_it(world, training, api_for):
    api = api_for(world.users[Role.COORDINATOR])
    created = api.post(
        "/api/v1/cohorts",
        {
            "unit": "1st battalion",
            "trainees": 6,
            "capability": world.capability.code,
            "earliest_release": training.start.isoformat(),
            "path": training.op.code,
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    cohort = created.json()
    booked = api.post(
        "/api/v1/bookings",
        {"cohort": cohort["reference"], "session": training.gb_op.reference},
        format="json",
    )
    assert booked.status_code == 201, booked.json()
    assert booked.json()["source"] == "manual"
    session = api.get(f"/api/v1/training-sessions/{training.gb_op.pk}").json()
    assert session["booked_trainees"] == 14


def test_a_stale_session_version_answers_409(world, training, api_for):
    api = api_for(world.users[Role.COORDINATOR])
    url = f"/api/v1/training-sessions/{training.gb_op.pk}"
    read = api.get(url).json()
    assert (
        api.patch(url, {"seats": 25, "version": read["version"]}, format="json").status_code == 200
    )
    stale = api.patch(url, {"seats": 30, "version": read["version"]}, format="json")
    assert stale.status_code == 409
    assert stale["Content-Type"].startswith("application/problem+json")


def test_the_sites_officer_records_attendance(world, training, api_for):
    officer = api_for(world.users[Role.TRAINING_SITE_OFFICER])
    url = f"/api/v1/bookings/{training.gb_booking.pk}/attendance"
    with _started(training):
        answer = officer.post(url, {"outcome": "completed", "attended": 7}, format="json")
    assert answer.status_code == 200, answer.json()
    assert (answer.json()["outcome"], answer.json()["attended"]) == ("completed", 7)
    assert AuditEvent.objects.filter(
        verb="attendance-record", target_id=str(training.gb_booking.pk)
    ).exists()


def test_attendance_errors_are_problems(world, training, api_for):
    officer = api_for(world.users[Role.TRAINING_SITE_OFFICER])
    url = f"/api/v1/bookings/{training.gb_booking.pk}/attendance"
    early = officer.post(url, {"outcome": "completed"}, format="json")
    assert early.status_code == 400
    assert "once it has started" in early.json()["errors"][0]["detail"]
    with _started(training):
        too_many = officer.post(url, {"outcome": "completed", "attended": 9}, format="json")
        wrong = officer.post(url, {"outcome": "maybe"}, format="json")
    assert too_many.status_code == 400 and wrong.status_code == 400
    assert Booking.objects.get(pk=training.gb_booking.pk).outcome == ""


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.RECIPIENT_LIAISON, Role.DONOR_LIAISON])
def test_other_roles_do_not_record_attendance(world, training, api_for, role):
    api = api_for(world.users[role])
    with _started(training):
        answer = api.post(
            f"/api/v1/bookings/{training.gb_booking.pk}/attendance",
            {"outcome": "failed"},
            format="json",
        )
    assert answer.status_code in (403, 404)
    assert Booking.objects.get(pk=training.gb_booking.pk).outcome == ""


def test_the_officer_of_another_site_gets_404_on_its_booking(world, training, api_for):
    officer = api_for(world.users[Role.TRAINING_SITE_OFFICER])
    with _started(training):
        answer = officer.post(
            f"/api/v1/bookings/{training.de_booking.pk}/attendance",
            {"outcome": "failed"},
            format="json",
        )
    assert answer.status_code == 404


def test_cancelling_a_session_answers_the_rebooked_and_the_unbooked(world, training, api_for):
    Session.objects.filter(pk=training.de_op.pk).update(status=Session.Status.CANCELLED)
    later = make_session(training.op, training.gb, training.start + dt.timedelta(weeks=3), seats=5)
    other = make_cohort(world, [training.op], trainees=4)
    services.booking_create(
        actor=world.users[Role.COORDINATOR], cohort=other, session=training.gb_op
    )
    api = api_for(world.users[Role.COORDINATOR])
    version = api.get(f"/api/v1/training-sessions/{training.gb_op.pk}").json()["version"]
    answer = api.post(
        f"/api/v1/training-sessions/{training.gb_op.pk}/cancel", {"version": version}, format="json"
    )
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert body["session"]["status"] == "cancelled"
    assert body["rebooked"] == [{"cohort": other.reference, "session": later.reference}]
    assert body["unbooked"] == [
        {"cohort": training.at_gb.reference, "course": training.op.code, "candidates": 1}
    ]
    assert body["proposes_schedule_run"] is True
    again = api.post(f"/api/v1/training-sessions/{training.gb_op.pk}/cancel", {}, format="json")
    assert again.status_code == 409


def test_a_stale_version_does_not_cancel(world, training, api_for):
    api = api_for(world.users[Role.COORDINATOR])
    answer = api.post(
        f"/api/v1/training-sessions/{training.gb_op.pk}/cancel", {"version": 99}, format="json"
    )
    assert answer.status_code == 409
    assert Session.objects.get(pk=training.gb_op.pk).status == "planned"


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.RECIPIENT_LIAISON, Role.DONOR_LIAISON])
def test_other_roles_do_not_cancel(world, training, api_for, role):
    answer = api_for(world.users[role]).post(
        f"/api/v1/training-sessions/{training.gb_op.pk}/cancel", {}, format="json"
    )
    assert answer.status_code in (403, 404)
    assert Session.objects.get(pk=training.gb_op.pk).status == "planned"


def test_the_change_feed_links_training_records_to_their_resources(world, training, api_for):
    officer = api_for(world.users[Role.TRAINING_SITE_OFFICER])
    changes = officer.get("/api/v1/changes?page_size=1000").json()["results"]
    urls = {(c["type"], c["id"]): c["url"] for c in changes}
    booking = urls[("booking", training.gb_booking.pk)]
    assert booking.endswith(f"/api/v1/bookings/{training.gb_booking.pk}")
    assert officer.get(booking).status_code == 200
    # The German site's booking is not the British officer's to see: not in its feed.
    assert ("booking", training.de_booking.pk) not in urls
    coordinator = api_for(world.users[Role.COORDINATOR])
    changes = coordinator.get("/api/v1/changes?page_size=1000").json()["results"]
    for change in changes:
        if change["type"] in ("course", "training-site", "session", "cohort", "booking"):
            assert change["url"], change
            assert coordinator.get(change["url"]).status_code == 200, change
