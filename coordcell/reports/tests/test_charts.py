from __future__ import annotations

from typing import Any

import pytest

from coordcell.registry.models import Role
from coordcell.reports.picture import picture
from coordcell.reports.scope import Scope


def _chart(charts: list[Any], slug: str) -> Any:
    return next(c for c in charts if c.slug == slug)


def test_charts_count_each_stage_by_donor(picture_world: Any) -> None:
    charts = picture(picture_world.users[Role.COORDINATOR], Scope())
    rows = {row[0]: row[1:] for row in _chart(charts, "by-donor").table.rows}
    assert rows["Germany"] == [100, 100, 100, 100]
    assert rows["Poland"] == [40, 40, 0, 0]


def test_values_of_different_bases_are_never_summed(picture_world: Any) -> None:
    coordinator = picture_world.users[Role.COORDINATOR]
    charts = picture(coordinator, Scope())
    assert len([c for c in charts if c.slug.startswith("value")]) == 1  # one chart, a choice
    replacement = _chart(picture(coordinator, Scope(valuation="replacement_cost:EUR")), "value")
    assert replacement.table.rows == [["Germany", 1000000.0, 1000000.0, 1000000.0, 1000000.0]]
    book = _chart(picture(coordinator, Scope(valuation="depreciated_book_value:EUR")), "value")
    assert book.table.rows == [["Poland", 500000.0, 500000.0, 0.0, 0.0]]


def test_the_value_choice_lists_each_basis_and_currency(
    picture_world: Any, client_for: Any
) -> None:
    response = client_for(picture_world.users[Role.COORDINATOR]).get("/reports/")
    choices = dict(response.context["form"].fields["valuation"].choices)
    assert set(choices) == {"", "replacement_cost:EUR", "depreciated_book_value:EUR"}
    recipient = client_for(picture_world.users[Role.RECIPIENT_LIAISON]).get("/reports/")
    assert "valuation" not in recipient.context["form"].fields
    assert not any(c.slug == "value" for c in recipient.context["charts"])


def test_a_donors_charts_show_only_its_own_pledges(picture_world: Any) -> None:
    charts = picture(picture_world.users[Role.DONOR_LIAISON], Scope())
    assert [row[0] for row in _chart(charts, "by-donor").table.rows] == ["Germany"]
    value = _chart(charts, "value")
    assert [row[0] for row in value.table.rows] == ["Germany"]
    assert not any(c.slug.startswith("hub-") for c in charts)


def test_hub_load_counts_committed_lines_against_capacity(picture_world: Any) -> None:
    charts = picture(picture_world.users[Role.COORDINATOR], Scope())
    hub = _chart(charts, "hub-load")
    week_one = hub.table.rows[1]
    assert week_one[1] == 140  # both lines leave the hub in week 1
    assert week_one[2] == 1000


def test_fulfilment_by_priority_counts_received_units(picture_world: Any) -> None:
    charts = picture(picture_world.users[Role.COORDINATOR], Scope())
    row = _chart(charts, "fulfilment").table.rows[1]  # the factory's priority 2
    assert row[1:5] == [140, 140, 100, 100]


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.DONOR_LIAISON, Role.AUDITOR])
def test_reports_page_renders_svg_and_tables(
    picture_world: Any, client_for: Any, role: str, django_assert_max_num_queries: Any
) -> None:
    client = client_for(picture_world.users[role])
    with django_assert_max_num_queries(60):
        response = client.get("/reports/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "<svg" in body and "Data table" in body
    assert " style=" not in body and "<script>" not in body


def test_training_site_officer_has_no_reports(picture_world: Any, client_for: Any) -> None:
    response = client_for(picture_world.users[Role.TRAINING_SITE_OFFICER]).get("/reports/")
    assert response.status_code == 404


def test_donor_cannot_widen_its_scope_to_another_nation(
    picture_world: Any, client_for: Any
) -> None:
    client = client_for(picture_world.users[Role.DONOR_LIAISON])
    response = client.get("/reports/?donor=PL")
    assert "Poland" not in [r[0] for r in response.context["charts"][0].table.rows]


def test_scope_errors_are_shown_next_to_the_field(picture_world: Any, client_for: Any) -> None:
    client = client_for(picture_world.users[Role.COORDINATOR])
    response = client.get("/reports/?start=2027-02-01&end=2027-01-01")
    assert response.status_code == 400
    assert 'id="id_end_error"' in response.content.decode()
