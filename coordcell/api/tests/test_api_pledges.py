"""Pledges through the API: the round trip, the rules of the pages, and the version check."""

import pytest

from coordcell.audit.models import AuditEvent
from coordcell.pledges.models import Pledge
from coordcell.registry.models import Role

pytestmark = pytest.mark.django_db

NEW = {
    "donor": "DE",
    "donor_reference": "DE-API-1",
    "category": "ammo-155",
    "quantity": 40,
    "available_from": "2027-03-01",
    "origin": "depot-de",
}


def test_coordinator_lists_filters_orders_and_searches(world, pledges, api_for):
    api = api_for(world.users[Role.COORDINATOR])
    listed = api.get("/api/v1/pledges").json()
    assert listed["count"] == 2
    assert {p["reference"] for p in listed["results"]} == {"P-000001", "P-000002"}
    offered = api.get("/api/v1/pledges?status=offered").json()
    assert [p["reference"] for p in offered["results"]] == ["P-000001"]
    ordered = api.get("/api/v1/pledges?ordering=-reference").json()
    assert [p["reference"] for p in ordered["results"]] == ["P-000002", "P-000001"]
    found = api.get("/api/v1/pledges?q=PL-2").json()
    assert [p["reference"] for p in found["results"]] == ["P-000002"]
    paged = api.get("/api/v1/pledges?page_size=1").json()
    assert len(paged["results"]) == 1 and paged["next"]


