"""The incident loop: what happens after a commit flows back into the next plan.

Commit a plan → ship → a short receipt and a damaged item → another shipment cancelled → the
next run's input holds exactly the residual quantities → commit it → readiness follows.
"""

import datetime as dt
import gzip
import json
import re

import pytest
from django.utils import timezone

from coordcell.allocation.models import AllocationRun
from coordcell.allocation.services import run_commit, run_create, run_execute
from coordcell.logistics.changes import shipment_cancel
from coordcell.logistics.discrepancies import discrepancy_record
from coordcell.logistics.ledger import pledge_ledgers, requirement_ledgers
from coordcell.logistics.lifecycle import S
from coordcell.logistics.models import Discrepancy, Shipment
from coordcell.logistics.tests.factories import SIGNED, event, ingest
from coordcell.pledges.models import Pledge
from coordcell.pledges.services import pledge_save
from coordcell.registry.models import Role
from coordcell.requirements.models import Requirement

pytestmark = pytest.mark.django_db


def _solve(actor, **kwargs):
    return run_execute(run_create(actor=actor, enqueue=False, **kwargs).pk)


def _instance(run):
    return json.loads(gzip.decompress(run.instance_json))


def _quantities(instance, kind):
    return {x["id"]: x["quantity"] for x in instance[kind]}


def _deliver(world, shipment, *, shipped, received):
    at = timezone.now() - dt.timedelta(days=3)
    steps = [
        (S.READY, {}),
        (S.DEPARTED, {"quantity": shipped}),
        (S.AT_HUB, {"quantity": shipped}),
        (S.DEPARTED_HUB, {}),
        (S.HANDED_OVER, {"quantity": received, **SIGNED}),
    ]
    result = ingest(
        world,
        [event(shipment, s, at + dt.timedelta(hours=n), **f) for n, (s, f) in enumerate(steps)],
    )
    assert not result.rejected, result.rejected
    result = ingest(
        world,
        [event(shipment, S.RECEIVED, at + dt.timedelta(hours=9), quantity=received, **SIGNED)],
        role=Role.RECIPIENT_LIAISON,
    )
    assert not result.rejected, result.rejected


@pytest.fixture
def committed(world, situation):
    """The plan committed: R-000001 (300) from P-000001 (200, DE) and P-000002 (100, PL);
    R-000002 (400) gets the 150 left of P-000002."""
    coordinator = world.users[Role.COORDINATOR]
    plan = _solve(coordinator, planning_start=situation["start"])
    run_commit(actor=coordinator, run=plan)
    german = Shipment.objects.get(donor=world.nations["DE"])
    polish = Shipment.objects.get(donor=world.nations["PL"])
    assert german.lines.get().quantity == 200
    assert sorted(line.quantity for line in polish.lines.all()) == [100, 150]
    return {**situation, "plan": plan, "german_shipment": german, "polish_shipment": polish}


