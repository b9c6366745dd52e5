"""Who sees and changes what in training (one test per role and object endpoint)."""

import pytest

from coordcell.registry.models import Role
from coordcell.training import services
from coordcell.training.models import Cohort, Session

from .factories import make_cohort

pytestmark = pytest.mark.django_db


@pytest.fixture
def booked(world, training):
    """A cohort booked at the British site, another at the German one."""
    coordinator = world.users[Role.COORDINATOR]
    at_gb = make_cohort(world, [training.op])
    at_de = make_cohort(world, [training.op])
    services.booking_create(actor=coordinator, cohort=at_gb, session=training.gb_op)
    services.booking_create(actor=coordinator, cohort=at_de, session=training.de_op)
    return at_gb, at_de


def test_training_officer_sees_only_its_sites_sessions(world, training, client_for):
    client = client_for(world.users[Role.TRAINING_SITE_OFFICER])  # acts for the UK
    page = client.get("/training/sessions/")
    assert training.gb_op.reference in page.content.decode()
    assert training.de_op.reference not in page.content.decode()
    assert client.get(f"/training/sessions/{training.gb_op.pk}/").status_code == 200
    assert client.get(f"/training/sessions/{training.de_op.pk}/").status_code == 404
    assert client.get(f"/training/sessions/{training.de_op.pk}/edit/").status_code == 404


def test_training_officer_sees_the_cohorts_booked_at_its_sites_only(
    world, training, booked, client_for
):
    at_gb, at_de = booked
    client = client_for(world.users[Role.TRAINING_SITE_OFFICER])
    assert client.get(f"/training/cohorts/{at_gb.pk}/").status_code == 200
    assert client.get(f"/training/cohorts/{at_de.pk}/").status_code == 404
    session_page = client.get(f"/training/sessions/{training.gb_op.pk}/").content.decode()
    assert at_gb.reference in session_page
    bookings = client.get("/training/bookings/").content.decode()
    assert at_gb.reference in bookings and at_de.reference not in bookings


def test_training_officer_keeps_its_own_sessions_not_others(world, training, client_for):
    client = client_for(world.users[Role.TRAINING_SITE_OFFICER])
    response = client.post(
        "/training/sessions/new/",
        {
            "course": training.op.pk,
            "site": training.de.pk,
            "start_date": training.start.isoformat(),
            "seats": 12,
        },
    )
    assert response.status_code == 400  # the German site is not a choice for a British officer
    response = client.post(
        "/training/sessions/new/",
        {
            "course": training.op.pk,
            "site": training.gb.pk,
            "start_date": training.start.isoformat(),
            "seats": 12,
        },
    )
    assert response.status_code == 302
    assert Session.objects.filter(site=training.gb, seats=12).exists()


def test_recipient_liaison_registers_a_cohort(world, training, client_for):
    client = client_for(world.users[Role.RECIPIENT_LIAISON])
    response = client.post(
        "/training/cohorts/new/",
        {
            "unit": "43rd Artillery Brigade, 1st Battery",
            "trainees": 16,
            "capability": world.capability.pk,
            "earliest_release": training.start.isoformat(),
            "priority": 2,
            "path": "m109-op, m109-mnt",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    cohort = Cohort.objects.get(unit__startswith="43rd")
    assert cohort.path_text() == "m109-op → m109-mnt"


def test_a_path_in_the_wrong_order_is_refused_on_the_form(world, training, client_for):
    client = client_for(world.users[Role.RECIPIENT_LIAISON])
    response = client.post(
        "/training/cohorts/new/",
        {
            "unit": "2nd Battery",
            "trainees": 16,
            "capability": world.capability.pk,
            "earliest_release": training.start.isoformat(),
            "priority": 2,
            "path": "m109-mnt, m109-op",
        },
    )
    assert response.status_code == 400
    assert "m109-mnt needs m109-op before it" in response.content.decode()


def test_only_coordinators_book(world, training, booked, client_for):
    cohort = make_cohort(world, [training.op])
    for role in (Role.RECIPIENT_LIAISON, Role.TRAINING_SITE_OFFICER, Role.AUDITOR):
        client = client_for(world.users[role])
        assert client.get("/training/bookings/new/").status_code == 404
    client = client_for(world.users[Role.COORDINATOR])
    response = client.post(
        "/training/bookings/new/", {"cohort": cohort.pk, "session": training.gb_op.pk}
    )
    assert response.status_code == 302


def test_auditor_reads_everything_and_changes_nothing(world, training, booked, client_for):
    client = client_for(world.users[Role.AUDITOR])
    assert client.get(f"/training/sessions/{training.de_op.pk}/").status_code == 200
    assert client.get(f"/training/cohorts/{booked[1].pk}/").status_code == 200
    assert client.get("/training/runs/").status_code == 200
    assert client.get("/training/cohorts/new/").status_code == 404
    assert client.post("/training/runs/", {"planning_start": training.start}).status_code == 404


def test_donor_sees_the_catalogue_but_no_sessions_or_cohorts(world, training, booked, client_for):
    client = client_for(world.users[Role.DONOR_LIAISON])
    assert client.get("/training/courses/").status_code == 200
    assert client.get(f"/training/sessions/{training.de_op.pk}/").status_code == 404
    assert client.get(f"/training/cohorts/{booked[1].pk}/").status_code == 404
    assert client.get("/training/runs/").status_code == 404


def test_coordinator_starts_a_run_from_the_page(
    world, training, client_for, django_capture_on_commit_callbacks
):
    client = client_for(world.users[Role.COORDINATOR])
    make_cohort(world, [training.op])
    with django_capture_on_commit_callbacks(execute=True):  # the job runs once committed
        response = client.post(
            "/training/runs/",
            {"planning_start": training.start.isoformat(), "horizon_weeks": 12, "time_limit_s": 2},
        )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Scheduled" in page
