"""The run page for planners (issue 21 part 1): what a planner asks first, in % and words and
dates; a what-if form with fields; a commit that asks for confirmation and says what it does."""

import datetime as dt

import pytest
from rest_framework.test import APIClient

from coordcell.allocation.models import AllocationRun
from coordcell.allocation.overview import priority_shares
from coordcell.allocation.services import run_create, run_execute
from coordcell.api.services import token_create
from coordcell.exchange.cli import command_user
from coordcell.pledges.models import Pledge
from coordcell.registry.models import HubCapacity, Role
from coordcell.registry.templatetags.figures import day, qty

pytestmark = pytest.mark.django_db(transaction=True)


def _solved(world):
    return run_execute(run_create(actor=world.users[Role.COORDINATOR], enqueue=False).pk)


def test_priority_shares_count_each_requirement_by_its_own_quantity():
    shares = priority_shares(
        {"R-1": (1, 300), "R-2": (1, 100_000), "R-3": (4, 400)},
        [("R-1", 300, True), ("R-2", 50_000, False), ("R-3", 150, True)],
    )
    p1 = shares[0]
    # R-1 in full on time, R-2 half, late: litres and rounds are never added up.
    assert (p1.on_time_percent, p1.late_percent, p1.missing_percent) == (50.0, 25.0, 25.0)
    assert p1.in_full == 1 and p1.requirements == 2
    assert shares[1].on_time_percent is None  # no priority-2 requirement
    assert shares[-1].on_time_percent == 37.5  # priorities 4-5 together


