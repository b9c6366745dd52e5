"""A capability package: four howitzers (end items), a crew cohort, a first tranche of rounds."""

import datetime as dt
from types import SimpleNamespace

import pytest

from coordcell.allocation.models import AllocationLine, AllocationRun
from coordcell.logistics.models import Shipment
from coordcell.logistics.services import shipments_create_for_lines
from coordcell.pledges.tests.factories import PledgeFactory
from coordcell.readiness import services
from coordcell.readiness.models import CapabilityPackage, PackageItem
from coordcell.registry.models import Role
from coordcell.registry.tests.factories import ItemCategoryFactory
from coordcell.requirements.tests.factories import RequirementFactory
from coordcell.training import services as training_services
from coordcell.training.tests.factories import (
    make_cohort,
    make_courses,
    make_session,
    make_site,
    next_monday,
)


def allocate(world, run, requirement, *, donor="DE", arrival_week, start):  # type: ignore[no-untyped-def]
    pledge = PledgeFactory(
        donor=world.nations[donor],
        origin=world.depots[donor],
        category=requirement.category,
        quantity=requirement.quantity,
        available_from=start,
    )
    return AllocationLine.objects.create(
        run=run,
        pledge=pledge,
        requirement=requirement,
        hub=world.hub,
        quantity=requirement.quantity,
        dispatch_week=0,
        hub_week=1,
        arrival_week=arrival_week,
    )


@pytest.fixture
def package(world, django_capture_on_commit_callbacks):
    start = next_monday()
    coordinator = world.users[Role.COORDINATOR]
    howitzer = ItemCategoryFactory(code="pzh2000", name="PzH 2000", unit="system", nsc="1025")
    guns = RequirementFactory(
        reference="R-000042",
        category=howitzer,
        capability=world.capability,
        delivery_point=world.delivery_point,
        quantity=4,
    )
    rounds = RequirementFactory(
        reference="R-000043",
        category=world.category,
        capability=world.capability,
        delivery_point=world.delivery_point,
        quantity=400,
    )
    run = AllocationRun.objects.create(
        reference="A-00001", status=AllocationRun.Status.COMMITTED, planning_start=start
    )
    gun_line = allocate(world, run, guns, arrival_week=3, start=start)
    allocate(world, run, rounds, donor="PL", arrival_week=1, start=start)
    op, _mnt = make_courses(world)
    site = make_site(world, "GB", "salisbury-plain", [op])
    session = make_session(op, site, start)  # two weeks: trained from start + 2 weeks
    cohort = make_cohort(world, [op], trainees=12)
    # Readiness is recomputed once a write commits: run the callbacks of these writes' commit
    # (one recompute for both, as they share the test's transaction).
    with django_capture_on_commit_callbacks(execute=True):
        training_services.booking_create(actor=coordinator, cohort=cohort, session=session)
        pkg = services.package_save(
            actor=coordinator,
            package=CapabilityPackage(name="PzH 2000 battery", capability=world.capability),
            items=[(guns, PackageItem.Role.END_ITEM, 1), (rounds, PackageItem.Role.AMMUNITION, 1)],
        )
    pkg.refresh_from_db()
    return SimpleNamespace(
        package=pkg,
        start=start,
        guns=guns,
        rounds=rounds,
        gun_line=gun_line,
        pledge=gun_line.pledge,
        cohort=cohort,
        session=session,
        op=op,
        site=site,
        run=run,
        week=lambda n: start + dt.timedelta(weeks=n),
    )


@pytest.fixture
def estate(world, package, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    """The package with Germany's guns and Poland's rounds each on a shipment (ETAs on a
    Wednesday, a date nothing else has), and a second crew cohort booked at a German site."""
    coordinator = world.users[Role.COORDINATOR]
    rounds_line = package.run.lines.get(requirement=package.rounds)
    guns, rounds = shipments_create_for_lines(
        actor=coordinator, lines=[package.gun_line, rounds_line]
    )
    assert (guns.donor.code, rounds.donor.code) == ("DE", "PL")
    # ETAs on a Wednesday, a date nothing else on the pages has.
    Shipment.objects.filter(pk=guns.pk).update(eta=package.week(4) + dt.timedelta(days=2))
    Shipment.objects.filter(pk=rounds.pk).update(eta=package.week(1) + dt.timedelta(days=2))
    german_site = make_site(world, "DE", "grafenwoehr", [package.op])
    late_session = make_session(package.op, german_site, package.week(7))
    german_cohort = make_cohort(world, [package.op], trainees=5)
    with django_capture_on_commit_callbacks(execute=True):
        training_services.booking_create(
            actor=coordinator, cohort=german_cohort, session=late_session
        )
    services.recompute_for_shipments([guns.pk, rounds.pk], cause="ETAs")
    package.package.refresh_from_db()
    guns.refresh_from_db()
    rounds.refresh_from_db()
    return SimpleNamespace(
        package=package.package,
        guns=guns,
        rounds=rounds,
        german_site=german_site,
        late_session=late_session,
        german_cohort=german_cohort,
        british_cohort=package.cohort,
        p=package,
    )
