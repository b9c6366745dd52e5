"""A training-site officer never reads a reference to another nation's site, its sessions or the
cohorts booked only there: not in pages or refusals (issue 23; readiness: readiness/tests/
test_need_to_know.py)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from coordcell.registry.models import Role
from coordcell.training import services

from .factories import make_cohort, make_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def split_cohort(world, training):
    """A cohort trained at both sites: operator course in Britain, maintainer in Germany; and a
    cohort booked in Germany only."""
    coordinator = world.users[Role.COORDINATOR]
    both = make_cohort(world, [training.op, training.mnt])
    german_mnt = make_session(training.mnt, training.de, training.start + dt.timedelta(weeks=2))
    services.booking_create(actor=coordinator, cohort=both, session=training.gb_op)
    services.booking_create(actor=coordinator, cohort=both, session=german_mnt)
    only_de = make_cohort(world, [training.op])
    services.booking_create(actor=coordinator, cohort=only_de, session=training.de_op)
    return both, german_mnt, only_de


def test_pages_and_exports_name_nothing_of_another_nations_training(
    world, training, split_cohort, client_for
):
    both, german_mnt, only_de = split_cohort
    client = client_for(world.users[Role.TRAINING_SITE_OFFICER])  # the UK
    urls = [
        "/training/cohorts/",
        f"/training/cohorts/{both.pk}/",
        "/training/sessions/",
        f"/training/sessions/{training.gb_op.pk}/",
        "/training/bookings/",
        "/training/sites/",
        "/",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        text = response.content.decode()
        for marker in (
            german_mnt.reference,
            training.de_op.reference,
            only_de.reference,
            "Grafenwoehr",
        ):
            assert marker not in text, (url, marker)
    assert both.reference in client.get("/training/bookings/").content.decode()


def test_a_refused_move_names_another_nations_session_only_to_who_may_see_it(
    world, training, split_cohort
):
    both, german_mnt, _ = split_cohort
    session = training.gb_op
    session.start_date = german_mnt.start_date  # onto the German course of the same cohort
    with pytest.raises(ValidationError) as refused:
        services.session_save(actor=world.users[Role.TRAINING_SITE_OFFICER], session=session)
    message = " ".join(refused.value.messages)
    assert f"{both.reference} is on a course at another site then" in message
    assert german_mnt.reference not in message
    with pytest.raises(ValidationError) as for_the_cell:
        services.session_save(actor=world.users[Role.COORDINATOR], session=session)
    assert german_mnt.reference in " ".join(for_the_cell.value.messages)
