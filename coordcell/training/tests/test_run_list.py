"""The scheduler runs' list: filtered by status; a status or page it cannot read is a 400 with
a message, never every run shown as if filtered."""

import pytest

from coordcell.registry.models import Role

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("query", [{"status": "nonsense"}, {"page": "abc"}, {"page": "7"}])
def test_a_filter_or_page_the_run_list_cannot_read_is_a_message(world, client_for, query):
    response = client_for(world.users[Role.COORDINATOR]).get("/training/runs/", query)
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()


def test_a_known_status_lists_with_a_200(world, client_for):
    response = client_for(world.users[Role.COORDINATOR]).get("/training/runs/", {"status": "done"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/training/sessions/?status=nonsense",
        "/training/sessions/?starts_from=someday",
        "/training/cohorts/?priority=9",
        "/training/cohorts/?sort=nonsense",
    ],
)
def test_the_session_and_cohort_registers_answer_a_bad_filter_with_a_message(
    world, client_for, url
):
    response = client_for(world.users[Role.COORDINATOR]).get(url)
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()


def test_the_session_register_offers_its_filters(world, client_for):
    html = client_for(world.users[Role.COORDINATOR]).get("/training/sessions/").content.decode()
    assert 'name="status"' in html and 'name="starts_from"' in html
