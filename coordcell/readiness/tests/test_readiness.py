"""A package's readiness date, critical path and bottleneck, and how they move."""

import datetime as dt

import pytest

from coordcell.logistics.models import Shipment
from coordcell.logistics.services import shipments_create_for_lines
from coordcell.pledges.services import pledge_save
from coordcell.readiness import services
from coordcell.readiness.models import PackageItem, ReadinessChange
from coordcell.readiness.wording import Wording
from coordcell.registry.models import Role
from coordcell.requirements.tests.factories import RequirementFactory
from coordcell.training import services as training_services
from coordcell.training.tests.factories import make_cohort, make_session

pytestmark = pytest.mark.django_db


def _reload(p):  # type: ignore[no-untyped-def]
    p.package.refresh_from_db()
    return p.package


CELL = Wording.for_the_cell()  # the cell's words: what coordinators and auditors read


def _words(pkg):  # type: ignore[no-untyped-def]
    return CELL.bottleneck(pkg)


def _labels(pkg):  # type: ignore[no-untyped-def]
    return [s.label for s in CELL.critical_path(pkg)]


def test_readiness_is_the_latest_of_end_items_crews_and_sustainment(package):
    pkg = _reload(package)
    assert pkg.ready_on == package.week(3)  # guns arrive week 3; crew trained week 2; rounds 1
    assert pkg.components["crews"]["date"] == str(package.week(2))
    assert pkg.components["sustainment"]["date"] == str(package.week(1))
    assert _words(pkg).startswith("delivery of R-000042")
    # Booked, not yet recorded completed: the date is expected, the package not shown ready.
    assert _labels(pkg)[-1] == "PzH 2000 battery expected ready (crews not yet recorded trained)"


def test_a_pledge_slip_moves_the_date_and_names_the_new_bottleneck(
    world, package, django_capture_on_commit_callbacks
):
    pledge = package.pledge
    pledge.available_from = package.week(5)  # was due to leave in week 0
    # Saving the pledge recomputes the packages it serves (once it commits): no separate call.
    with django_capture_on_commit_callbacks(execute=True):
        pledge_save(actor=world.users[Role.COORDINATOR], pledge=pledge)
    changes = list(ReadinessChange.objects.filter(cause=f"pledge {pledge.reference} changed"))

    pkg = _reload(package)
    assert pkg.ready_on == package.week(8)  # three weeks in transit, from week 5
    assert _words(pkg).startswith(f"pledge {pledge.reference} slipped")
    assert "35 days" in _words(pkg)
    [change] = changes
    assert (change.before_date, change.after_date) == (package.week(3), package.week(8))
    assert change.after_bottleneck == pkg.bottleneck
    assert ReadinessChange.objects.filter(package=pkg).count() == 1


def test_a_slip_on_a_planned_shipment_counts_too(world, package):
    [shipment] = shipments_create_for_lines(
        actor=world.users[Role.COORDINATOR], lines=[package.gun_line]
    )
    services.recompute_for_shipments([shipment.pk], cause="shipments planned")
    before = _reload(package).ready_on
    pledge = package.pledge
    pledge.available_from = shipment.planned_departure + dt.timedelta(days=14)
    pledge.save()
    services.recompute_for_pledges([pledge.pk], cause="pledge slipped")
    pkg = _reload(package)
    assert pkg.ready_on == max(before, shipment.planned_arrival + dt.timedelta(days=14))
    assert f"pledge {pledge.reference} slipped" in _words(pkg)
    assert shipment.reference in "".join(_labels(pkg))


