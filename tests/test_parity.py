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
- shipments: no page creates one by hand (the allocation commit plans them); the API and the
  import are compared;
- training sessions: a page and the API (compared here), no import;
- discrepancies: a page and the API (starting an investigation, compared here), no import;
- allocation runs and their commits: a page and the API, no import (the allocation and API
  tests hold their page and API paths).
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
    answer = scene.page().post(
        "/readiness/new/",
        {"name": "Artillery brigade package", "capability": scene.world.capability.pk},
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]


def _package_api(scene: Scene) -> None:
    answer = scene.api().post(
        "/api/v1/capability-packages",
        {"name": "Artillery brigade package", "capability": "sp-arty"},
        format="json",
    )
    assert answer.status_code == 201, answer.json()


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


# ---- shipments: one planned by hand for a pledge and a requirement ----

DEPARTURE = dt.date.today() + dt.timedelta(days=10)


def _cargo(scene: Scene) -> Any:
    from coordcell.pledges.tests.factories import PledgeFactory
    from coordcell.requirements.tests.factories import RequirementFactory

    world = scene.world
    pledge = PledgeFactory(
        donor=world.nations["DE"], origin=world.depots["DE"], category=world.category
    )
    requirement = RequirementFactory(
        category=world.category, capability=world.capability, delivery_point=world.delivery_point
    )
    return pledge, requirement


def _shipment_api(scene: Scene) -> None:
    pledge, requirement = scene.thing
    answer = scene.api().post(
        "/api/v1/shipments",
        {
            "hub": "rzeszow",
            "departure": DEPARTURE.isoformat(),
            "items": [
                {"pledge": pledge.reference, "requirement": requirement.reference, "quantity": 40}
            ],
            "reason": "Urgent before the thaw",
        },
        format="json",
    )
    assert answer.status_code == 201, answer.json()


def _shipment_import(scene: Scene) -> None:
    pledge, requirement = scene.thing
    scene.import_(
        "shipments",
        ["Shipment", "Pledge", "Requirement", "Quantity", "Hub", "Departure", "Reason"],
        [
            "UK-2027-1",
            pledge.reference,
            requirement.reference,
            40,
            "rzeszow",
            DEPARTURE.isoformat(),
            "Urgent before the thaw",
        ],
        Role.COORDINATOR,
    )


def _shipment_outcome(scene: Scene) -> Any:
    shipment = Shipment.objects.get()
    legs = shipment.legs.values_list("mode", "origin__code", "destination__code", "planned_arrival")
    lines = shipment.lines.values_list("pledge_id", "requirement_id", "category_id", "quantity")
    return (
        (
            shipment.donor.code,
            shipment.origin.code,
            shipment.hub.code,
            shipment.delivery_point.code,
        ),
        (shipment.planned_departure, shipment.planned_arrival, shipment.eta, shipment.status),
        (list(legs), list(lines), shipment.reason, shipment.created_by == scene.user()),
        _events_of(shipment),
    )


# ---- training sessions: one planned by hand (no import: the scheduler or a page plans them) ----


def _site(scene: Scene) -> Any:
    from coordcell.training.tests.factories import make_site

    op, _mnt = make_courses(scene.world)
    return make_site(scene.world, "PL", "ts-poznan", [op])


SESSION_START = MONDAY + dt.timedelta(weeks=2)


def _session_page(scene: Scene) -> None:
    site = scene.thing
    answer = scene.page().post(
        "/training/sessions/new/",
        {
            "course": site.courses.get().pk,
            "site": site.pk,
            "start_date": SESSION_START.isoformat(),
            "seats": 12,
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]


def _session_api(scene: Scene) -> None:
    answer = scene.api().post(
        "/api/v1/training-sessions",
        {
            "course": "m109-op",
            "site": "ts-poznan",
            "start_date": SESSION_START.isoformat(),
            "seats": 12,
        },
        format="json",
    )
    assert answer.status_code == 201, answer.json()


def _session_outcome(scene: Scene) -> Any:
    from coordcell.training.models import Session

    session = Session.objects.get()
    return (
        (session.course.code, session.site.location.code, session.start_date, session.seats),
        (session.status, session.version, session.reference.startswith("TS-")),
        _events_of(session),
    )


# ---- discrepancies: the owner starts investigating (no import: checks and people raise them) ----


def _discrepancy(scene: Scene) -> Any:
    from coordcell.logistics.tests.discrepancy_fixtures import discrepancy_at

    return discrepancy_at(scene.world)


def _investigate_page(scene: Scene) -> None:
    d = scene.thing
    answer = scene.page(Role.DONOR_LIAISON).post(
        f"/discrepancies/{d.pk}/investigate/", {f"i{d.pk}-version": d.version}
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]


def _investigate_api(scene: Scene) -> None:
    d = scene.thing
    answer = scene.api(Role.DONOR_LIAISON).post(
        f"/api/v1/discrepancies/{d.pk}/investigate", {"version": d.version}, format="json"
    )
    assert answer.status_code == 200, answer.json()


def _investigate_outcome(scene: Scene) -> Any:
    from coordcell.logistics.models import Discrepancy

    d = Discrepancy.objects.get(pk=scene.thing.pk)
    return ((d.status, d.version, d.owner_nation_id), _events_of(d)[-1])


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
        "shipments",
        _cargo,
        # Shipments are planned on the allocation's pages; none is created by hand on a page.
        {"page": None, "api": _shipment_api, "import": _shipment_import},
        _shipment_outcome,
    ),
    Case(
        "training sessions",
        _site,
        # Sessions are not imported: the scheduler plans them, or a coordinator on the page.
        {"page": _session_page, "api": _session_api, "import": None},
        _session_outcome,
    ),
    Case(
        "discrepancies",
        _discrepancy,
        # Discrepancies are raised by checks and by people at a shipment; none is imported.
        {"page": _investigate_page, "api": _investigate_api, "import": None},
        _investigate_outcome,
    ),
    Case(
        "capability packages",
        lambda scene: None,
        {"page": _package_page, "api": _package_api, "import": _package_import},
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


def _ids_from_the_same_start() -> None:
    """PostgreSQL's sequences do not roll back with the savepoint (SQLite's do): set each to
    follow its table's last row, so every entry point's new records get the same ids."""
    from django.apps import apps
    from django.core.management.color import no_style
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), apps.get_models()):
            cursor.execute(sql)


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
        _ids_from_the_same_start()

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


