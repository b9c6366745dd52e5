"""Empty lists say how to begin, and link to where the first record is made only for a role
that may make it (issue 21, part 9)."""

import pytest

from coordcell.registry.models import Role
from coordcell.registry.tests.factories import NationFactory, UserFactory

pytestmark = pytest.mark.django_db

# Every list page of the menus, by role (the nations and users registers list the users' own
# nations and themselves, so they are never empty here).
SHARED = [
    "/readiness/",
    "/categories/",
    "/locations/",
    "/capabilities/",
    "/coalitions/",
    "/organisations/",
    "/training/courses/",
    "/training/sites/",
]
BUSINESS = [
    "/requirements/",
    "/pledges/",
    "/logistics/",
    "/discrepancies/",
    "/logistics/inventory/",
]
TRAINING = ["/training/sessions/", "/training/cohorts/"]
CELL = [
    *BUSINESS,
    *TRAINING,
    "/allocation/",
    "/logistics/delays/",
    "/logistics/hubs/",
    "/training/runs/",
    "/hub-capacities/",
    "/training/bookings/",
]
PAGES = {
    Role.COORDINATOR: CELL,
    Role.AUDITOR: CELL,
    Role.DONOR_LIAISON: [*BUSINESS, "/allocation/committed/"],
    Role.RECIPIENT_LIAISON: [*BUSINESS, *TRAINING],
    Role.TRAINING_SITE_OFFICER: TRAINING,
}
NATION = {
    Role.DONOR_LIAISON: "DE",
    Role.RECIPIENT_LIAISON: "UA",
    Role.TRAINING_SITE_OFFICER: "GB",
}


def _user(role):
    code = NATION.get(role)
    nation = None
    if code:
        nation = NationFactory(code=code, is_recipient=code == "UA", is_donor=code != "UA")
    return UserFactory(username=f"user-{role}", role=role, nation=nation)


@pytest.mark.parametrize("role", list(PAGES))
def test_every_empty_list_says_how_to_begin(role, client_for):
    client = client_for(_user(role))
    for url in [*PAGES[role], *SHARED]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert 'class="how-to-begin"' in response.content.decode(), url


def test_a_donor_is_offered_to_register_a_pledge_the_recipient_is_not(client_for):
    donor = client_for(_user(Role.DONOR_LIAISON))
    page = donor.get("/pledges/").content.decode()
    assert "No pledge yet: register a pledge" in page
    assert 'href="/pledges/new/"' in page
    recipient = client_for(_user(Role.RECIPIENT_LIAISON))
    page = recipient.get("/pledges/").content.decode()
    assert "donors&#x27; liaison officers register pledges" in page
    assert 'href="/pledges/new/"' not in page


def test_the_coordinator_is_told_to_start_an_allocation_run_the_auditor_is_not(client_for):
    page = client_for(_user(Role.COORDINATOR)).get("/allocation/").content.decode()
    assert "No allocation run yet: start one" in page and "coordcell allocate" in page
    page = client_for(_user(Role.AUDITOR)).get("/allocation/").content.decode()
    assert "the cell&#x27;s coordinators run them" in page and "coordcell allocate" not in page


def test_empty_shipments_lead_the_coordinator_to_the_allocation_runs(client_for):
    page = client_for(_user(Role.COORDINATOR)).get("/logistics/").content.decode()
    assert "committing an allocation plan creates them" in page
    assert 'href="/allocation/"' in page


def test_a_filter_that_matches_nothing_says_so_not_how_to_begin(client_for):
    page = client_for(_user(Role.COORDINATOR)).get("/categories/?q=nothing").content.decode()
    assert "No records match." in page and "how-to-begin" not in page
