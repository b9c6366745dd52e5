from __future__ import annotations

from typing import Any

import pytest

from coordcell.registry.models import Role

ROLES = [
    Role.COORDINATOR,
    Role.DONOR_LIAISON,
    Role.RECIPIENT_LIAISON,
    Role.TRAINING_SITE_OFFICER,
    Role.AUDITOR,
]
QUESTIONS = {
    Role.COORDINATOR: "What is late",
    Role.DONOR_LIAISON: "What happened to what we gave",
    Role.RECIPIENT_LIAISON: "What arrives this week",
    Role.TRAINING_SITE_OFFICER: "empty seats",
    Role.AUDITOR: "trail intact",
}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_its_dashboard_in_few_queries(
    picture_world: Any, client_for: Any, role: str, django_assert_max_num_queries: Any
) -> None:
    client = client_for(picture_world.users[role])
    with django_assert_max_num_queries(30):
        response = client.get("/")
    assert response.status_code == 200
    assert QUESTIONS[role] in response.content.decode()


def test_donor_dashboard_follows_its_own_pledges(picture_world: Any, client_for: Any) -> None:
    response = client_for(picture_world.users[Role.DONOR_LIAISON]).get("/")
    figures = {f.label: f.value for f in response.context["board"].figures}
    assert figures["Units pledged"] == "100\xa0round"
    assert figures["Units allocated"] == "100\xa0round"
    assert figures["Units shipped"] == "100\xa0round"
    assert figures["Units received"] == "100\xa0round"


def test_polish_donor_sees_only_polish_figures(picture_world: Any, client_for: Any) -> None:
    response = client_for(picture_world.users["donor-pl"]).get("/")
    figures = {f.label: f.value for f in response.context["board"].figures}
    assert figures["Units pledged"] == "40\xa0round"
    assert figures["Units received"] == "0\xa0round"


def test_every_dashboard_figure_links_to_a_page_that_opens(
    picture_world: Any, client_for: Any
) -> None:
    for role in ROLES:
        client = client_for(picture_world.users[role])
        board = client.get("/").context["board"]
        for figure in board.figures:
            assert client.get(figure.url).status_code == 200, (role, figure.label, figure.url)


def test_recipient_is_told_of_handed_over_shipments(picture_world: Any, client_for: Any) -> None:
    response = client_for(picture_world.users[Role.RECIPIENT_LIAISON]).get("/")
    labels = [f.label for f in response.context["board"].figures]
    assert "Shipments arriving this week" in labels


def test_auditor_sees_the_chain_head(picture_world: Any, client_for: Any) -> None:
    from coordcell.audit.services import current_head

    response = client_for(picture_world.users[Role.AUDITOR]).get("/")
    assert current_head()[1][:12] in response.content.decode()


def test_a_donors_totals_keep_each_unit_apart_in_one_query_each(
    picture_world: Any, client_for: Any, django_assert_max_num_queries: Any
) -> None:
    from coordcell.pledges.tests.factories import PledgeFactory
    from coordcell.registry.tests.factories import ItemCategoryFactory
    from coordcell.reports import figures
    from coordcell.reports.figures import Scope

    de = picture_world.nations["DE"]
    for code, unit in (("diesel", "litre"), ("mbt", "system")):
        PledgeFactory(
            donor=de,
            origin=picture_world.depots["DE"],
            category=ItemCategoryFactory(code=code, name=code, unit=unit),
            quantity=7,
        )
    donor = picture_world.users[Role.DONOR_LIAISON]
    with django_assert_max_num_queries(2):  # pledges by unit, lines by unit: not one per unit
        totals = figures.flow_by_unit(donor, Scope(donor=de))
    assert totals == {"round": [100, 100, 100, 100], "litre": [7, 0, 0, 0], "system": [7, 0, 0, 0]}
    board = client_for(donor).get("/").context["board"]
    shown = {f.label: f.value for f in board.figures}
    assert shown["Units pledged"] == "7\xa0litre · 100\xa0round · 7\xa0system"
    assert shown["Units received"] == "0\xa0litre · 100\xa0round · 0\xa0system"
