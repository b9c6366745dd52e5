"""A coordinator defines a capability package on pages (name, capability, then which of the
capability's requirements it holds in which role); others cannot; the cell reads its history."""

import pytest

from coordcell.audit.models import AuditEvent
from coordcell.readiness.models import CapabilityPackage, PackageItem
from coordcell.registry.models import Role
from coordcell.registry.tests.factories import CapabilityFactory
from coordcell.requirements.tests.factories import RequirementFactory

pytestmark = pytest.mark.django_db


def test_the_coordinator_creates_a_package_then_chooses_its_contents(world, client_for):
    client = client_for(world.users[Role.COORDINATOR])
    capability = CapabilityFactory(code="ad-battery", name="Air defence battery")
    launchers = RequirementFactory(
        capability=capability, delivery_point=world.delivery_point, quantity=2
    )
    missiles = RequirementFactory(
        capability=capability, delivery_point=world.delivery_point, quantity=40
    )
    form = client.get("/readiness/new/").content.decode()
    assert "Air defence battery" in form
    answer = client.post("/readiness/new/", {"name": "IRIS-T battery", "capability": capability.pk})
    package = CapabilityPackage.objects.get(capability=capability)
    assert answer.status_code == 302 and answer["Location"] == f"/readiness/{package.pk}/edit/"
    page = client.get(f"/readiness/{package.pk}/edit/").content.decode()
    assert launchers.reference in page and missiles.reference in page
    answer = client.post(
        f"/readiness/{package.pk}/edit/",
        {
            "name": "IRIS-T SLM battery",
            "version": package.version,
            f"role_{launchers.pk}": "end_item",
            f"tranche_{launchers.pk}": "1",
            f"role_{missiles.pk}": "ammunition",
            f"tranche_{missiles.pk}": "2",
        },
    )
    assert answer.status_code == 302
    package.refresh_from_db()
    assert package.name == "IRIS-T SLM battery"
    assert sorted(package.items.values_list("requirement_id", "role", "tranche")) == sorted(
        [(launchers.pk, "end_item", 1), (missiles.pk, "ammunition", 2)]
    )
    assert AuditEvent.objects.filter(verb="package-items", target_id=str(package.pk)).exists()
    detail = client_for(world.users[Role.AUDITOR]).get(f"/readiness/{package.pk}/")
    history = detail.content.decode().split('id="history"')[1]
    assert "package-items" in history and "IRIS-T SLM battery" in history
    assert "Edit the package" not in detail.content.decode()  # the auditor changes nothing


def test_bad_input_keeps_what_was_typed_and_says_what_is_wrong(world, client_for, package):
    client = client_for(world.users[Role.COORDINATOR])
    pkg = package.package
    answer = client.post(
        f"/readiness/{pkg.pk}/edit/",
        {
            "name": "",
            "version": pkg.version,
            f"role_{package.guns.pk}": "end_item",
            f"tranche_{package.guns.pk}": "1",
            f"role_{package.rounds.pk}": "ammunition",
            f"tranche_{package.rounds.pk}": "0",
        },
    )
    text = answer.content.decode()
    assert answer.status_code == 400
    assert "This field is required." in text
    assert "greater than or equal to 1" in text
    assert 'value="0"' in text  # the tranche typed is still there
    assert pkg.items.get(requirement=package.rounds).tranche == 1  # nothing saved


def test_a_stale_edit_is_refused(world, client_for, package):
    client = client_for(world.users[Role.COORDINATOR])
    pkg = package.package
    answer = client.post(
        f"/readiness/{pkg.pk}/edit/", {"name": "Renamed", "version": pkg.version - 1 or 99}
    )
    assert answer.status_code == 400 and "changed this package meanwhile" in answer.content.decode()
    assert CapabilityPackage.objects.get(pk=pkg.pk).name == "PzH 2000 battery"


@pytest.mark.parametrize(
    "role", [Role.DONOR_LIAISON, Role.RECIPIENT_LIAISON, Role.TRAINING_SITE_OFFICER, Role.AUDITOR]
)
def test_only_the_coordinator_defines_packages(world, client_for, package, role):
    client = client_for(world.users[role])
    assert client.get("/readiness/new/").status_code in (403, 404)
    assert client.post(f"/readiness/{package.package.pk}/edit/", {"name": "x"}).status_code in (
        403,
        404,
    )
    assert CapabilityPackage.objects.get(pk=package.package.pk).name == "PzH 2000 battery"
    assert PackageItem.objects.filter(package=package.package).count() == 2
