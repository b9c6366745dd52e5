"""Capability packages written through the API: coordinators create one (name, capability by its
code) and change its name and items, versioned, audited, with the readiness pages' rules; every
other role is refused as on the pages."""

from __future__ import annotations

import datetime as dt

import pytest

from coordcell.audit.models import AuditEvent
from coordcell.readiness.models import CapabilityPackage
from coordcell.registry.models import Role
from coordcell.requirements.tests.factories import RequirementFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/capability-packages"


def _requirement(world, **kw):
    return RequirementFactory(
        category=world.category,
        capability=world.capability,
        delivery_point=world.delivery_point,
        need_by=dt.date.today() + dt.timedelta(weeks=6),
        quantity=10,
        **kw,
    )


def test_a_coordinator_creates_then_fills_a_package(
    world, api_for, django_capture_on_commit_callbacks
):
    guns = _requirement(world)
    rounds = _requirement(world)
    api = api_for(world.users[Role.COORDINATOR])
    with django_capture_on_commit_callbacks(execute=True):
        made = api.post(URL, {"name": "Battery", "capability": "SP-ARTY"}, format="json")
    assert made.status_code == 201, made.json()
    body = made.json()
    assert (body["name"], body["capability"], body["version"]) == ("Battery", "sp-arty", 1)
    assert body["reference"].startswith("CP-")
    assert made["Location"].endswith(f"{URL}/{body['id']}")
    package = CapabilityPackage.objects.get()
    assert package.computed_at is not None  # its readiness computed once it committed
    items = [
        {"requirement": guns.reference, "role": "end_item"},
        {"requirement": rounds.reference, "role": "ammunition", "tranche": 2},
    ]
    with django_capture_on_commit_callbacks(execute=True):
        changed = api.patch(
            f"{URL}/{package.pk}",
            {"name": "Battery 1", "items": items, "version": 1},
            format="json",
        )
    assert changed.status_code == 200, changed.json()
    assert changed.json()["name"] == "Battery 1"
    assert sorted(package.items.values_list("requirement__reference", "role", "tranche")) == sorted(
        [(guns.reference, "end_item", 1), (rounds.reference, "ammunition", 2)]
    )
    verbs = list(
        AuditEvent.objects.filter(
            target_type="readiness.capabilitypackage", target_id=str(package.pk)
        ).values_list("verb", flat=True)
    )
    assert {"create", "update", "package-items"} <= set(verbs)
    # A stale version: 409, nothing changed.
    stale = api.patch(f"{URL}/{package.pk}", {"name": "Other", "version": 1}, format="json")
    assert stale.status_code == 409
    assert stale["Content-Type"].startswith("application/problem+json")
    package.refresh_from_db()
    assert package.name == "Battery 1"
    # Without a version: 400, asking for it.
    missing = api.patch(f"{URL}/{package.pk}", {"name": "Other"}, format="json")
    assert missing.status_code == 400
    assert any(e["field"] == "version" for e in missing.json()["errors"])


def test_bad_input_is_answered_with_every_problem(world, api_for):
    api = api_for(world.users[Role.COORDINATOR])
    unknown = api.post(URL, {"name": "Battery", "capability": "nope"}, format="json")
    assert unknown.status_code == 400
    assert unknown.json()["errors"][0]["field"] == "capability"
    assert api.post(URL, {"capability": "sp-arty"}, format="json").status_code == 400
    made = api.post(URL, {"name": "Battery", "capability": "sp-arty"}, format="json").json()
    # One package per capability, as the page offers.
    again = api.post(URL, {"name": "Second", "capability": "sp-arty"}, format="json")
    assert again.status_code == 400
    assert CapabilityPackage.objects.count() == 1
    # Items: unknown references, twice the same: all at once, nothing stored.
    guns = _requirement(world)
    answer = api.put(
        f"{URL}/{made['id']}",
        {
            "name": "Battery",
            "version": made["version"],
            "items": [
                {"requirement": guns.reference, "role": "end_item"},
                {"requirement": "R-NOPE", "role": "end_item"},
                {"requirement": guns.reference, "role": "spares"},
            ],
        },
        format="json",
    )
    assert answer.status_code == 400, answer.json()
    fields = [e["field"] for e in answer.json()["errors"]]
    assert "items[1].requirement" in fields or any("items" in f for f in fields)
    assert len(fields) == 2
    assert not CapabilityPackage.objects.get().items.exists()
    moved = api.patch(
        f"{URL}/{made['id']}", {"capability": "other", "version": made["version"]}, format="json"
    )
    assert moved.status_code == 400


@pytest.mark.parametrize(
    "role",
    [Role.AUDITOR, Role.DONOR_LIAISON, Role.RECIPIENT_LIAISON, Role.TRAINING_SITE_OFFICER],
)
def test_other_roles_are_refused_and_audited(world, api_for, role):
    coordinator = api_for(world.users[Role.COORDINATOR])
    made = coordinator.post(URL, {"name": "Battery", "capability": "sp-arty"}, format="json")
    pk = made.json()["id"]
    api = api_for(world.users[role])
    refused = AuditEvent.objects.filter(verb="access-refused").count()
    created = api.post(URL, {"name": "Mine", "capability": "sp-arty"}, format="json")
    assert created.status_code == 403
    changed = api.patch(f"{URL}/{pk}", {"name": "Mine", "version": 1}, format="json")
    # Who sees the package is told it is not theirs to change; who does not, that it is not there.
    assert changed.status_code in (403, 404)
    assert AuditEvent.objects.filter(verb="access-refused").count() == refused + 2
    assert CapabilityPackage.objects.get().name == "Battery"
    assert CapabilityPackage.objects.count() == 1
