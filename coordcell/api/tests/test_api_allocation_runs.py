"""Allocation runs through the API: the same selectors and actions as the pages (issue 19)."""

import datetime as dt

import pytest

from coordcell.allocation.models import AllocationRun
from coordcell.allocation.services import line_edit
from coordcell.audit.models import AuditEvent
from coordcell.pledges.models import Pledge
from coordcell.registry.models import Role

# Jobs run when the transaction that queued them commits (conftest: the immediate backend).
pytestmark = pytest.mark.django_db(transaction=True)

RUNS = "/api/v1/allocation-runs"


@pytest.fixture
def coordinator_api(world, api_for):
    return api_for(world.users[Role.COORDINATOR])


def _queue(api, **body):
    answer = api.post(RUNS, body, format="json")
    assert answer.status_code == 202, answer.content[:2000]
    return answer


def test_coordinator_queues_a_run_and_reads_its_result(world, situation, coordinator_api):
    answer = _queue(coordinator_api, planning_start=situation.isoformat(), lexicographic=True)
    run = answer.json()
    assert answer["Location"] == run["url"] and run["url"].endswith(f"{RUNS}/{run['id']}")
    polled = coordinator_api.get(run["url"]).json()
    assert polled["status"] == "solved" and polled["progress"] == 100
    assert polled["lexicographic"] is True and polled["method"] == "optimiser"
    assert polled["objective"] is not None and polled["lp_bound"] is not None
    assert polled["gap"] <= 0.005 and len(polled["input_hash"]) == 64
    assert polled["stats"]["supplies"] == 2 and polled["version"] == 1

    lines = coordinator_api.get(f"{RUNS}/{run['id']}/lines", {"page_size": 1}).json()
    assert lines["count"] >= 2 and len(lines["results"]) == 1 and lines["next"]
    everything = coordinator_api.get(f"{RUNS}/{run['id']}/lines").json()["results"]
    assert sum(line["quantity"] for line in everything) == 450
    first = everything[0]
    assert first["requirement"] == "R-000001" and first["priority"] == 1
    assert first["pledge"] in {"P-000001", "P-000002"} and first["hub"] == world.hub.code
    assert first["dispatch_week"] <= first["hub_week"] <= first["arrival_week"]

    shortfalls = coordinator_api.get(f"{RUNS}/{run['id']}/shortfalls").json()["results"]
    assert [(s["requirement"], s["missing"]) for s in shortfalls] == [("R-000002", 250)]
    assert shortfalls[0]["reasons"] and shortfalls[0]["reasons"][0]["text"]

    listed = coordinator_api.get(RUNS).json()
    assert [r["reference"] for r in listed["results"]] == [run["reference"]]
    assert coordinator_api.get(RUNS, {"status": "committed"}).json()["results"] == []


def test_lines_filter_by_the_codes_people_use_and_sort(world, situation, coordinator_api):
    run = _queue(coordinator_api, planning_start=situation.isoformat()).json()
    url = f"{RUNS}/{run['id']}/lines"
    german = coordinator_api.get(url, {"donor": "DE"}).json()["results"]
    assert german and {line["donor"] for line in german} == {"DE"}
    assert coordinator_api.get(url, {"hub": "nowhere"}).json()["count"] == 0
    by_quantity = coordinator_api.get(url, {"ordering": "-quantity"}).json()["results"]
    assert [line["quantity"] for line in by_quantity] == sorted(
        (line["quantity"] for line in by_quantity), reverse=True
    )
    wrong = coordinator_api.get(url, {"ordering": "value"})
    assert wrong.status_code == 400 and wrong.json()["errors"][0]["field"] == "ordering"
    # A character no database stores in a query is refused, not a server error.
    assert coordinator_api.get(url, {"hub": "a\x00b"}).status_code == 400


def test_a_run_is_checked_by_the_pages_rules(world, situation, coordinator_api):
    tuesday = situation + dt.timedelta(days=1)
    answer = coordinator_api.post(RUNS, {"planning_start": tuesday.isoformat()}, format="json")
    assert answer.status_code == 400
    assert answer["Content-Type"] == "application/problem+json"
    assert [e["field"] for e in answer.json()["errors"]] == ["planning_start"]
    assert "Monday" in answer.json()["errors"][0]["detail"]
    too_long = coordinator_api.post(RUNS, {"horizon_weeks": 500}, format="json")
    assert [e["field"] for e in too_long.json()["errors"]] == ["horizon_weeks"]
    assert not AllocationRun.objects.exists()


