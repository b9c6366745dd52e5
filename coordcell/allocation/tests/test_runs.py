"""Allocation runs through the pages: solve, review, commit, what-if, hand edits, access."""

import datetime as dt

import pytest

from coordcell.allocation.models import AllocationLine, AllocationRun
from coordcell.allocation.services import run_create, run_execute
from coordcell.pledges.models import Pledge
from coordcell.pledges.tests.factories import PledgeFactory
from coordcell.registry.models import Role
from coordcell.requirements.models import Requirement

pytestmark = pytest.mark.django_db(transaction=True)


def _solve_from_page(client, start):
    response = client.post(
        "/allocation/", {"planning_start": start.isoformat(), "horizon_weeks": 26}
    )
    assert response.status_code == 302, response.content[:2000]
    return AllocationRun.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))


def test_coordinator_runs_reviews_and_commits_a_plan(world, situation, client_for):
    client = client_for(world.users[Role.COORDINATOR])
    run = _solve_from_page(client, situation["start"])
    assert run.status == AllocationRun.Status.SOLVED
    assert run.gap is not None and run.gap <= 0.005
    assert run.objective >= run.greedy_objective
    # The urgent requirement is served in full; what is left goes to the routine one.
    lines = AllocationLine.objects.filter(run=run)
    urgent = [line for line in lines if line.requirement_id == situation["urgent"].pk]
    assert sum(line.quantity for line in urgent) == 300
    assert sum(line.quantity for line in lines) == 450
    page = client.get(f"/allocation/{run.pk}/").content.decode()
    assert "R-000002" in page and "Shortfalls and their reasons (1)" in page

    response = client.post(
        f"/allocation/{run.pk}/commit/", {"version": run.version, "confirm": "yes"}
    )
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.status == AllocationRun.Status.COMMITTED
    assert Pledge.objects.get(pk=situation["german"].pk).allocated_quantity == 200
    assert Pledge.objects.get(pk=situation["polish"].pk).allocated_quantity == 250
    assert Requirement.objects.get(pk=situation["urgent"].pk).status == "allocated"
    assert Requirement.objects.get(pk=situation["routine"].pk).status == "partly_allocated"


def test_a_shortfall_is_explained(world, situation, client_for):
    client = client_for(world.users[Role.COORDINATOR])
    run = _solve_from_page(client, situation["start"])
    shortfall = run.shortfalls.get()
    assert shortfall.requirement_id == situation["routine"].pk
    assert shortfall.missing == 250
    assert shortfall.reasons, "every shortfall has a reason"
    assert any("R-000001" in r["text"] or "only" in r["text"] for r in shortfall.reasons)


def test_two_plans_from_the_same_situation_cannot_both_be_committed(world, situation):
    coordinator = world.users[Role.COORDINATOR]
    first = run_execute(run_create(actor=coordinator, enqueue=False).pk)
    second = run_execute(run_create(actor=coordinator, enqueue=False).pk)
    from coordcell.allocation.services import run_commit

    run_commit(actor=coordinator, run=first)
    with pytest.raises(Exception, match="situation changed"):
        run_commit(actor=coordinator, run=second)
    assert Pledge.objects.get(pk=situation["german"].pk).allocated_quantity == 200
    second.refresh_from_db()
    assert second.status == AllocationRun.Status.SOLVED


def test_a_later_run_allocates_only_what_is_left(world, situation):
    coordinator = world.users[Role.COORDINATOR]
    from coordcell.allocation.services import run_commit

    run_commit(actor=coordinator, run=run_execute(run_create(actor=coordinator, enqueue=False).pk))
    PledgeFactory(
        reference="P-000003",
        donor=world.nations["DE"],
        quantity=1000,
        origin=world.depots["DE"],
        category=world.category,
        available_from=situation["start"],
    )
    later = run_execute(run_create(actor=coordinator, enqueue=False).pk)
    assert {line.pledge.reference for line in later.lines.all()} == {"P-000003"}
    # The routine requirement still lacks 250 after the first commit; the new pledge covers it.
    assert sum(line.quantity for line in later.lines.all()) == 250


def test_what_if_hub_closed_is_compared_with_the_plan(world, situation, client_for):
    client = client_for(world.users[Role.COORDINATOR])
    base = _solve_from_page(client, situation["start"])
    response = client.post(
        f"/allocation/{base.pk}/what-if/",
        {"change": "close_hub", "hub": world.hub.code, "from_week": 0, "to_week": 25},
    )
    assert response.status_code == 302
    scenario = AllocationRun.objects.exclude(pk=base.pk).get()
    assert scenario.kind == AllocationRun.Kind.WHAT_IF
    assert scenario.base_run == base
    assert scenario.lines.count() == 0  # the only hub is closed
    page = client.get(f"/allocation/{scenario.pk}/compare/").content.decode()
    assert "R-000001" in page and "requirements lose on-time units" in page
    assert client.post(f"/allocation/{scenario.pk}/commit/", {"confirm": "yes"}).status_code == 302
    scenario.refresh_from_db()
    assert scenario.status == AllocationRun.Status.SOLVED  # a what-if is never committed


