"""Discrepancies through the API: the register's filters, what each role sees of one, and its
lifecycle through the same actions as the page, with the version read (409 when stale)."""

from __future__ import annotations

import pytest

from coordcell.logistics.lifecycle import S
from coordcell.logistics.models import Discrepancy
from coordcell.logistics.tests.discrepancy_fixtures import discrepancy_at
from coordcell.registry.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def found(world):
    """A German discrepancy found at the hub, a Polish one at handover."""
    return (
        discrepancy_at(world, S.AT_HUB, donor="DE"),
        discrepancy_at(world, S.HANDED_OVER, donor="PL", kind=Discrepancy.Kind.SHORT),
    )


def _ids(body):
    return [row["id"] for row in body["results"]]


def test_each_role_lists_the_discrepancies_its_page_shows(world, found, api_for):
    german, polish = found
    assert set(
        _ids(api_for(world.users[Role.COORDINATOR]).get("/api/v1/discrepancies").json())
    ) == {
        german.pk,
        polish.pk,
    }
    assert _ids(api_for(world.users[Role.DONOR_LIAISON]).get("/api/v1/discrepancies").json()) == [
        german.pk
    ]
    recipient = api_for(world.users[Role.RECIPIENT_LIAISON])
    assert _ids(recipient.get("/api/v1/discrepancies").json()) == [polish.pk]
    assert recipient.get(f"/api/v1/discrepancies/{german.pk}").status_code == 404
    officer = api_for(world.users[Role.TRAINING_SITE_OFFICER])
    assert officer.get("/api/v1/discrepancies").json()["results"] == []


def test_filters_are_the_registers(world, found, api_for):
    german, polish = found
    api = api_for(world.users[Role.COORDINATOR])
    assert _ids(api.get("/api/v1/discrepancies?donor=pl").json()) == [polish.pk]
    assert _ids(api.get("/api/v1/discrepancies?kind=damaged").json()) == [german.pk]
    shipment = german.shipment.reference
    assert _ids(api.get(f"/api/v1/discrepancies?shipment={shipment}").json()) == [german.pk]
    assert _ids(api.get("/api/v1/discrepancies?state=resolved").json()) == []
    assert api.get("/api/v1/discrepancies?state=lost").status_code == 400


def test_the_place_found_before_handover_is_route_information(world, found, api_for):
    german, polish = found
    coordinator = api_for(world.users[Role.COORDINATOR])
    assert coordinator.get(f"/api/v1/discrepancies/{german.pk}").json()["location"] == "rzeszow"
    recipient = api_for(world.users[Role.RECIPIENT_LIAISON])
    row = recipient.get(f"/api/v1/discrepancies/{polish.pk}").json()
    assert row["actions"]["resolutions"] == ["found"] and row["resolved_by"] is None


def test_the_lifecycle_with_versions(world, found, api_for):
    german, _ = found
    api = api_for(world.users[Role.COORDINATOR])
    url = f"/api/v1/discrepancies/{german.pk}"
    version = api.get(url).json()["version"]
    started = api.post(f"{url}/investigate", {"version": version}, format="json")
    assert started.status_code == 200 and started.json()["status"] == "investigating"
    stale = api.post(f"{url}/due", {"version": version, "due_on": "2099-01-01"}, format="json")
    assert stale.status_code == 409
    version += 1
    owner = api.post(f"{url}/reassign", {"version": version, "owner": None}, format="json")
    assert owner.status_code == 200 and owner.json()["owner"] is None
    version += 1
    wrong = api.post(f"{url}/reassign", {"version": version, "owner": "PL"}, format="json")
    assert wrong.status_code == 400 and wrong.json()["errors"][0]["field"] == "owner"
    due = api.post(f"{url}/due", {"version": version, "due_on": "2099-01-01"}, format="json")
    assert due.json()["due_on"] == "2099-01-01"
    version += 1
    no_note = api.post(
        f"{url}/resolve", {"version": version, "resolution": "written_off"}, format="json"
    )
    assert no_note.status_code == 400 and no_note.json()["errors"][0]["field"] == "note"
    done = api.post(
        f"{url}/resolve",
        {"version": version, "resolution": "written_off", "note": "Crushed beyond use"},
        format="json",
    )
    assert done.status_code == 200, done.json()
    assert done.json()["status"] == "resolved" and done.json()["resolved_by"] == "coord"
    again = api.post(
        f"{url}/resolve", {"version": version + 1, "resolution": "found"}, format="json"
    )
    assert again.status_code == 400
    assert "already resolved" in again.json()["errors"][0]["detail"]


def test_a_version_is_required(world, found, api_for):
    api = api_for(world.users[Role.COORDINATOR])
    answer = api.post(f"/api/v1/discrepancies/{found[0].pk}/investigate", {}, format="json")
    assert answer.status_code == 400 and answer.json()["errors"][0]["field"] == "version"


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.RECIPIENT_LIAISON, "donor-pl"])
def test_who_may_not_act_is_refused_and_nothing_changes(world, found, api_for, role):
    german, polish = found
    target = polish if role == Role.RECIPIENT_LIAISON else german
    api = api_for(world.users[role])
    answer = api.post(
        f"/api/v1/discrepancies/{target.pk}/due",
        {"version": 1, "due_on": "2099-01-01"},
        format="json",
    )
    expected = 404 if role == "donor-pl" else 403
    assert answer.status_code == expected
    target.refresh_from_db()
    assert target.version == 1