def test_commit_allocates_and_a_stale_version_is_a_conflict(world, situation, coordinator_api):
    run = _queue(coordinator_api, planning_start=situation.isoformat()).json()
    # Someone edits a line on the page meanwhile: the version the script read is stale.
    stored = AllocationRun.objects.get(pk=run["id"])
    line = stored.lines.select_related("pledge__origin", "requirement__delivery_point").first()
    line_edit(actor=world.users[Role.COORDINATOR], line=line, quantity=line.quantity)
    stale = coordinator_api.post(f"{RUNS}/{run['id']}/commit", {"version": 1}, format="json")
    assert stale.status_code == 409 and stale.json()["type"].endswith("/conflict")
    assert AllocationRun.objects.get(pk=run["id"]).status == "solved"
    assert Pledge.objects.get(reference="P-000001").allocated_quantity == 0

    missing = coordinator_api.post(f"{RUNS}/{run['id']}/commit", {}, format="json")
    assert [e["field"] for e in missing.json()["errors"]] == ["version"]
    fresh = coordinator_api.get(run["url"]).json()["version"]
    done = coordinator_api.post(f"{RUNS}/{run['id']}/commit", {"version": fresh}, format="json")
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "committed" and done.json()["committed_by"] == "coord"
    assert Pledge.objects.get(reference="P-000001").allocated_quantity == 200
    # The page's refusal, as problem details: a committed run is not committed again.
    again = coordinator_api.post(
        f"{RUNS}/{run['id']}/commit", {"version": done.json()["version"]}, format="json"
    )
    assert again.status_code == 409 and "only a solved run" in again.json()["detail"]


def test_what_if_is_queued_and_compared_with_its_base(world, situation, coordinator_api):
    base = _queue(coordinator_api, planning_start=situation.isoformat()).json()
    closed = {"type": "close_hub", "hub": world.hub.code, "from_week": 0, "to_week": 25}
    answer = coordinator_api.post(
        f"{RUNS}/{base['id']}/what-if", {"changes": [closed]}, format="json"
    )
    assert answer.status_code == 202, answer.content
    scenario = answer.json()
    assert scenario["kind"] == "what_if" and scenario["base_run"] == base["id"]
    assert scenario["changes"] == [closed] and answer["Location"] == scenario["url"]
    figures = coordinator_api.get(f"{RUNS}/{scenario['id']}/compare").json()
    assert figures["base_run"] == base["id"] and figures["run"] == scenario["id"]
    assert figures["changes"] == [f"hub {world.hub.code} closed in weeks 0-25"]
    assert figures["losses"] == 2 and figures["gains"] == 0 and figures["changed"] == 2
    assert figures["requirements"][0]["requirement"] == "R-000001"
    assert figures["requirements"][0]["delta_on_time"] == -300
    assert figures["objective_delta"] < 0 and isinstance(figures["readiness"], list)
    # A what-if is for comparison: the page's refusal, as problem details.
    refused = coordinator_api.post(
        f"{RUNS}/{scenario['id']}/commit", {"version": scenario["version"]}, format="json"
    )
    assert refused.status_code == 409 and "what-if" in refused.json()["detail"]
    # A plan is compared with nothing.
    assert coordinator_api.get(f"{RUNS}/{base['id']}/compare").status_code == 404


def test_a_bad_what_if_change_is_refused_at_once(world, situation, coordinator_api):
    base = _queue(coordinator_api, planning_start=situation.isoformat()).json()
    bad = coordinator_api.post(
        f"{RUNS}/{base['id']}/what-if",
        {"changes": [{"type": "slip_pledge", "pledge": "P-000001", "weeks": 10**12}]},
        format="json",
    )
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "changes"
    assert "weeks" in bad.json()["errors"][0]["detail"]
    control = coordinator_api.post(
        f"{RUNS}/{base['id']}/what-if",
        {"changes": [{"type": "withdraw_pledge", "pledge": "P-000001\x00"}]},
        format="json",
    )
    assert control.status_code == 400 and "code or reference" in control.json()["detail"] + str(
        control.json()["errors"]
    )
    empty = coordinator_api.post(f"{RUNS}/{base['id']}/what-if", {"changes": []}, format="json")
    assert empty.status_code == 400
    assert AllocationRun.objects.count() == 1