def test_the_run_page_leads_with_demand_met_in_percent(world, situation, client_for):
    run = _solved(world)
    page = client_for(world.users[Role.COORDINATOR]).get(f"/allocation/{run.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    # Priority 1: met in full on time; priority 4: 150 of 400 on time.
    assert "<strong>100.0%</strong>" in text and "<strong>37.5%</strong>" in text
    assert "1 of 1 requirement" in text
    # What a planner asks first; the solver's figures last, folded.
    order = [
        text.index('id="demand-met"'),
        text.index('id="package-shortfalls"'),
        text.index('id="near-capacity"'),
        text.index('id="plan-lines"'),
        text.index('<details id="solver-details">'),
    ]
    assert order == sorted(order)
    assert text.index("LP bound") > text.index('<details id="solver-details">')


def test_shortfalls_say_why_in_words_and_dates_by_capability_package(world, situation, client_for):
    HubCapacity.objects.filter(hub=world.hub).update(weekly_capacity=60)
    run = _solved(world)
    text = client_for(world.users[Role.COORDINATOR]).get(f"/allocation/{run.pk}/").content.decode()
    package = text[text.index('id="package-shortfalls"') : text.index('id="near-capacity"')]
    assert "Self-propelled artillery brigade" in package  # the capability's name
    assert "R-000001" in package and "R-000002" in package
    # The full hub by its name, the weeks by their dates, the domain by its label.
    assert "Hub Rzeszów-Jasionka is full for Artillery in the weeks of" in text
    assert day(run.planning_start) in text
    assert "hub_capacity_full" not in text and "for artillery" not in text
    assert " week 0" not in text and "need-by week" not in text and "from week" not in text
    assert f"needed by {day(situation['urgent'].need_by)}" in package
    # Hubs near capacity: name, the week's date, used / capacity and %.
    near = text[text.index('id="near-capacity"') : text.index('id="explanations"')]
    assert "Rzeszów-Jasionka" in near and "60 / 60" in near and "100.0%" in near
    assert day(run.week_start(1)) in near


def test_lines_filter_by_donor_and_priority_and_refuse_a_bad_value(world, situation, client_for):
    run = _solved(world)
    client = client_for(world.users[Role.COORDINATOR])
    german = client.get(f"/allocation/{run.pk}/", {"donor": "DE"}).content.decode()
    lines = german[german.index('id="lines"') :]
    assert "P-000001" in lines and "P-000002" not in lines
    urgent = client.get(f"/allocation/{run.pk}/", {"priority": "1"}).content.decode()
    assert "R-000002" not in urgent[urgent.index('id="lines"') :]
    for query, message in (
        ({"priority": "9"}, "“9” is not a priority"),
        ({"hub": "nowhere"}, "“nowhere” is not a hub of this run"),
        ({"page": "abc"}, "“abc” is not a page number."),
    ):
        response = client.get(f"/allocation/{run.pk}/", query)
        assert response.status_code == 400, query
        body = response.content.decode()
        assert message in body.replace("&#x27;", "'"), query
    bad = client.get(f"/allocation/{run.pk}/", {"hub": "nowhere"}).content.decode()
    assert "No lines." in bad  # nothing shown as if it were filtered


def _whatif_post(world, start, **rows):
    """A what-if form post: management forms of the four kinds and the given rows."""
    data = {}
    for prefix in ("slip", "withdraw", "capacity", "priority"):
        given = rows.get(prefix, [])
        data[f"{prefix}-TOTAL_FORMS"] = str(max(2, len(given)))
        data[f"{prefix}-INITIAL_FORMS"] = "0"
        for number, row in enumerate(given):
            data.update({f"{prefix}-{number}-{k}": v for k, v in row.items()})
    return data


def test_the_what_if_form_builds_the_same_scenario_as_the_api_json(world, situation, client_for):
    base = _solved(world)
    start = situation["start"]
    client = client_for(world.users[Role.COORDINATOR])
    assert client.get(f"/allocation/{base.pk}/what-if/").status_code == 200
    response = client.post(
        f"/allocation/{base.pk}/what-if/",
        _whatif_post(
            world,
            start,
            slip=[{"pledge": "P-000001", "available": (start + dt.timedelta(days=16)).isoformat()}],
            withdraw=[{"pledge": "P-000002"}],
            capacity=[
                {
                    "hub": world.hub.code,
                    "domain": "artillery",
                    "first": (start + dt.timedelta(weeks=1)).isoformat(),
                    "last": (start + dt.timedelta(weeks=3, days=4)).isoformat(),
                    "per_week": "50",
                },
                {
                    "hub": world.hub.code,
                    "first": (start + dt.timedelta(weeks=5)).isoformat(),
                    "last": (start + dt.timedelta(weeks=5)).isoformat(),
                    "per_week": "0",
                },
            ],
            priority=[{"requirement": "R-000002", "priority": "1"}],
        ),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    from_page = AllocationRun.objects.get(base_run=base)
    expected = [
        {"type": "slip_pledge", "pledge": "P-000001", "weeks": 2},
        {"type": "withdraw_pledge", "pledge": "P-000002"},
        {
            "type": "hub_capacity",
            "hub": world.hub.code,
            "domain": "artillery",
            "from_week": 1,
            "to_week": 3,
            "per_week": 50,
        },
        {"type": "close_hub", "hub": world.hub.code, "from_week": 5, "to_week": 5},
        {"type": "raise_priority", "requirement": "R-000002", "priority": 1},
    ]
    assert from_page.changes == expected
    assert from_page.status == AllocationRun.Status.SOLVED, from_page.error

    _, raw = token_create(actor=command_user(None), user=world.users[Role.COORDINATOR], name="t")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    answer = api.post(
        f"/api/v1/allocation-runs/{base.pk}/what-if", {"changes": expected}, format="json"
    )
    assert answer.status_code == 202, answer.content
    from_api = AllocationRun.objects.get(pk=answer.json()["id"])
    assert from_api.changes == from_page.changes
    assert from_api.input_hash == from_page.input_hash  # the very same situation solved


def test_what_if_form_errors_are_all_shown_in_words_and_keep_the_input(
    world, situation, client_for
):
    base = _solved(world)
    start = situation["start"]
    client = client_for(world.users[Role.COORDINATOR])
    response = client.post(
        f"/allocation/{base.pk}/what-if/",
        _whatif_post(
            world,
            start,
            slip=[{"pledge": "P-999999", "available": (start + dt.timedelta(weeks=2)).isoformat()}],
            capacity=[
                {
                    "hub": world.hub.code,
                    "domain": "artillery",
                    "first": (start + dt.timedelta(weeks=4)).isoformat(),
                    "last": (start + dt.timedelta(weeks=2)).isoformat(),
                    "per_week": "50",
                }
            ],
            priority=[{"requirement": "R-000001", "priority": ""}],
        ),
    )
    assert response.status_code == 400
    text = response.content.decode().replace("&#x27;", "'")
    assert "3 things to correct" in text
    assert "There is no pledge P-999999." in text
    assert "The last week comes before the first." in text
    assert "A requirement's priority changes, row 1 (New priority): This field is required." in text
    # The input is kept, every row of it.
    assert 'value="P-999999"' in text and 'value="R-000001"' in text
    assert f'value="{(start + dt.timedelta(weeks=4)).isoformat()}"' in text
    assert AllocationRun.objects.count() == 1


def test_a_slip_to_an_earlier_week_is_refused_with_the_pledges_date(world, situation, client_for):
    base = _solved(world)
    start = situation["start"]
    response = client_for(world.users[Role.COORDINATOR]).post(
        f"/allocation/{base.pk}/what-if/",
        _whatif_post(world, start, slip=[{"pledge": "P-000001", "available": start.isoformat()}]),
    )
    assert response.status_code == 400
    assert f"available from the week of {day(start)} already" in response.content.decode()


def test_commit_shows_what_it_creates_and_needs_the_confirmation(world, situation, client_for):
    run = _solved(world)
    client = client_for(world.users[Role.COORDINATOR])
    page = client.get(f"/allocation/{run.pk}/commit/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "2 loads are planned" in text
    assert "as 2 shipments (one per load and delivery point)" in text
    assert qty(450, world.category.unit) in text
    assert "2 pledges become allocated" in text and "P-000001" in text
    assert "No planned shipment is cancelled." in text

    refused = client.post(f"/allocation/{run.pk}/commit/", {"version": run.version})
    assert refused.status_code == 400
    assert "Confirm the commit" in refused.content.decode()
    assert "2 pledges become allocated" in refused.content.decode()
    run.refresh_from_db()
    assert run.status == AllocationRun.Status.SOLVED
    assert Pledge.objects.get(reference="P-000001").allocated_quantity == 0

    done = client.post(f"/allocation/{run.pk}/commit/", {"version": run.version, "confirm": "yes"})
    assert done.status_code == 302
    run.refresh_from_db()
    assert run.status == AllocationRun.Status.COMMITTED
    from coordcell.logistics.models import Shipment

    assert Shipment.objects.filter(run=run).count() == 2  # as the confirmation said


def test_the_auditor_reads_the_run_page_but_not_the_forms_that_change(world, situation, client_for):
    run = _solved(world)
    client = client_for(world.users[Role.AUDITOR])
    page = client.get(f"/allocation/{run.pk}/").content.decode()
    assert 'id="demand-met"' in page and 'id="commit-link"' not in page
    assert client.get(f"/allocation/{run.pk}/commit/").status_code == 404
    assert client.get(f"/allocation/{run.pk}/what-if/").status_code == 404


def test_a_hub_capacity_change_holds_in_its_weeks_only():
    from coordcell.allocation.scenarios import ChangeError, apply_changes
    from coordcell.allocation.solver.generator import generate_instance

    instance = generate_instance(6, seed=1)
    hub = instance.hubs[0]
    domain = instance.categories[0].domain
    before = hub.capacity_for(domain, 5)
    change = {
        "type": "hub_capacity",
        "hub": hub.id,
        "domain": domain,
        "from_week": 2,
        "to_week": 3,
        "per_week": 7,
    }
    changed = {h.id: h for h in apply_changes(instance, [change]).hubs}[hub.id]
    assert [changed.capacity_for(domain, w) for w in (2, 3)] == [7, 7]
    assert changed.capacity_for(domain, 5) == before
    with pytest.raises(ChangeError, match="unknown domain"):
        apply_changes(instance, [{**change, "domain": "cavalry"}])
