"""The change feed: what changed, in commit order, among the records the caller may read now;
never a record it could not read (another nation's pledge or shipment, a hub's capacity)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from coordcell.api.changes import SCAN_LIMIT, encode_cursor
from coordcell.logistics.tests.factories import event, ingest, make_shipment
from coordcell.pledges.models import Pledge
from coordcell.registry.models import HubCapacity, Role
from coordcell.registry.services import hub_capacity_save

pytestmark = pytest.mark.django_db

ROLES = {
    "coordinator": Role.COORDINATOR,
    "auditor": Role.AUDITOR,
    "donor-de": Role.DONOR_LIAISON,
    "donor-pl": "donor-pl",
    "recipient": Role.RECIPIENT_LIAISON,
    "trainer": Role.TRAINING_SITE_OFFICER,
}


def _pledge(api: Any, reference: str, **extra: Any) -> dict[str, Any]:
    body = {
        "donor_reference": reference,
        "category": "ammo-155",
        "quantity": 40,
        "available_from": "2027-03-01",
        **extra,
    }
    answer = api.post("/api/v1/pledges", body, format="json")
    assert answer.status_code == 201, answer.json()
    return answer.json()


@pytest.fixture
def apis(world: Any, api_for: Any) -> dict[str, Any]:
    return {name: api_for(world.users[role]) for name, role in ROLES.items()}


@pytest.fixture
def estate(world: Any, apis: dict[str, Any]) -> dict[str, Any]:
    """Through the actions: a pledge of each donor (PL's confirmed, then its value changed, then
    its quantity), a German pledge deleted, a German shipment with an event, a hub capacity
    cut."""
    # First: its pledge is made by a factory, which numbers pledges from P-000001 too.
    shipment = make_shipment(world, donor="DE")
    de = _pledge(apis["donor-de"], "DE-1", origin="depot-de")
    gone = _pledge(apis["donor-de"], "DE-GONE", origin="depot-de")
    assert apis["donor-de"].delete(f"/api/v1/pledges/{gone['id']}").status_code == 204
    pl = _pledge(apis["donor-pl"], "PL-1", origin="depot-pl")
    coord = apis["coordinator"]
    for change in (
        {"status": "confirmed"},
        {"value": "1234.00", "currency": "EUR", "valuation_basis": "replacement_cost"},
        {"quantity": 50},
    ):
        version = coord.get(f"/api/v1/pledges/{pl['id']}").json()["version"]
        answer = coord.patch(
            f"/api/v1/pledges/{pl['id']}", {**change, "version": version}, format="json"
        )
        assert answer.status_code == 200, answer.json()
    at = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    assert ingest(world, [event(shipment, "departed", at)]).accepted == 1
    capacity = HubCapacity.objects.get(hub=world.hub)
    capacity.weekly_capacity = 400
    capacity.reason = "runway works"
    hub_capacity_save(world.users[Role.COORDINATOR], capacity, expected_version=capacity.version)
    return {"de": de, "gone": gone, "pl": pl, "shipment": shipment, "capacity": capacity}


def _follow(api: Any, url: str = "/api/v1/changes?page_size=3") -> tuple[list[dict], str]:
    changes, pages = [], 0
    while url:
        answer = api.get(url)
        assert answer.status_code == 200, answer.json()
        body = answer.json()
        changes += body["results"]
        url, cursor, pages = body["next"], body["cursor"], pages + 1
        assert pages < 100
    return changes, cursor


def _records(changes: list[dict]) -> set[tuple[str, int]]:
    return {(c["type"], c["id"]) for c in changes}


def test_the_cell_follows_every_change_in_commit_order(estate, apis):
    changes, _ = _follow(apis["coordinator"])
    assert {
        ("pledge", estate["de"]["id"]),
        ("pledge", estate["gone"]["id"]),
        ("pledge", estate["pl"]["id"]),
        ("shipment", estate["shipment"].pk),
        ("hub-capacity", estate["capacity"].pk),
    } <= _records(changes)
    # The trail's changes in commit order (the reader's notifications follow their own order).
    trail = [c["at"] for c in changes if c["type"] != "notification"]
    assert trail == sorted(trail)
    pl = [c for c in changes if (c["type"], c["id"]) == ("pledge", estate["pl"]["id"])]
    assert [c["verb"] for c in pl][:4] == ["create", "update", "update", "update"]
    assert [c["version"] for c in pl][:4] == [1, 2, 3, 4]
    assert pl[0]["url"].endswith(f"/api/v1/pledges/{estate['pl']['id']}")
    deleted = [c for c in changes if c["id"] == estate["gone"]["id"] and c["type"] == "pledge"]
    assert [c["verb"] for c in deleted] == ["create", "delete"]


def test_a_donor_reads_its_own_nations_records_only(estate, apis):
    changes, _ = _follow(apis["donor-pl"])
    records = _records(changes)
    assert ("pledge", estate["pl"]["id"]) in records
    assert ("pledge", estate["de"]["id"]) not in records
    assert ("shipment", estate["shipment"].pk) not in records  # Germany's shipment
    assert not any(c["type"] in ("shipment-event", "hub-capacity") for c in changes)
    german, _ = _follow(apis["donor-de"])
    assert ("shipment", estate["shipment"].pk) in _records(german)  # its own, in full
    assert not any(c["type"] == "hub-capacity" for c in german)
    assert ("pledge", estate["pl"]["id"]) not in _records(german)


def test_a_deleted_record_is_listed_only_to_who_reads_every_record_of_its_type(estate, apis):
    """Whether the donor could read a pledge that is gone cannot be asked any more: the donor
    is not told of deletes (nor of the deleted pledge's earlier changes); the cell is."""
    gone = ("pledge", estate["gone"]["id"])
    assert gone not in _records(_follow(apis["donor-de"])[0])
    assert gone not in _records(_follow(apis["donor-pl"])[0])
    assert gone not in _records(_follow(apis["recipient"])[0])
    assert gone in _records(_follow(apis["auditor"])[0])


def test_the_recipient_reads_confirmed_pledges_without_the_changes_hidden_from_it(estate, apis):
    changes, _ = _follow(apis["recipient"])
    pl = [c for c in changes if (c["type"], c["id"]) == ("pledge", estate["pl"]["id"])]
    # create, confirm and the quantity; not the value's change, which it may not read
    assert [c["version"] for c in pl] == [1, 2, 4]
    records = _records(changes)
    assert ("pledge", estate["de"]["id"]) not in records  # offered, not confirmed
    assert not any(c["type"] in ("shipment", "shipment-event", "hub-capacity") for c in changes)


def test_a_training_site_officer_reads_no_pledge_shipment_or_capacity(estate, apis):
    changes, _ = _follow(apis["trainer"])
    assert not any(
        c["type"] in ("pledge", "requirement", "shipment", "shipment-event", "hub-capacity")
        for c in changes
    )


def test_the_cursor_resumes_after_what_was_read(estate, apis, world):
    api = apis["donor-pl"]
    _, cursor = _follow(api)
    assert api.get(f"/api/v1/changes?after={cursor}").json() == {
        "results": [],
        "next": None,
        "cursor": cursor,
    }
    _pledge(api, "PL-2", origin="depot-pl")
    body = api.get(f"/api/v1/changes?after={cursor}").json()
    assert [(c["type"], c["verb"]) for c in body["results"]] == [("pledge", "create")]
    # Another nation's change moves nobody else's cursor into view.
    _pledge(apis["donor-de"], "DE-3", origin="depot-de")
    assert api.get(f"/api/v1/changes?after={body['cursor']}").json()["results"] == []


def test_a_page_reads_a_bounded_number_of_events(estate, apis, world, monkeypatch):
    """A donor among many others' changes gets short pages with a `next`, never a long wait."""
    monkeypatch.setattr("coordcell.api.changes.SCAN_LIMIT", 4)
    assert SCAN_LIMIT > 4
    changes, _ = _follow(apis["donor-pl"], "/api/v1/changes?page_size=2")
    assert ("pledge", estate["pl"]["id"]) in _records(changes)


def test_a_type_filter_lists_only_those_types(estate, apis):
    changes, _ = _follow(apis["coordinator"], "/api/v1/changes?type=hub-capacity,shipment")
    assert {c["type"] for c in changes} == {"hub-capacity", "shipment"}


@pytest.mark.parametrize(
    "query",
    ["after=bogus", f"after={encode_cursor(1)[:-1]}x!", "page_size=0", "page_size=5000", "type=x"],
)
def test_bad_parameters_are_a_problem_naming_them(apis, query):
    answer = apis["coordinator"].get(f"/api/v1/changes?{query}")
    assert answer.status_code == 400
    assert answer["Content-Type"].startswith("application/problem+json")
    assert answer.json()["errors"][0]["field"] == query.split("=")[0]


def test_the_feed_reads_each_page_in_a_few_queries(estate, apis, django_assert_max_num_queries):
    for i in range(30):
        _pledge(apis["donor-pl"], f"PL-Q{i}", origin="depot-pl")
    api = apis["donor-pl"]
    with django_assert_max_num_queries(12):  # token, user, events, one check per type
        body = api.get("/api/v1/changes?page_size=100").json()
    assert len(body["results"]) > 30


def test_anonymous_is_refused(client):
    assert client.get("/api/v1/changes").status_code == 401


def test_a_pledge_that_leaves_the_recipients_view_leaves_its_feed(estate, apis):
    coord = apis["coordinator"]
    pl = estate["pl"]["id"]
    version = coord.get(f"/api/v1/pledges/{pl}").json()["version"]
    assert Pledge.objects.get(pk=pl).status == Pledge.Status.CONFIRMED
    coord.patch(f"/api/v1/pledges/{pl}", {"status": "withdrawn", "version": version}, format="json")
    assert ("pledge", pl) not in _records(_follow(apis["recipient"])[0])


def test_every_listed_record_is_one_the_reader_may_read_now(estate, apis, world):
    from coordcell.api.changes import BY_NAME
    from coordcell.logistics.selectors import Detail, shipment_detail_level

    for name, role in ROLES.items():
        user = world.users[role]
        for change in _follow(apis[name], "/api/v1/changes?page_size=1000")[0]:
            kind = BY_NAME[change["type"]]
            row = kind.model._default_manager.filter(pk=change["id"]).first()
            if row is None:  # deleted: only to who reads every record of the type
                assert not kind.visible(user).query.has_filters(), (name, change)
                continue
            assert kind.visible(user).filter(pk=row.pk).exists(), (name, change)
            if change["type"] == "shipment":
                assert shipment_detail_level(user, row) is Detail.FULL, (name, change)
