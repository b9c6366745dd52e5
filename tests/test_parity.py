"""Parity (issue 17): for each record type, the same change through a page, the API and an import
ends in the same stored record, the same audit event and the same consequences, because all
three hand it to the record's own actions.

One table, ``CASES``: per record type, how each entry point makes the change and what every one
of them must leave behind (``outcome``: the stored values, the audit events, the consequences,
free of what legitimately differs: ids, times of recording, a reference the counter gives).
Pledges, requirements and locations are driven the same way in ``tests/test_one_write_path.py``
(the pledge that slips a package's readiness date, the past need-by date every entry point
refuses); they are not repeated here.

Entry points that do not exist, so have nothing to compare:
- capability packages: no API write (``/api/v1/capability-packages`` reads only); the page is
  the admin's;
- shipments (planned from the allocation commit or by hand on the page): no API create and no
  import yet;
- discrepancies, training sessions, allocation runs and their commits: a page and the API, no
  import (tests/test_one_write_path.py and each app's tests hold their page/API paths).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from coordcell.audit.models import AuditEvent
from coordcell.exchange.engine import run_import
from coordcell.exchange.specs import SPECS
from coordcell.logistics.lifecycle import S
from coordcell.logistics.models import Shipment, ShipmentEvent
from coordcell.logistics.tests.factories import make_shipment
from coordcell.notifications.models import Notification
from coordcell.readiness.models import CapabilityPackage
from coordcell.registry.models import HubCapacity, Role
from coordcell.training.models import Cohort
from coordcell.training.tests.factories import make_courses

from .test_one_write_path import _api, _csv

pytestmark = pytest.mark.django_db

# Audit data that differs by nature between two records made the same way.
VOLATILE = {"id", "created_at", "recorded_at", "client_id", "reference", "computed_at"}


@dataclass
class Scene:
    world: Any
    tmp_path: Path
    thing: Any = None  # what the case set up (a shipment, ...)

    def user(self, role: str = Role.COORDINATOR) -> Any:
        return self.world.users[role]

    def page(self, role: str = Role.COORDINATOR) -> Client:
        client = Client()
        client.force_login(self.user(role))
        return client

    def api(self, role: str = Role.COORDINATOR) -> Any:
        return _api(self.user(role), self.user())

    def import_(self, kind: str, headers: list[str], row: list[Any], role: str) -> None:
        path = _csv(self.tmp_path / f"{kind}.csv", headers, [row])
        report = run_import(spec=SPECS[kind], path=path, user=self.user(role), commit=True)
        assert report.committed and report.created + report.updated == 1, report.errors


def _events_of(target: Any) -> list[tuple[str, dict[str, Any]]]:
    """The audit events of one record, oldest first, without what differs by nature."""
    rows = AuditEvent.objects.filter(
        target_type=target._meta.label_lower, target_id=str(target.pk)
    ).order_by("seq")
    return [(e.verb, _stable(e.data)) for e in rows]


def _stable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _stable(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_stable(v) for v in value]
    return value


@dataclass(frozen=True)
class Case:
    kind: str
    setup: Callable[[Scene], Any]
    # entry point -> how it makes the change (None: the entry point does not exist)
    via: dict[str, Callable[[Scene], None] | None]
    outcome: Callable[[Scene], Any]


# ---- hub capacities: a cut for two weeks ahead ----

MONDAY = dt.date.today() + dt.timedelta(days=7 - dt.date.today().weekday(), weeks=1)
UNTIL = MONDAY + dt.timedelta(days=13)


def _capacity_page(scene: Scene) -> None:
    answer = scene.page().post(
        f"/hub-capacities/hubs/{scene.world.hub.pk}/",
        {
            "form": "add",
            "add-domain": "artillery",
            "add-valid_from": MONDAY.isoformat(),
            "add-valid_until": UNTIL.isoformat(),
            "add-weekly_capacity": "400",
            "add-reason": "Runway works",
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]


def _capacity_api(scene: Scene) -> None:
    answer = scene.api().post(
        "/api/v1/hub-capacities",
        {
            "hub": "rzeszow",
            "domain": "artillery",
            "valid_from": MONDAY.isoformat(),
            "valid_until": UNTIL.isoformat(),
            "weekly_capacity": 400,
            "reason": "Runway works",
        },
        format="json",
    )
    assert answer.status_code == 201, answer.json()


def _capacity_import(scene: Scene) -> None:
    scene.import_(
        "hub-capacities",
        ["Hub", "Domain", "From", "Until", "Units per week", "Reason"],
        ["rzeszow", "artillery", MONDAY.isoformat(), UNTIL.isoformat(), 400, "Runway works"],
        Role.COORDINATOR,
    )


def _capacity_outcome(scene: Scene) -> Any:
    row = HubCapacity.objects.get(valid_from=MONDAY)
    told = Notification.objects.filter(kind="capacity_cut").order_by("recipient_id")
    return (
        (row.hub.code, row.domain, row.valid_until, row.weekly_capacity, row.reason),
        (row.version, row.created_by == scene.user()),
        _events_of(row),
        [(n.recipient.username, n.subject, n.body) for n in told],  # the cut, told the cell
    )


# ---- shipment events: a shipment ready at its origin ----

READY_AT = (timezone.now() - dt.timedelta(days=1)).replace(microsecond=0, second=0)


def _ready_page(scene: Scene) -> None:
    shipment = scene.thing
    answer = scene.page().post(
        f"/logistics/shipments/{shipment.pk}/event/",
        {"status": S.READY, "occurred_at": READY_AT.strftime("%Y-%m-%d %H:%M")},
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]


def _ready_api(scene: Scene) -> None:
    event = {
        "id": "EV-1",
        "shipment": scene.thing.reference,
        "status": S.READY,
        "occurred_at": READY_AT.isoformat(),
    }
    answer = scene.api().post("/api/v1/shipment-events", {"events": [event]}, format="json")
    assert answer.status_code == 200 and answer.json()["accepted"] == 1, answer.json()


def _ready_import(scene: Scene) -> None:
    scene.import_(
        "events",
        ["Event id", "Shipment", "Status", "When"],
        ["EV-1", scene.thing.reference, "ready_at_origin", READY_AT.strftime("%Y-%m-%d %H:%M")],
        Role.COORDINATOR,
    )


def _ready_outcome(scene: Scene) -> Any:
    event = ShipmentEvent.objects.get()
    shipment = Shipment.objects.get(pk=scene.thing.pk)
    return (
        (event.status, event.occurred_at, event.location.code, event.quantity),
        (sorted(event.line_quantities.values()), event.recorded_by == scene.user()),
        _events_of(event),
        (shipment.status, shipment.status_at, shipment.eta, shipment.next_due),  # derived
    )


# ---- training cohorts: a new cohort with its course path ----

RELEASE = dt.date.today() + dt.timedelta(days=30)


def _cohort_page(scene: Scene) -> None:
    answer = scene.page(Role.RECIPIENT_LIAISON).post(
        "/training/cohorts/new/",
        {
            "unit": "1st battery",
            "trainees": 8,
            "capability": scene.world.capability.pk,
            "earliest_release": RELEASE.isoformat(),
            "priority": 2,
            "path": "m109-op, m109-mnt",
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]


def _cohort_api(scene: Scene) -> None:
    answer = scene.api(Role.RECIPIENT_LIAISON).post(
        "/api/v1/cohorts",
        {
            "unit": "1st battery",
            "trainees": 8,
            "capability": "sp-arty",
            "earliest_release": RELEASE.isoformat(),
            "priority": 2,
            "path": "m109-op, m109-mnt",
        },
        format="json",
    )
    assert answer.status_code == 201, answer.json()


def _cohort_import(scene: Scene) -> None:
    scene.import_(
        "cohorts",
        ["Cohort", "Unit", "Trainees", "Capability", "Release", "Priority", "Courses"],
        ["UA-C1", "1st battery", 8, "sp-arty", RELEASE.isoformat(), 2, "m109-op, m109-mnt"],
        Role.RECIPIENT_LIAISON,
    )


def _cohort_outcome(scene: Scene) -> Any:
    cohort = Cohort.objects.get()
    return (
        (cohort.unit, cohort.trainees, cohort.capability.code, cohort.earliest_release),
        (cohort.priority, cohort.path_text(), cohort.version),
        cohort.created_by == scene.user(Role.RECIPIENT_LIAISON),
        _events_of(cohort),  # its creation, then its course path
    )


# ---- capability packages: a package for a capability ----


def _package_page(scene: Scene) -> None:
    coordinator = scene.user()
    coordinator.is_staff = coordinator.is_superuser = True
    coordinator.save()
    answer = scene.page().post(
        "/admin/readiness/capabilitypackage/add/",
        {
            "name": "Artillery brigade package",
            "capability": scene.world.capability.pk,
            "items-TOTAL_FORMS": 0,
            "items-INITIAL_FORMS": 0,
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]


def _package_import(scene: Scene) -> None:
    scene.import_(
        "packages",
        ["Capability", "Name"],
        ["sp-arty", "Artillery brigade package"],
        Role.COORDINATOR,
    )


def _package_outcome(scene: Scene) -> Any:
    package = CapabilityPackage.objects.get()
    created = [(verb, data) for verb, data in _events_of(package) if verb == "create"]
    return (
        (package.name, package.capability.code, package.version),
        package.reference.startswith("CP-"),
        created,
        package.computed_at is not None,  # its readiness computed once it committed
    )


CASES = [
    Case(
        "hub capacities",
        lambda scene: None,
        {"page": _capacity_page, "api": _capacity_api, "import": _capacity_import},
        _capacity_outcome,
    ),
    Case(
        "shipment events",
        lambda scene: make_shipment(scene.world),
        {"page": _ready_page, "api": _ready_api, "import": _ready_import},
        _ready_outcome,
    ),
    Case(
        "cohorts",
        lambda scene: make_courses(scene.world),
        {"page": _cohort_page, "api": _cohort_api, "import": _cohort_import},
        _cohort_outcome,
    ),
    Case(
        "capability packages",
        lambda scene: None,
        # The API reads packages only: nothing to compare through it.
        {"page": _package_page, "api": None, "import": _package_import},
        _package_outcome,
    ),
]


def _run(case: Case, via: str, world: Any, tmp_path: Path, capture: Any) -> Any:
    scene = Scene(world, tmp_path)
    scene.thing = case.setup(scene)
    change = case.via[via]
    assert change is not None
    with capture(execute=True):  # what runs once the change commits (readiness) runs too
        change(scene)
    return case.outcome(scene)


@pytest.mark.parametrize("case", CASES, ids=[c.kind for c in CASES])
def test_every_entry_point_leaves_the_same_record_audit_and_consequences(
    case: Case, world: Any, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    """Each existing entry point in turn, on the same scene rolled back in between (a savepoint
    per entry point): every outcome equals the first one's."""
    from django.db import transaction

    outcomes: dict[str, Any] = {}
    for via, change in case.via.items():
        if change is None:
            continue

        class Rollback(Exception):
            pass

        try:
            with transaction.atomic():
                outcomes[via] = _run(case, via, world, tmp_path, django_capture_on_commit_callbacks)
                raise Rollback
        except Rollback:
            pass
    assert len(outcomes) >= 2
    first, *others = outcomes
    for via in others:
        assert outcomes[via] == outcomes[first], f"{case.kind}: {via} differs from {first}"
