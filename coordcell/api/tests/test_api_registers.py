"""Requirements and the reference registers through the API, following the same pattern."""

import datetime as dt

import pytest

from coordcell.registry.models import ItemCategory, Location, Role
from coordcell.requirements.models import Requirement

pytestmark = pytest.mark.django_db


def test_requirement_round_trip_by_the_recipient(world, api_for):
    api = api_for(world.users[Role.RECIPIENT_LIAISON])
    need_by = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    created = api.post(
        "/api/v1/requirements",
        {
            "capability": "sp-arty",
            "category": "ammo-155",
            "quantity": 500,
            "need_by": need_by,
            "delivery_point": "dp-lviv",
            "priority": 1,
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["reference"] == "R-000001" and body["status"] == "open"
    url = f"/api/v1/requirements/{body['id']}"
    assert api.get("/api/v1/requirements?priority=1").json()["count"] == 1
    assert api.get("/api/v1/requirements?priority=2").json()["count"] == 0
    patched = api.patch(url, {"priority": 2, "version": 1}, format="json")
    assert patched.json()["priority"] == 2
    assert api.delete(url).status_code == 204
    assert not Requirement.objects.exists()


def test_requirement_in_the_past_is_refused(world, api_for):
    api = api_for(world.users[Role.COORDINATOR])
    response = api.post(
        "/api/v1/requirements",
        {
            "capability": "sp-arty",
            "category": "ammo-155",
            "quantity": 5,
            "need_by": "2020-01-01",
            "delivery_point": "dp-lviv",
            "priority": 1,
        },
        format="json",
    )
    assert [e["field"] for e in response.json()["errors"]] == ["need_by"]


def test_donor_reads_but_does_not_write_requirements(world, api_for, donor):
    assert api_for(donor).post("/api/v1/requirements", {}, format="json").status_code == 403


def test_category_round_trip_by_a_coordinator(world, api_for):
    api = api_for(world.users[Role.COORDINATOR])
    created = api.post(
        "/api/v1/categories",
        {
            "code": "ammo-105",
            "name": "105 mm HE round",
            "domain": "artillery",
            "unit": "round",
            "nsc": "1315",
            "can_serve": ["ammo-155"],
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    url = f"/api/v1/categories/{created.json()['id']}"
    assert api.get("/api/v1/categories?domain=artillery").json()["count"] == 2
    assert api.patch(url, {"nsc": "13"}, format="json").json()["errors"][0]["field"] == "nsc"
    assert api.patch(url, {"name": "105 mm round"}, format="json").json()["name"] == "105 mm round"
    assert api.delete(url).status_code == 204
    assert not ItemCategory.objects.filter(code="ammo-105").exists()


def test_reference_data_still_in_use_cannot_be_deleted(world, api_for):
    api = api_for(world.users[Role.COORDINATOR])
    response = api.delete(f"/api/v1/nations/{world.nations['DE'].pk}")
    assert response.status_code == 409


@pytest.mark.parametrize(
    "slug", ["nations", "organisations", "categories", "locations", "coalitions", "capabilities"]
)
def test_everyone_reads_reference_data_only_coordinators_write_it(world, api_for, donor, slug):
    assert api_for(donor).get(f"/api/v1/{slug}").status_code == 200
    assert api_for(donor).post(f"/api/v1/{slug}", {}, format="json").status_code == 403


def test_location_round_trip_names_related_objects_by_code(world, api_for):
    api = api_for(world.users[Role.COORDINATOR])
    created = api.post(
        "/api/v1/locations",
        {
            "code": "hub-ro",
            "name": "Romanian hub",
            "kind": "hub",
            "nation": "GB",
            "latitude": "47.1",
            "longitude": "27.6",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert Location.objects.get(code="hub-ro").nation.code == "GB"
    assert api.get("/api/v1/locations?kind=hub").json()["count"] == 2


def test_me_says_who_the_token_is(world, api_for, donor):
    assert api_for(donor).get("/api/v1/me").json() == {
        "username": "donor-de",
        "role": "donor_liaison",
        "nation": "DE",
    }


def test_the_recipient_cannot_set_a_requirements_status_through_the_api(world, api_for):
    from coordcell.requirements.models import Requirement
    from coordcell.requirements.tests.factories import RequirementFactory

    requirement = RequirementFactory(
        category=world.category, capability=world.capability, delivery_point=world.delivery_point
    )
    api = api_for(world.users[Role.RECIPIENT_LIAISON])
    answer = api.patch(
        f"/api/v1/requirements/{requirement.pk}",
        {"status": "fulfilled", "version": requirement.version},
        format="json",
    )
    assert answer.status_code == 400
    assert "status is not set by a client" in str(answer.json())
    requirement.refresh_from_db()
    assert requirement.status == Requirement.Status.OPEN