def test_discard_takes_the_version_and_spares_a_committed_plan(world, situation, coordinator_api):
    first = _queue(coordinator_api, planning_start=situation.isoformat()).json()
    second = _queue(coordinator_api, planning_start=situation.isoformat()).json()
    stale = coordinator_api.post(f"{RUNS}/{first['id']}/discard", {"version": 7}, format="json")
    assert stale.status_code == 409
    gone = coordinator_api.post(f"{RUNS}/{first['id']}/discard", {"version": 1}, format="json")
    assert gone.status_code == 200 and gone.json()["status"] == "discarded"
    committed = coordinator_api.post(
        f"{RUNS}/{second['id']}/commit", {"version": 1}, format="json"
    ).json()
    kept = coordinator_api.post(
        f"{RUNS}/{second['id']}/discard", {"version": committed["version"]}, format="json"
    )
    assert kept.status_code == 409 and "cannot be discarded" in kept.json()["detail"]
    assert AllocationRun.objects.get(pk=second["id"]).status == "committed"


def test_auditor_reads_every_run_and_changes_nothing(world, situation, coordinator_api, api_for):
    base = _queue(coordinator_api, planning_start=situation.isoformat()).json()
    closed = {"type": "close_hub", "hub": world.hub.code, "from_week": 0, "to_week": 3}
    scenario = coordinator_api.post(
        f"{RUNS}/{base['id']}/what-if", {"changes": [closed]}, format="json"
    ).json()
    auditor = api_for(world.users[Role.AUDITOR])
    for url in (
        RUNS,
        base["url"],
        f"{RUNS}/{base['id']}/lines",
        f"{RUNS}/{base['id']}/shortfalls",
        f"{RUNS}/{scenario['id']}/compare",
    ):
        assert auditor.get(url).status_code == 200, url
    before = AuditEvent.objects.filter(verb="access-refused").count()
    writes = [
        (RUNS, {"planning_start": situation.isoformat()}),
        (f"{RUNS}/{base['id']}/what-if", {"changes": [closed]}),
        (f"{RUNS}/{base['id']}/commit", {"version": 1}),
        (f"{RUNS}/{base['id']}/discard", {"version": 1}),
    ]
    for url, body in writes:
        answer = auditor.post(url, body, format="json")
        assert answer.status_code == 403, url
        assert answer.json()["type"].endswith("/forbidden")
    assert AuditEvent.objects.filter(verb="access-refused").count() == before + len(writes)
    assert AllocationRun.objects.count() == 2
    assert set(AllocationRun.objects.values_list("status", flat=True)) == {"solved"}


@pytest.mark.parametrize(
    "role", [Role.DONOR_LIAISON, "donor-pl", Role.RECIPIENT_LIAISON, Role.TRAINING_SITE_OFFICER]
)
def test_no_other_role_finds_a_run(world, situation, coordinator_api, api_for, role):
    run = _queue(coordinator_api, planning_start=situation.isoformat()).json()
    api = api_for(world.users[role])
    missing = api.get(f"{RUNS}/999999").json()
    for url in (
        RUNS,
        f"{RUNS}/{run['id']}",
        f"{RUNS}/{run['id']}/lines",
        f"{RUNS}/{run['id']}/shortfalls",
        f"{RUNS}/{run['id']}/compare",
    ):
        answer = api.get(url)
        assert answer.status_code == 404, url
        assert answer.json() == missing
    for url, body in (
        (RUNS, {}),
        (f"{RUNS}/{run['id']}/what-if", {"changes": [{"type": "withdraw_pledge", "pledge": "x"}]}),
        (f"{RUNS}/{run['id']}/commit", {"version": 1}),
        (f"{RUNS}/{run['id']}/discard", {"version": 1}),
    ):
        assert api.post(url, body, format="json").status_code == 404, url
    assert AllocationRun.objects.get().status == "solved"
    assert AllocationRun.objects.count() == 1


def test_anonymous_is_asked_to_authenticate(world):
    from rest_framework.test import APIClient

    answer = APIClient().get(RUNS)
    assert answer.status_code == 401
    assert APIClient().post(RUNS, {}, format="json").status_code == 401


def test_an_id_beyond_what_a_database_stores_is_not_found(world, coordinator_api):
    for ident in ("99999999999999999999999999", "9223372036854775808"):
        assert coordinator_api.get(f"{RUNS}/{ident}").status_code == 404
        assert coordinator_api.get(f"{RUNS}/{ident}/lines").status_code == 404