# ---- the same bad input is refused by every entry point, with the same rule ----

TUESDAY = MONDAY + dt.timedelta(days=1)


def _tuesday_page(scene: Scene) -> str:
    answer = scene.page().post(
        f"/hub-capacities/hubs/{scene.world.hub.pk}/",
        {
            "form": "add",
            "add-domain": "artillery",
            "add-valid_from": TUESDAY.isoformat(),
            "add-weekly_capacity": "400",
        },
    )
    assert answer.status_code == 400
    return answer.content.decode()


def _tuesday_api(scene: Scene) -> str:
    answer = scene.api().post(
        "/api/v1/hub-capacities",
        {
            "hub": "rzeszow",
            "domain": "artillery",
            "valid_from": TUESDAY.isoformat(),
            "weekly_capacity": 400,
        },
        format="json",
    )
    assert answer.status_code == 400
    return str(answer.json())


def _tuesday_import(scene: Scene) -> str:
    path = _csv(
        scene.tmp_path / "capacities.csv",
        ["Hub", "Domain", "From", "Units per week"],
        [["rzeszow", "artillery", TUESDAY.isoformat(), 400]],
    )
    report = run_import(spec=SPECS["hub-capacities"], path=path, user=scene.user(), commit=True)
    assert not report.committed
    [error] = report.errors
    assert (error.row, error.column) == (2, "From")  # the row and the column it came from
    return error.message


def _reversed_path(via: str) -> Callable[[Scene], str]:
    def run(scene: Scene) -> str:
        data = {
            "unit": "1st battery",
            "trainees": 8,
            "earliest_release": RELEASE.isoformat(),
            "priority": 2,
            "path": "m109-mnt, m109-op",
        }
        if via == "page":
            answer = scene.page(Role.RECIPIENT_LIAISON).post(
                "/training/cohorts/new/", {**data, "capability": scene.world.capability.pk}
            )
            assert answer.status_code in (200, 400)
            return answer.content.decode()
        if via == "api":
            answer = scene.api(Role.RECIPIENT_LIAISON).post(
                "/api/v1/cohorts", {**data, "capability": "sp-arty"}, format="json"
            )
            assert answer.status_code == 400
            return str(answer.json())
        path = _csv(
            scene.tmp_path / "cohorts.csv",
            ["Cohort", "Unit", "Trainees", "Capability", "Release", "Priority", "Courses"],
            [["UA-C1", "1st battery", 8, "sp-arty", RELEASE.isoformat(), 2, data["path"]]],
        )
        user = scene.user(Role.RECIPIENT_LIAISON)
        report = run_import(spec=SPECS["cohorts"], path=path, user=user, commit=True)
        [error] = report.errors
        assert (error.row, error.column) == (2, "Courses")
        return error.message

    return run


REFUSALS = [
    (
        "hub capacity from a Tuesday",
        lambda scene: None,
        {"page": _tuesday_page, "api": _tuesday_api, "import": _tuesday_import},
        f"{TUESDAY.isoformat()} is not one",
        lambda: HubCapacity.objects.count() == 1,  # the standing row only
    ),
    (
        "cohort path against its prerequisites",
        lambda scene: make_courses(scene.world),
        {via: _reversed_path(via) for via in ("page", "api", "import")},
        "m109-mnt needs m109-op before it",
        lambda: not Cohort.objects.exists(),
    ),
]


@pytest.mark.parametrize("refusal", REFUSALS, ids=[r[0] for r in REFUSALS])
@pytest.mark.parametrize("via", ["page", "api", "import"])
def test_every_entry_point_refuses_the_same_input_with_the_same_rule(
    refusal: Any, via: str, world: Any, tmp_path: Path
) -> None:
    _name, setup, entry_points, rule, nothing_written = refusal
    scene = Scene(world, tmp_path)
    scene.thing = setup(scene)
    audit = AuditEvent.objects.count()
    assert rule in entry_points[via](scene)
    assert nothing_written() and AuditEvent.objects.filter(verb="create").count() == 0
    # Nothing recorded but the entry point's own (a login, the test's API token).
    assert AuditEvent.objects.exclude(verb__in=["login", "token-create"]).count() == audit
