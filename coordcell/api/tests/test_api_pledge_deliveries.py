"""A pledge's delivered history through the API: read as on the pledge's page (the cell,
auditors, the pledge's own donor; never the recipient), recorded and corrected by who may change
the pledge, versioned, audited, and followed in the change feed without leaking."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from coordcell.audit.models import AuditEvent
from coordcell.pledges.models import Pledge, PledgeDelivery
from coordcell.registry.models import Role

pytestmark = pytest.mark.django_db

URL = "/api/v1/pledge-deliveries"
DAY = (dt.date.today() - dt.timedelta(days=30)).isoformat()


def _record(api: Any, pledge: Pledge, quantity: int | None = 5, **extra: Any) -> Any:
    body = {
        "pledge": pledge.reference,
        "quantity": quantity,
        "delivered_on": DAY,
        "source": "Handover note 3",
        **extra,
    }
    return api.post(URL, body, format="json")


def _feed(api: Any) -> set[tuple[str, int, str]]:
    url, seen = "/api/v1/changes?type=pledge-delivery&page_size=100", set()
    while url:
        body = api.get(url).json()
        seen |= {(c["type"], c["id"], c["verb"]) for c in body["results"]}
        url = body["next"]
    return seen


def test_a_donor_records_corrects_and_removes_its_pledges_history(world, pledges, api_for):
    german, _polish = pledges
    api = api_for(world.users[Role.DONOR_LIAISON])
    made = _record(api, german)
    assert made.status_code == 201, made.json()
    body = made.json()
    assert (body["pledge"], body["quantity"], body["quantity_disclosed"]) == (
        german.reference,
        5,
        True,
    )
    assert body["reference"].startswith("PD") and body["version"] == 1
    assert made["Location"].endswith(f"{URL}/{body['id']}")
    pledge = api.get(f"/api/v1/pledges/{german.pk}").json()
    assert pledge["ledger"]["delivered_before"] == 5
    # Undisclosed: null, as the page's tick.
    changed = api.patch(f"{URL}/{body['id']}", {"quantity": None, "version": 1}, format="json")
    assert changed.status_code == 200, changed.json()
    assert (changed.json()["quantity"], changed.json()["quantity_disclosed"]) == (None, False)
    assert changed.json()["version"] == 2
    stale = api.patch(f"{URL}/{body['id']}", {"quantity": 7, "version": 1}, format="json")
    assert stale.status_code == 409
    assert stale["Content-Type"].startswith("application/problem+json")
    listed = api.get(f"{URL}?pledge={german.reference.lower()}").json()["results"]
    assert [r["id"] for r in listed] == [body["id"]]
    assert api.delete(f"{URL}/{body['id']}").status_code == 204
    assert not PledgeDelivery.objects.exists()
    verbs = set(
        AuditEvent.objects.filter(target_type="pledges.pledgedelivery").values_list(
            "verb", flat=True
        )
    )
    assert {"create", "update", "delete"} <= verbs


def test_bad_input_is_a_problem_naming_the_fields(world, pledges, api_for):
    german, polish = pledges
    api = api_for(world.users[Role.DONOR_LIAISON])
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    answer = _record(api, german, quantity=0, delivered_on=future)
    assert answer.status_code == 400
    fields = {e["field"] for e in answer.json()["errors"]}
    assert "quantity" in fields
    answer = _record(api, german, delivered_on=future)
    assert answer.status_code == 400
    assert {e["field"] for e in answer.json()["errors"]} == {"delivered_on"}
    # Another nation's pledge: not found among the donor's, as one that does not exist.
    other = _record(api, polish)
    assert other.status_code == 400
    nothing = api.post(URL, {**_body_without_pledge(), "pledge": "P-999999"}, format="json")
    assert nothing.status_code == 400
    assert other.json()["errors"][0]["detail"].replace(polish.reference, "X") == nothing.json()[
        "errors"
    ][0]["detail"].replace("P-999999", "X")
    assert not PledgeDelivery.objects.exists()


def _body_without_pledge() -> dict[str, Any]:
    return {"quantity": 5, "delivered_on": DAY, "source": "note"}


def test_each_role_reads_what_the_pledge_page_shows(world, pledges, api_for):
    german, polish = pledges  # the Polish pledge is confirmed: the recipient sees it
    coordinator = api_for(world.users[Role.COORDINATOR])
    de = _record(coordinator, german).json()
    pl = _record(coordinator, polish).json()
    expected = {
        Role.COORDINATOR: {de["id"], pl["id"]},
        Role.AUDITOR: {de["id"], pl["id"]},
        Role.DONOR_LIAISON: {de["id"]},
        "donor-pl": {pl["id"]},
        Role.RECIPIENT_LIAISON: set(),
        Role.TRAINING_SITE_OFFICER: set(),
    }
    for role, ids in expected.items():
        api = api_for(world.users[role])
        assert {r["id"] for r in api.get(URL).json()["results"]} == ids, role
        for entry in (de, pl):
            answer = api.get(f"{URL}/{entry['id']}")
            assert answer.status_code == (200 if entry["id"] in ids else 404), role
    # The recipient sees the confirmed pledge, not its history: it cannot record one either.
    recipient = api_for(world.users[Role.RECIPIENT_LIAISON])
    refused = AuditEvent.objects.filter(verb="access-refused").count()
    assert _record(recipient, polish).status_code == 403
    assert recipient.patch(f"{URL}/{pl['id']}", {"version": 1}, format="json").status_code == 404
    assert AuditEvent.objects.filter(verb="access-refused").count() == refused + 2
    # The auditor reads, changes nothing.
    auditor = api_for(world.users[Role.AUDITOR])
    assert auditor.delete(f"{URL}/{de['id']}").status_code == 403
    assert _record(auditor, german).status_code == 403
    assert PledgeDelivery.objects.count() == 2


def test_the_change_feed_lists_the_history_to_who_reads_it(world, pledges, api_for):
    german, polish = pledges
    coordinator = api_for(world.users[Role.COORDINATOR])
    de = _record(coordinator, german).json()
    pl = _record(coordinator, polish).json()
    gone = _record(coordinator, polish, source="duplicate").json()
    assert coordinator.delete(f"{URL}/{gone['id']}").status_code == 204
    kind = "pledge-delivery"
    everything = {
        (kind, de["id"], "create"),
        (kind, pl["id"], "create"),
        (kind, gone["id"], "create"),
        (kind, gone["id"], "delete"),
    }
    assert _feed(coordinator) == everything
    assert _feed(api_for(world.users[Role.AUDITOR])) == everything
    # A donor: its own pledge's entries; never another nation's, nor a deleted one.
    assert _feed(api_for(world.users[Role.DONOR_LIAISON])) == {(kind, de["id"], "create")}
    assert _feed(api_for(world.users["donor-pl"])) == {(kind, pl["id"], "create")}
    assert _feed(api_for(world.users[Role.RECIPIENT_LIAISON])) == set()
    assert _feed(api_for(world.users[Role.TRAINING_SITE_OFFICER])) == set()
    change = coordinator.get("/api/v1/changes?type=pledge-delivery").json()["results"][0]
    assert change["url"].endswith(f"{URL}/{de['id']}")
