"""Filters take the codes people use (``donor=DE``), among the objects the user may see; the
schema types them, and every enumeration, as what they are."""

from __future__ import annotations

from typing import Any

import pytest

from coordcell.pledges.models import Pledge
from coordcell.registry.models import Role
from coordcell.requirements.tests.factories import RequirementFactory

pytestmark = pytest.mark.django_db


def _refs(api: Any, url: str) -> list[str]:
    answer = api.get(url)
    assert answer.status_code == 200, answer.json()
    return sorted(row["reference"] for row in answer.json()["results"])


@pytest.fixture
def coord(world: Any, api_for: Any) -> Any:
    return api_for(world.users[Role.COORDINATOR])


def test_pledges_filter_by_donor_category_and_origin_codes(pledges, coord, world):
    assert _refs(coord, "/api/v1/pledges?donor=DE") == ["P-000001"]
    assert _refs(coord, "/api/v1/pledges?donor=pl") == ["P-000002"]  # any case
    assert _refs(coord, "/api/v1/pledges?category=ammo-155") == ["P-000001", "P-000002"]
    assert _refs(coord, "/api/v1/pledges?origin=depot-pl") == ["P-000002"]
    # Clients written against ids keep working.
    assert _refs(coord, f"/api/v1/pledges?donor={world.nations['DE'].pk}") == ["P-000001"]


def test_an_unknown_code_is_a_problem_naming_the_filter(pledges, coord):
    answer = coord.get("/api/v1/pledges?donor=XX")
    assert answer.status_code == 400
    assert answer["Content-Type"].startswith("application/problem+json")
    [error] = answer.json()["errors"]
    assert error["field"] == "donor" and "XX" in error["detail"]


def test_another_nations_depot_is_answered_like_a_code_nobody_has(pledges, world, api_for):
    donor = api_for(world.users[Role.DONOR_LIAISON])  # Germany
    theirs = donor.get("/api/v1/pledges?origin=depot-pl")
    nobodys = donor.get("/api/v1/pledges?origin=depot-xx")
    assert theirs.status_code == nobodys.status_code == 400
    assert theirs.json()["errors"][0]["detail"].replace("depot-pl", "?") == nobodys.json()[
        "errors"
    ][0]["detail"].replace("depot-xx", "?")
    assert _refs(donor, "/api/v1/pledges?origin=depot-de") == ["P-000001"]


def test_the_recipient_cannot_filter_by_origin(pledges, world, api_for):
    recipient = api_for(world.users[Role.RECIPIENT_LIAISON])
    every = _refs(recipient, "/api/v1/pledges")
    assert every == ["P-000002"]  # the confirmed one
    assert _refs(recipient, "/api/v1/pledges?origin=depot-xx") == every  # no such filter


def test_requirements_and_locations_filter_by_codes(world, coord):
    RequirementFactory(
        reference="R-000001",
        category=world.category,
        capability=world.capability,
        delivery_point=world.delivery_point,
    )
    for query in ("category=ammo-155", "delivery_point=dp-lviv", "capability=sp-arty"):
        assert _refs(coord, f"/api/v1/requirements?{query}") == ["R-000001"]
    assert coord.get("/api/v1/requirements?capability=nothing").status_code == 400
    codes = {row["code"] for row in coord.get("/api/v1/locations?nation=PL").json()["results"]}
    assert codes == {"rzeszow", "depot-pl"}


def test_the_schema_types_code_filters_and_enumerations_as_strings(coord):
    schema = coord.get("/api/v1/schema?format=json").json()

    def parameter(path: str, name: str) -> dict[str, Any]:
        [found] = [p for p in schema["paths"][path]["get"]["parameters"] if p["name"] == name]
        return found["schema"]

    for name in ("donor", "category", "origin", "domain"):
        assert parameter("/api/v1/pledges", name)["type"] == "string", name
    assert parameter("/api/v1/pledges", "status")["enum"] == sorted(Pledge.Status.values)
    assert parameter("/api/v1/requirements", "delivery_point")["type"] == "string"
    assert parameter("/api/v1/locations", "nation")["type"] == "string"
    enums = [c for c in schema["components"]["schemas"].values() if "enum" in c]
    assert all(c["type"] in ("string", "integer") for c in enums)
    assert schema["components"]["schemas"]["DomainEnum"]["type"] == "string"


def test_a_code_with_a_percent_sign_is_a_problem_not_a_failure(pledges, coord):
    answer = coord.get("/api/v1/pledges?donor=%25s%25")
    assert answer.status_code == 400
    assert "%s%" in answer.json()["errors"][0]["detail"]


@pytest.mark.parametrize("size", ["-1.5", "0", "ten"])
def test_a_page_size_that_is_no_whole_number_is_a_problem(coord, size):
    answer = coord.get(f"/api/v1/pledges?page_size={size}")
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["field"] == "page_size"


def test_pledges_filter_by_a_hub_they_may_go_through(pledges, coord, world, api_for):
    german, _ = pledges
    german.allowed_hubs.set([world.hub])
    assert _refs(coord, "/api/v1/pledges?allowed_hubs=rzeszow") == ["P-000001"]
    recipient = api_for(world.users[Role.RECIPIENT_LIAISON])  # the route is not its to read
    assert _refs(recipient, "/api/v1/pledges?allowed_hubs=nowhere") == ["P-000002"]