def test_a_what_if_naming_an_unknown_pledge_fails_with_a_reason(world, situation):
    coordinator = world.users[Role.COORDINATOR]
    run = run_execute(
        run_create(
            actor=coordinator,
            enqueue=False,
            changes=[{"type": "withdraw_pledge", "pledge": "P-999999"}],
        ).pk
    )
    assert run.status == AllocationRun.Status.FAILED
    assert "P-999999" in run.error


def test_a_hand_edit_that_exceeds_a_pledge_is_refused(world, situation, client_for):
    client = client_for(world.users[Role.COORDINATOR])
    run = _solve_from_page(client, situation["start"])
    line = run.lines.filter(pledge=situation["german"]).first()
    response = client.post(
        f"/allocation/{run.pk}/lines/{line.pk}/edit/",
        {"quantity": line.quantity + 1, "hub": world.hub.pk},
    )
    assert response.status_code == 400
    assert "infeasible" in response.content.decode()
    line.refresh_from_db()
    assert not line.edited


def test_a_feasible_hand_edit_is_kept_and_rescored(world, situation, client_for):
    client = client_for(world.users[Role.COORDINATOR])
    run = _solve_from_page(client, situation["start"])
    line = run.lines.order_by("-quantity").first()
    response = client.post(
        f"/allocation/{run.pk}/lines/{line.pk}/edit/",
        {"quantity": line.quantity - 10, "hub": world.hub.pk},
    )
    assert response.status_code == 302
    line.refresh_from_db()
    assert line.edited and line.quantity > 0
    rescored = AllocationRun.objects.get(pk=run.pk)
    assert rescored.objective < run.objective


@pytest.mark.parametrize(
    "role", [Role.DONOR_LIAISON, Role.RECIPIENT_LIAISON, Role.TRAINING_SITE_OFFICER]
)
def test_runs_are_for_the_cells_staff_only(world, situation, client_for, role):
    run = run_execute(run_create(actor=world.users[Role.COORDINATOR], enqueue=False).pk)
    client = client_for(world.users[role])
    assert client.get("/allocation/").status_code == 404
    assert client.get(f"/allocation/{run.pk}/").status_code == 404
    assert client.post(f"/allocation/{run.pk}/commit/").status_code == 404


def test_the_auditor_reads_runs_but_cannot_commit(world, situation, client_for):
    run = run_execute(run_create(actor=world.users[Role.COORDINATOR], enqueue=False).pk)
    client = client_for(world.users[Role.AUDITOR])
    assert client.get(f"/allocation/{run.pk}/").status_code == 200
    assert client.post(f"/allocation/{run.pk}/commit/").status_code == 404
    assert (
        client.post(
            "/allocation/", {"planning_start": situation["start"].isoformat(), "horizon_weeks": 26}
        ).status_code
        == 404
    )


def test_a_donor_sees_only_its_own_committed_allocations(world, situation, client_for):
    from coordcell.allocation.services import run_commit

    coordinator = world.users[Role.COORDINATOR]
    run_commit(actor=coordinator, run=run_execute(run_create(actor=coordinator, enqueue=False).pk))
    page = client_for(world.users[Role.DONOR_LIAISON]).get("/allocation/committed/")
    assert b"P-000001" in page.content
    assert b"P-000002" not in page.content


def test_planning_weeks_start_on_a_monday(world, situation, client_for):
    client = client_for(world.users[Role.COORDINATOR])
    tuesday = situation["start"] + dt.timedelta(days=1)
    response = client.post(
        "/allocation/", {"planning_start": tuesday.isoformat(), "horizon_weeks": 26}
    )
    assert response.status_code == 400
    assert "start on a Monday" in response.content.decode()
    assert not AllocationRun.objects.exists()


def test_a_rerun_of_an_unchanged_situation_takes_its_parts_as_solved(world, situation):
    coordinator = world.users[Role.COORDINATOR]
    first = run_execute(run_create(actor=coordinator, enqueue=False).pk)
    again = run_execute(run_create(actor=coordinator, enqueue=False).pk)
    assert again.stats["parts_reused"] == again.stats["parts"] >= 1

    def lines(run):
        return sorted(run.lines.values_list("pledge_id", "requirement_id", "hub_id", "quantity"))

    assert lines(again) == lines(first) and again.objective == first.objective


def test_a_withdrawn_pledge_is_no_supply_and_the_shortfall_says_so(world, situation):
    from coordcell.allocation.services import instance_for
    from coordcell.allocation.solver import ReasonCode

    coordinator = world.users[Role.COORDINATOR]
    for pledge in (situation["german"], situation["polish"]):
        Pledge.objects.filter(pk=pledge.pk).update(status=Pledge.Status.WITHDRAWN)
    run = run_execute(run_create(actor=coordinator, enqueue=False).pk)
    assert instance_for(run).supplies == ()
    assert not run.lines.exists()
    reasons = run.shortfalls.get(requirement=situation["urgent"]).reasons
    assert [r["code"] for r in reasons] == [ReasonCode.NO_COMPATIBLE_SUPPLY]