def test_the_next_run_plans_exactly_the_residual(world, committed):
    from coordcell.readiness.models import CapabilityPackage, PackageItem
    from coordcell.readiness.services import recompute_for_capabilities

    coordinator = world.users[Role.COORDINATOR]
    urgent, routine = committed["urgent"], committed["routine"]
    german_pledge, polish_pledge = committed["german"], committed["polish"]
    package = CapabilityPackage.objects.create(
        reference="CP-01", name="Artillery battalion 1", capability=world.capability
    )
    PackageItem.objects.create(package=package, requirement=urgent, role="end_item")

    def end_items_date():
        # What the commit's after-commit recompute does (it waits for the commit, which a test
        # inside one transaction never reaches).
        recompute_for_capabilities([world.capability.pk], cause="test")
        package.refresh_from_db()
        return package.components.get("end items", {}).get("date")

    # Nothing moved yet: nothing is left to plan but the routine requirement's 250.
    first_again = _solve(coordinator, planning_start=committed["start"])
    assert _quantities(_instance(first_again), "demands") == {"R-000002": 250}
    assert _quantities(_instance(first_again), "supplies") == {}

    # The German shipment: 200 leave, 198 arrive (2 lost), and 3 of those are damaged.
    shipment = committed["german_shipment"]
    _deliver(world, shipment, shipped=200, received=198)
    discrepancy_record(
        actor=world.users[Role.RECIPIENT_LIAISON],
        shipment=shipment,
        kind=Discrepancy.Kind.DAMAGED,
        description="3 rounds with dented casings",
        line_id=shipment.lines.get().pk,
        quantity=3,
    )
    # The Polish shipment is cancelled before it leaves: the package's end items are not
    # covered (2 were lost, 100 will not come).
    shipment_cancel(
        actor=coordinator, shipment=committed["polish_shipment"], reason="Convoy withdrawn."
    )
    assert end_items_date() is None

    ledger = requirement_ledgers([urgent.pk, routine.pk])
    assert ledger[urgent.pk].as_dict() == {
        "required": 300,
        "allocated": 0,
        "in_transit": 0,
        "received_serviceable": 195,
        "received_damaged": 3,
        "lost": 2,
        "written_off": 0,
        "open": 105,
        "over_covered": 0,
        "cancelled": False,
        "undisclosed": False,
    }
    assert ledger[routine.pk].open == 400
    pledges = pledge_ledgers([german_pledge.pk, polish_pledge.pk])
    assert pledges[german_pledge.pk].as_dict() == {
        "offered": 200,
        "allocated": 0,
        "shipped": 0,
        "delivered": 198,
        "delivered_before": 0,
        "lost": 2,
        "released": 0,
        "withdrawn": 0,
        "free": 0,
        "over_allocated": 0,
        "undisclosed": False,
    }
    assert pledges[polish_pledge.pk].released == 250
    assert pledges[polish_pledge.pk].free == 250
    # The stored figures follow the ledger: the requirement is partly fulfilled, the Polish
    # pledge's allocation is released.
    assert Requirement.objects.get(pk=urgent.pk).status == Requirement.Status.PARTLY_FULFILLED
    assert Requirement.objects.get(pk=routine.pk).status == Requirement.Status.OPEN
    assert Pledge.objects.get(pk=polish_pledge.pk).allocated_quantity == 0
    assert Pledge.objects.get(pk=german_pledge.pk).allocated_quantity == 200

    # The next run's exported input holds exactly the residual.
    second = _solve(coordinator, planning_start=committed["start"])
    instance = _instance(second)
    assert _quantities(instance, "demands") == {"R-000001": 105, "R-000002": 400}
    assert _quantities(instance, "supplies") == {"P-000002": 250}
    run_commit(actor=coordinator, run=second)
    # Covered again by the new plan: the end items have a date again.
    assert end_items_date() is not None
    second.refresh_from_db()
    assert second.status == AllocationRun.Status.COMMITTED
    ledger = requirement_ledgers([urgent.pk, routine.pk])
    assert ledger[urgent.pk].allocated == 105
    assert ledger[urgent.pk].open == 0
    assert ledger[routine.pk].allocated == 145
    assert Requirement.objects.get(pk=urgent.pk).status == Requirement.Status.PARTLY_FULFILLED
    assert Pledge.objects.get(pk=polish_pledge.pk).allocated_quantity == 250

    # Who was told: the cancelled shipment's donor, the recipient and the auditor (not the
    # coordinator who cancelled it, not the other donor); the damage to those who see it.
    from coordcell.notifications.models import Kind, Notification

    def told(kind):
        return set(
            Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True)
        )

    assert told(Kind.SHIPMENT_CANCELLED) == {"donor-pl", "recipient", "audit"}
    assert told(Kind.DISCREPANCY_OPENED) >= {"coord", "audit", "donor-de"}
    assert "donor-pl" not in told(Kind.DISCREPANCY_OPENED)
    assert "trainer" not in told(Kind.SHIPMENT_CANCELLED) | told(Kind.DISCREPANCY_OPENED)


def test_a_raised_pledge_and_a_withdrawn_one_reach_the_next_run(world, committed):
    coordinator = world.users[Role.COORDINATOR]
    german = Pledge.objects.get(pk=committed["german"].pk)
    german.quantity = 260
    pledge_save(actor=coordinator, pledge=german, expected_version=german.version)
    run = _solve(coordinator, planning_start=committed["start"])
    assert _quantities(_instance(run), "supplies") == {"P-000001": 60}

    polish = Pledge.objects.get(pk=committed["polish"].pk)
    polish.status = Pledge.Status.WITHDRAWN
    with pytest.raises(Exception, match="cancel them first"):
        pledge_save(actor=coordinator, pledge=polish, expected_version=polish.version)
    shipment_cancel(
        actor=coordinator, shipment=committed["polish_shipment"], reason="Donor withdrew."
    )
    polish = Pledge.objects.get(pk=committed["polish"].pk)
    polish.status = Pledge.Status.WITHDRAWN
    pledge_save(actor=coordinator, pledge=polish, expected_version=polish.version)
    ledger = pledge_ledgers([polish.pk])[polish.pk]
    assert (ledger.withdrawn, ledger.free, ledger.allocated) == (250, 0, 0)
    run = _solve(coordinator, planning_start=committed["start"])
    assert _quantities(_instance(run), "supplies") == {"P-000001": 60}
    assert _quantities(_instance(run), "demands") == {"R-000001": 100, "R-000002": 400}