def test_round_trip_create_read_update_delete(world, api_for):
    api = api_for(world.users[Role.COORDINATOR])
    created = api.post("/api/v1/pledges", NEW, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["reference"] == "P-000001" and body["status"] == "offered"
    assert created["Location"].endswith(f"/api/v1/pledges/{body['id']}")
    url = f"/api/v1/pledges/{body['id']}"
    assert api.get(url).json()["donor_reference"] == "DE-API-1"
    changed = api.patch(url, {"quantity": 45, "version": 1}, format="json")
    assert changed.status_code == 200
    assert changed.json()["quantity"] == 45 and changed.json()["version"] == 2
    replaced = api.put(url, {**NEW, "quantity": 50, "version": 2}, format="json")
    assert replaced.status_code == 200 and replaced.json()["quantity"] == 50
    assert api.delete(url).status_code == 204
    assert api.get(url).status_code == 404
    verbs = list(
        AuditEvent.objects.filter(target_type="pledges.pledge")
        .order_by("seq")
        .values_list("verb", flat=True)
    )
    assert verbs == ["create", "update", "update", "delete"]


def test_stale_version_answers_409_and_changes_nothing(world, pledges, api_for):
    api = api_for(world.users[Role.COORDINATOR])
    url = f"/api/v1/pledges/{pledges[0].pk}"
    assert api.patch(url, {"quantity": 90, "version": 1}, format="json").status_code == 200
    stale = api.patch(url, {"quantity": 80, "version": 1}, format="json")
    assert stale.status_code == 409
    assert stale["Content-Type"] == "application/problem+json"
    assert stale.json()["type"].endswith("/conflict")
    pledges[0].refresh_from_db()
    assert pledges[0].quantity == 90


def test_update_without_version_is_refused_naming_the_field(world, pledges, api_for):
    api = api_for(world.users[Role.COORDINATOR])
    response = api.patch(f"/api/v1/pledges/{pledges[0].pk}", {"quantity": 9}, format="json")
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["version"]


def test_invalid_fields_are_problem_details_naming_each_field(world, api_for):
    api = api_for(world.users[Role.COORDINATOR])
    response = api.post(
        "/api/v1/pledges",
        {**NEW, "quantity": 0, "available_from": "2027-02-30", "category": "nope"},
        format="json",
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert {"type", "title", "status", "detail", "errors"} <= set(problem)
    assert problem["status"] == 400
    fields = {e["field"] for e in problem["errors"]}
    assert fields == {"quantity", "available_from", "category"}
    assert all(e["pointer"] == "#/" + e["field"] for e in problem["errors"])


def test_model_and_form_rules_apply_through_the_api(world, api_for):
    api = api_for(world.users[Role.COORDINATOR])
    no_currency = api.post("/api/v1/pledges", {**NEW, "value": "1000.00"}, format="json")
    assert no_currency.status_code == 400
    assert {e["field"] for e in no_currency.json()["errors"]} == {"currency", "valuation_basis"}
    too_far = api.post("/api/v1/pledges", {**NEW, "available_from": "2040-01-01"}, format="json")
    assert [e["field"] for e in too_far.json()["errors"]] == ["available_from"]
    hub_origin = api.post("/api/v1/pledges", {**NEW, "origin": "rzeszow"}, format="json")
    assert [e["field"] for e in hub_origin.json()["errors"]] == ["origin"]
    assert not Pledge.objects.exists()


def test_duplicate_donor_reference_is_refused(world, pledges, api_for):
    api = api_for(world.users[Role.COORDINATOR])
    response = api.post("/api/v1/pledges", {**NEW, "donor_reference": "DE-1"}, format="json")
    assert response.status_code == 400
    assert Pledge.objects.count() == 2


def test_deleting_an_allocated_pledge_is_a_conflict(world, pledges, api_for):
    Pledge.objects.filter(pk=pledges[0].pk).update(allocated_quantity=5)
    api = api_for(world.users[Role.COORDINATOR])
    response = api.delete(f"/api/v1/pledges/{pledges[0].pk}")
    assert response.status_code == 409
    assert "allocated" in response.json()["detail"]


def test_many_valued_fields_list_their_codes_in_the_registers_order(world, pledges, api_for):
    from coordcell.api.serializers import PledgeSerializer
    from coordcell.registry.models import Location
    from coordcell.registry.tests.factories import CapabilityFactory, LocationFactory

    # Codes that sort the other way from the names: the list follows the locations' own order
    # (kind, then name), as the pledge's page shows them.
    zulu = LocationFactory(code="hub-a", name="Zulu hub", kind=Location.Kind.HUB)
    alpha = LocationFactory(code="hub-z", name="Alpha hub", kind=Location.Kind.HUB)
    german, polish = pledges
    german.allowed_hubs.set([zulu, alpha])
    german.allowed_capabilities.set([CapabilityFactory(code="c-2"), CapabilityFactory(code="c-1")])
    polish.allowed_hubs.set([zulu])
    api = api_for(world.users[Role.COORDINATOR])

    listed = {p["reference"]: p for p in api.get("/api/v1/pledges").json()["results"]}
    assert listed["P-000001"]["allowed_hubs"] == ["hub-z", "hub-a"]
    assert sorted(listed["P-000001"]["allowed_capabilities"]) == ["c-1", "c-2"]
    assert listed["P-000002"]["allowed_hubs"] == ["hub-a"]
    assert listed["P-000002"]["allowed_capabilities"] == []
    one = api.get(f"/api/v1/pledges/{german.pk}").json()
    # The same as the serializer reading the relations themselves.
    direct = PledgeSerializer(Pledge.objects.get(pk=german.pk)).data
    assert one == listed["P-000001"] == {**direct, "ledger": one["ledger"]}
    assert one["ledger"]["offered"] == one["ledger"]["free"] == german.quantity

    changed = api.patch(
        f"/api/v1/pledges/{german.pk}",
        {"allowed_hubs": ["hub-a"], "version": one["version"]},
        format="json",
    )
    assert changed.status_code == 200, changed.json()
    assert changed.json()["allowed_hubs"] == ["hub-a"]
    assert list(german.allowed_hubs.values_list("code", flat=True)) == ["hub-a"]


def test_a_read_only_field_sent_with_another_value_is_refused(world, pledges, api_for):
    api = api_for(world.users[Role.COORDINATOR])
    pledge = Pledge.objects.get(reference="P-000001")
    url = f"/api/v1/pledges/{pledge.pk}"
    answer = api.patch(url, {"allocated_quantity": 5, "version": pledge.version}, format="json")
    assert answer.status_code == 400
    assert "allocated_quantity is not set by a client" in str(answer.json())
    echoed = api.get(url).json()
    assert api.put(url, echoed, format="json").status_code == 200


def test_a_code_with_a_nul_character_is_a_400_naming_the_field(world, api_for):
    # PostgreSQL refuses a NUL in a query: it must never reach one (it was a 500 there).
    api = api_for(world.users[Role.COORDINATOR])
    response = api.post("/api/v1/pledges", {**NEW, "category": "ammo\u0000155"}, format="json")
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["category"]