def test_a_later_eta_of_a_shipment_moves_readiness(world, package):
    [shipment] = shipments_create_for_lines(
        actor=world.users[Role.COORDINATOR], lines=[package.gun_line]
    )
    Shipment.objects.filter(pk=shipment.pk).update(
        eta=shipment.planned_arrival + dt.timedelta(days=10)
    )
    services.recompute_for_shipments([shipment.pk], cause=f"ETA of {shipment.reference}")
    pkg = _reload(package)
    assert pkg.ready_on == shipment.planned_arrival + dt.timedelta(days=10)
    assert _words(pkg).startswith(f"shipment {shipment.reference}")
    assert "delayed 10 days" in _words(pkg)
    assert pkg.changes.first().cause == f"ETA of {shipment.reference}"


def test_an_unallocated_end_item_leaves_the_package_without_a_date(world, package):
    extra = RequirementFactory(
        reference="R-000099",
        category=package.guns.category,
        capability=world.capability,
        delivery_point=world.delivery_point,
        quantity=2,
    )
    PackageItem.objects.create(package=package.package, requirement=extra, role="end_item")
    services.recompute_for_requirements([extra.pk], cause="R-000099 added")
    pkg = _reload(package)
    assert pkg.ready_on is None
    assert _words(pkg) == "requirement R-000099 not allocated (0 of 2 covered)"


def test_crews_trained_late_are_the_bottleneck(world, package, django_capture_on_commit_callbacks):
    coordinator = world.users[Role.COORDINATOR]
    late = make_session(package.op, package.site, package.week(6))
    cohort = make_cohort(world, [package.op], trainees=6)
    with django_capture_on_commit_callbacks(execute=True):
        training_services.booking_create(actor=coordinator, cohort=cohort, session=late)
    pkg = _reload(package)
    assert pkg.ready_on == package.week(8)
    assert _words(pkg).startswith(f"training of cohort {cohort.reference}")
    change = pkg.changes.first()
    assert change.cause == f"{cohort.reference} booked on {late.reference}"
    assert (change.before_date, change.after_date) == (package.week(3), package.week(8))


def test_an_unbooked_cohort_is_the_bottleneck(world, package):
    make_cohort(world, [package.op], trainees=6)
    services.recompute_for_capabilities([world.capability.pk], cause="new cohort")
    pkg = _reload(package)
    assert pkg.ready_on is None
    assert "not booked on course m109-op" in _words(pkg)


def test_cancelling_a_session_recomputes_its_cohorts_packages(
    world, package, django_capture_on_commit_callbacks
):
    session = package.session
    session.status = session.Status.CANCELLED
    with django_capture_on_commit_callbacks(execute=True):
        training_services.session_save(actor=world.users[Role.COORDINATOR], session=session)
    pkg = _reload(package)
    assert pkg.ready_on is None
    assert f"cohort {package.cohort.reference}" in _words(pkg)
    assert pkg.changes.first().cause == f"session {session.reference} cancelled"


def test_the_admin_saves_a_package_through_its_action(world, client_for):
    from coordcell.audit.models import AuditEvent
    from coordcell.readiness.models import CapabilityPackage
    from coordcell.requirements.tests.factories import RequirementFactory

    requirement = RequirementFactory(
        category=world.category, capability=world.capability, delivery_point=world.delivery_point
    )
    coordinator = world.users[Role.COORDINATOR]
    coordinator.is_staff = coordinator.is_superuser = True
    coordinator.save()
    answer = client_for(coordinator).post(
        "/admin/readiness/capabilitypackage/add/",
        {
            "name": "Guns",
            "capability": world.capability.pk,
            "items-TOTAL_FORMS": 1,
            "items-INITIAL_FORMS": 0,
            "items-0-requirement": requirement.pk,
            "items-0-role": "end_item",
            "items-0-tranche": 1,
        },
    )
    assert answer.status_code == 302, [
        line for line in answer.content.decode().splitlines() if "errorlist" in line
    ]
    package = CapabilityPackage.objects.get()
    assert package.reference.startswith("CP-")
    assert list(package.items.values_list("requirement_id", flat=True)) == [requirement.pk]
    assert AuditEvent.objects.filter(verb="package-items", target_id=str(package.pk)).exists()