def test_a_replan_from_a_week_releases_the_planned_shipments_and_keeps_what_moved(world, committed):
    coordinator = world.users[Role.COORDINATOR]
    _deliver(world, committed["german_shipment"], shipped=200, received=200)
    replan = _solve(coordinator, planning_start=committed["start"], replan_from=committed["start"])
    instance = _instance(replan)
    # The Polish shipment has not moved: its 250 are free again and its requirements open.
    assert _quantities(instance, "supplies") == {"P-000002": 250}
    assert _quantities(instance, "demands") == {"R-000001": 100, "R-000002": 400}
    # Nothing changed yet: the planned shipment still stands until the re-plan is committed.
    assert Shipment.objects.get(pk=committed["polish_shipment"].pk).status == S.PLANNED
    run_commit(actor=coordinator, run=replan)
    assert Shipment.objects.get(pk=committed["polish_shipment"].pk).status == S.CANCELLED
    assert Shipment.objects.get(pk=committed["german_shipment"].pk).status == S.RECEIVED
    ledger = requirement_ledgers([committed["urgent"].pk])[committed["urgent"].pk]
    assert (ledger.received_serviceable, ledger.allocated, ledger.open) == (200, 100, 0)


def test_a_replan_tells_each_reader_once_of_the_shipments_it_replaced(world, committed):
    from coordcell.notifications.models import Kind, Notification

    coordinator = world.users[Role.COORDINATOR]
    replan = _solve(coordinator, planning_start=committed["start"], replan_from=committed["start"])
    run_commit(actor=coordinator, run=replan)
    german, polish = committed["german_shipment"], committed["polish_shipment"]
    told = Notification.objects.filter(kind=Kind.SHIPMENT_CANCELLED)
    auditor = told.get(recipient=world.users[Role.AUDITOR])  # one notice for both
    assert german.reference in auditor.body and polish.reference in auditor.body
    assert replan.reference in auditor.subject
    german_liaison = told.get(recipient__role=Role.DONOR_LIAISON, recipient__nation__code="DE")
    assert german.reference in german_liaison.body
    assert polish.reference not in german_liaison.body  # another nation's shipment
    assert not told.filter(recipient=coordinator).exists()  # the actor knows what they did
    assert told.values("recipient").distinct().count() == told.count()


def test_a_what_if_on_a_committed_plan_works(world, committed):
    coordinator = world.users[Role.COORDINATOR]
    whatif = run_execute(
        run_create(
            actor=coordinator,
            enqueue=False,
            planning_start=committed["start"],
            changes=[{"type": "withdraw_pledge", "pledge": "P-000001"}],
            base_run=committed["plan"],
        ).pk
    )
    assert whatif.status == AllocationRun.Status.SOLVED, whatif.error
    instance = _instance(whatif)
    assert _quantities(instance, "supplies") == {"P-000002": 250}
    assert _quantities(instance, "demands") == {"R-000001": 300, "R-000002": 400}
    assert sum(line.quantity for line in whatif.lines.all()) == 250


def test_pages_show_the_ledger_the_replan_and_the_readiness_effect(world, committed, client_for):
    from coordcell.readiness.models import CapabilityPackage, PackageItem

    coordinator = world.users[Role.COORDINATOR]
    urgent = committed["urgent"]
    package = CapabilityPackage.objects.create(
        reference="CP-01", name="Artillery battalion 1", capability=world.capability
    )
    PackageItem.objects.create(package=package, requirement=urgent, role="end_item")
    shipment = committed["german_shipment"]
    _deliver(world, shipment, shipped=200, received=200)

    page = client_for(coordinator).get(f"/requirements/{urgent.pk}/").content.decode()
    assert "Where the units stand" in page
    assert "Received serviceable" in page and "In transit" not in page
    assert shipment.reference in page and committed["polish_shipment"].reference in page
    donor = client_for(world.users[Role.DONOR_LIAISON]).get(f"/requirements/{urgent.pk}/")
    if donor.status_code == 200:  # a donor reads the need, not how other nations cover it
        assert "Open (the next plan" in donor.content.decode()
        assert "Received serviceable" not in donor.content.decode()
    pledge_page = client_for(coordinator).get(f"/pledges/{committed['polish'].pk}/")
    assert "Free (the next plan" in pledge_page.content.decode()

    # A what-if on the committed plan: without the Polish pledge, R-000001 is no longer
    # covered (200 received, the 100 Polish rounds gone), and the compare page says what that
    # does to the package.
    whatif = run_execute(
        run_create(
            actor=coordinator,
            enqueue=False,
            planning_start=committed["start"],
            changes=[{"type": "withdraw_pledge", "pledge": "P-000002"}],
            base_run=committed["plan"],
        ).pk
    )
    compare = client_for(coordinator).get(f"/allocation/{whatif.pk}/compare/").content.decode()
    assert "Artillery battalion 1" in compare
    assert "end items no longer covered within the plan" in compare

    # A re-plan names the planned shipments its commit would cancel.
    replan = _solve(coordinator, planning_start=committed["start"], replan_from=committed["start"])
    detail = client_for(coordinator).get(f"/allocation/{replan.pk}/").content.decode()
    assert committed["polish_shipment"].reference in detail
    assert "committing it cancels 1 planned shipment" in detail


