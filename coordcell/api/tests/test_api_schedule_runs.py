"""Training scheduler runs through the API: the same selectors and actions as the pages."""

import datetime as dt

import pytest

from coordcell.audit.models import AuditEvent
from coordcell.registry.models import Role
from coordcell.training.models import Booking, ScheduleRun
from coordcell.training.tests.factories import (
    make_cohort,
    make_courses,
    make_session,
    make_site,
    next_monday,
)

pytestmark = pytest.mark.django_db(transaction=True)

RUNS = "/api/v1/schedule-runs"


@pytest.fixture
def cohort(world):
    """A cohort for one course that a British site gives next week."""
    op, _mnt = make_courses(world)
    site = make_site(world, "GB", "salisbury-plain", [op])
    make_session(op, site, next_monday(), seats=20)
    return make_cohort(world, [op], trainees=8)


def test_coordinator_queues_a_run_and_reads_its_outcomes_and_bookings(world, cohort, api_for):
    api = api_for(world.users[Role.COORDINATOR])
    answer = api.post(
        RUNS, {"planning_start": next_monday(0).isoformat(), "time_limit_s": 5}, format="json"
    )
    assert answer.status_code == 202, answer.content
    run = answer.json()
    assert answer["Location"] == run["url"] and run["horizon_weeks"] == 52
    polled = api.get(run["url"]).json()
    assert polled["status"] == "done" and polled["progress"] == 100
    assert polled["solver_status"] and polled["objective"] is not None

    outcomes = api.get(f"{RUNS}/{run['id']}/outcomes").json()
    assert outcomes["count"] == 1
    assert outcomes["results"][0]["cohort"] == cohort.reference
    assert outcomes["results"][0]["scheduled"] is True
    bookings = api.get(f"{RUNS}/{run['id']}/bookings").json()["results"]
    assert [(b["cohort"], b["course"], b["site"]) for b in bookings] == [
        (cohort.reference, "m109-op", "salisbury-plain")
    ]
    assert Booking.objects.get().run_id == run["id"]
    assert [r["reference"] for r in api.get(RUNS).json()["results"]] == [run["reference"]]
    assert api.get(RUNS, {"status": "failed"}).json()["results"] == []


def test_a_run_is_checked_by_the_pages_rules(world, api_for):
    api = api_for(world.users[Role.COORDINATOR])
    tuesday = next_monday() + dt.timedelta(days=1)
    answer = api.post(RUNS, {"planning_start": tuesday.isoformat()}, format="json")
    assert answer.status_code == 400
    assert [e["field"] for e in answer.json()["errors"]] == ["planning_start"]
    slow = api.post(RUNS, {"time_limit_s": 601}, format="json")
    assert [e["field"] for e in slow.json()["errors"]] == ["time_limit_s"]
    assert not ScheduleRun.objects.exists()


def test_auditor_reads_runs_and_queues_none(world, cohort, api_for):
    api_for(world.users[Role.COORDINATOR]).post(RUNS, {}, format="json")
    run = ScheduleRun.objects.get()
    auditor = api_for(world.users[Role.AUDITOR])
    for url in (RUNS, f"{RUNS}/{run.pk}", f"{RUNS}/{run.pk}/outcomes", f"{RUNS}/{run.pk}/bookings"):
        assert auditor.get(url).status_code == 200, url
    before = AuditEvent.objects.filter(verb="access-refused").count()
    answer = auditor.post(RUNS, {}, format="json")
    assert answer.status_code == 403 and answer.json()["type"].endswith("/forbidden")
    assert AuditEvent.objects.filter(verb="access-refused").count() == before + 1
    assert ScheduleRun.objects.count() == 1


@pytest.mark.parametrize(
    "role", [Role.DONOR_LIAISON, Role.RECIPIENT_LIAISON, Role.TRAINING_SITE_OFFICER]
)
def test_no_other_role_finds_a_run(world, cohort, api_for, role):
    api_for(world.users[Role.COORDINATOR]).post(RUNS, {}, format="json")
    run = ScheduleRun.objects.get()
    api = api_for(world.users[role])
    missing = api.get(f"{RUNS}/999999").json()
    for url in (RUNS, f"{RUNS}/{run.pk}", f"{RUNS}/{run.pk}/outcomes", f"{RUNS}/{run.pk}/bookings"):
        answer = api.get(url)
        assert answer.status_code == 404, url
        assert answer.json() == missing
    assert api.post(RUNS, {}, format="json").status_code == 404
    assert ScheduleRun.objects.count() == 1
