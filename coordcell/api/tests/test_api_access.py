"""The API applies the pages' access rules: another nation's pledge does not exist (404)."""

import pytest

from coordcell.pledges.models import Pledge
from coordcell.registry.models import Role

pytestmark = pytest.mark.django_db


def test_donor_lists_only_its_own_nations_pledges(world, pledges, api_for, donor):
    body = api_for(donor).get("/api/v1/pledges").json()
    assert [p["reference"] for p in body["results"]] == ["P-000001"]
    search = api_for(donor).get("/api/v1/pledges?q=PL-2").json()
    assert search["count"] == 0


def test_donor_cannot_open_edit_or_delete_another_nations_pledge(world, pledges, api_for, donor):
    api = api_for(donor)
    polish = f"/api/v1/pledges/{pledges[1].pk}"
    missing = api.get("/api/v1/pledges/999999")
    assert api.get(polish).status_code == missing.status_code == 404
    assert api.get(polish).json() == missing.json()
    assert api.patch(polish, {"quantity": 1, "version": 1}, format="json").status_code == 404
    assert api.put(polish, {"quantity": 1, "version": 1}, format="json").status_code == 404
    assert api.delete(polish).status_code == 404
    pledges[1].refresh_from_db()
    assert pledges[1].quantity == 100 and Pledge.objects.count() == 2


def test_donor_pledges_for_its_own_nation_only(world, api_for, donor):
    api = api_for(donor)
    base = {
        "donor_reference": "X",
        "category": "ammo-155",
        "quantity": 5,
        "available_from": "2027-03-01",
    }
    other = api.post(
        "/api/v1/pledges", {**base, "donor": "PL", "origin": "depot-de"}, format="json"
    )
    assert other.status_code == 400
    assert [e["field"] for e in other.json()["errors"]] == ["donor"]
    foreign_depot = api.post("/api/v1/pledges", {**base, "origin": "depot-pl"}, format="json")
    assert [e["field"] for e in foreign_depot.json()["errors"]] == ["origin"]
    own = api.post("/api/v1/pledges", {**base, "origin": "depot-de"}, format="json")
    assert own.status_code == 201 and own.json()["donor"] == "DE"


def test_recipient_sees_confirmed_pledges_and_cannot_change_them(world, pledges, api_for):
    api = api_for(world.users[Role.RECIPIENT_LIAISON])
    body = api.get("/api/v1/pledges").json()
    assert [p["reference"] for p in body["results"]] == ["P-000002"]
    assert api.get(f"/api/v1/pledges/{pledges[0].pk}").status_code == 404
    confirmed = f"/api/v1/pledges/{pledges[1].pk}"
    assert api.patch(confirmed, {"quantity": 1, "version": 1}, format="json").status_code == 403
    assert api.post("/api/v1/pledges", {}, format="json").status_code == 403


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.TRAINING_SITE_OFFICER])
def test_readers_and_outsiders_change_nothing(world, pledges, api_for, role):
    api = api_for(world.users[role])
    url = f"/api/v1/pledges/{pledges[0].pk}"
    expected = 403 if role == Role.AUDITOR else 404
    assert api.patch(url, {"quantity": 1, "version": 1}, format="json").status_code == expected
    assert api.delete(url).status_code == expected
    assert api.post("/api/v1/pledges", {}, format="json").status_code == 403


def test_training_site_officer_sees_no_pledges_or_requirements(world, pledges, api_for):
    api = api_for(world.users[Role.TRAINING_SITE_OFFICER])
    assert api.get("/api/v1/pledges").json()["count"] == 0
    assert api.get("/api/v1/requirements").json()["count"] == 0


def test_donor_does_not_see_other_nations_depots(world, api_for, donor):
    codes = {loc["code"] for loc in api_for(donor).get("/api/v1/locations").json()["results"]}
    assert "depot-de" in codes and "depot-pl" not in codes


def test_audit_trail_is_for_auditors_and_coordinators(world, pledges, api_for, donor):
    api_for(world.users[Role.COORDINATOR]).patch(
        f"/api/v1/pledges/{pledges[0].pk}", {"quantity": 7, "version": 1}, format="json"
    )
    auditor = api_for(world.users[Role.AUDITOR])
    events = auditor.get("/api/v1/audit-events?target_type=pledges.pledge").json()
    assert [e["verb"] for e in events["results"]] == ["update"]
    seq = events["results"][0]["seq"]
    assert auditor.get(f"/api/v1/audit-events/{seq}").json()["data"]["changes"]["quantity"] == [
        100,
        7,
    ]
    assert auditor.post("/api/v1/audit-events", {}, format="json").status_code == 405
    # Not an empty list: a list the donor may not open, answered (and audited) as a refusal.
    assert api_for(donor).get("/api/v1/audit-events").status_code == 404
    assert api_for(donor).get(f"/api/v1/audit-events/{seq}").status_code == 404


def test_session_login_works_for_the_browser(world, pledges, client_for, donor):
    response = client_for(donor).get("/api/v1/pledges")
    assert response.status_code == 200 and response.json()["count"] == 1