def test_exports_carry_the_ledger_as_each_reader_may_read_it(world, committed, client_for):
    import csv
    import io

    _deliver(world, committed["german_shipment"], shipped=200, received=198)

    def export(role, slug):
        response = client_for(world.users[role]).get(f"/export/{slug}/?format=csv")
        assert response.status_code == 200
        text = b"".join(response.streaming_content).decode("utf-8-sig")
        return list(csv.DictReader(io.StringIO(text)))

    rows = {r["reference"]: r for r in export(Role.COORDINATOR, "requirements")}
    assert rows["R-000001"]["ledger: received serviceable"] == "198"
    assert rows["R-000001"]["ledger: lost"] == "2"
    assert rows["R-000001"]["ledger: allocated"] == "100"
    assert rows["R-000002"]["ledger: open"] == "250"
    donor_rows = export(Role.DONOR_LIAISON, "requirements")
    if donor_rows:
        assert not any(k.startswith("ledger: received") for k in donor_rows[0])
    pledges = {r["reference"]: r for r in export(Role.COORDINATOR, "pledges")}
    assert pledges["P-000001"]["ledger: delivered"] == "198"
    assert pledges["P-000002"]["ledger: allocated"] == "250"


def test_a_hub_closure_and_committed_use_reach_the_next_run(world, committed):
    from coordcell.registry.services import hub_capacity_close

    coordinator = world.users[Role.COORDINATOR]
    start = committed["start"]
    hub_capacity_close(
        coordinator,
        world.hub,
        "artillery",
        start + dt.timedelta(weeks=2),
        start + dt.timedelta(weeks=3, days=6),
        "Strike on the railhead.",
    )
    run = _solve(coordinator, planning_start=start)
    [hub] = _instance(run)["hubs"]
    assert hub["capacity"] == {"artillery": 1000}
    left = {(x["domain"], x["period"]): x["units"] for x in hub["period_capacity"]}
    assert left[("artillery", 2)] == left[("artillery", 3)] == 0
    # The committed shipments take 450 rounds through the hub in their week.
    used = {k: v for k, v in left.items() if v not in (0, 1000)}
    assert sorted(used.values()) == [550]


@pytest.mark.parametrize(
    ("resolution", "serviceable", "damaged", "written_off", "open_"),
    [
        ("found", 200, 0, 0, 0),  # not damaged after all
        ("written_off", 195, 0, 5, 5),  # gone for good: the demand stays open
        ("replaced", 195, 5, 0, 5),  # the donor replaces them: open until they arrive
    ],
)
def test_a_damage_resolution_moves_the_ledger(
    world, committed, resolution, serviceable, damaged, written_off, open_
):
    from coordcell.logistics.discrepancies import discrepancy_resolve

    shipment = committed["german_shipment"]
    _deliver(world, shipment, shipped=200, received=200)
    discrepancy = discrepancy_record(
        actor=world.users[Role.RECIPIENT_LIAISON],
        shipment=shipment,
        kind=Discrepancy.Kind.DAMAGED,
        description="5 rounds cracked",
        line_id=shipment.lines.get().pk,
        quantity=5,
    )
    urgent = committed["urgent"]
    # 200 received, 5 of them damaged; the Polish 100 are still planned.
    assert requirement_ledgers([urgent.pk])[urgent.pk].open == 5
    discrepancy_resolve(
        actor=world.users[Role.COORDINATOR],
        discrepancy=discrepancy,
        resolution=resolution,
        note="Decided with the donor.",
    )
    ledger = requirement_ledgers([urgent.pk])[urgent.pk]
    assert (
        ledger.received_serviceable,
        ledger.received_damaged,
        ledger.written_off,
        ledger.open,
    ) == (serviceable, damaged, written_off, open_)
    run = _solve(world.users[Role.COORDINATOR], planning_start=committed["start"])
    assert _quantities(_instance(run), "demands").get("R-000001", 0) == open_


def test_the_reports_page_sums_the_ledger_per_category(world, committed, client_for):
    _deliver(world, committed["german_shipment"], shipped=200, received=198)
    page = client_for(world.users[Role.COORDINATOR]).get("/reports/").content.decode()
    section = page[page.index('id="ledger"') :]
    assert "Where the units stand, per category" in section
    # 700 required; 198 received serviceable, none in transit, 250 allocated (the Polish
    # shipment), 252 open (2 lost for R-000001, 250 of R-000002).
    row = section[section.index(world.category.name) :].split("</tr>")[0]
    figures = [int(x) for x in re.findall(r'class="number">(\d+)<', row)]
    assert figures[:5] == [700, 198, 0, 250, 252]
