"""One write path per record: the same change through a page, the API and an import ends in the
same stored record, the same audit event and the same consequences, because all three hand it to
the record's own actions (and their one set of rules). tests/write_paths.py checks, in every test,
that nothing else writes the record.

Each test runs the change once per entry point (parametrised ``via``) on the same scene and
asserts the one outcome every entry point must give.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from coordcell.api.services import token_create
from coordcell.audit.models import AuditEvent
from coordcell.exchange.engine import run_import
from coordcell.exchange.specs import LOCATIONS, PLEDGES, REQUIREMENTS
from coordcell.pledges.forms import PledgeForm
from coordcell.pledges.models import Pledge
from coordcell.readiness.models import ReadinessChange
from coordcell.readiness.tests.conftest import package  # noqa: F401, F811  # the fixture
from coordcell.registry.models import Location, Role
from coordcell.requirements.forms import RequirementForm
from coordcell.requirements.models import Requirement
from coordcell.requirements.tests.factories import RequirementFactory

pytestmark = pytest.mark.django_db

VIA = ["page", "api", "import"]


def _api(user: Any, coordinator: Any) -> APIClient:
    _, raw = token_create(actor=coordinator, user=user, name="tests")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def _form_data(form_class: Any, instance: Any, user: Any, **changes: Any) -> dict[str, Any]:
    """What the edit page posts: the stored values as its form shows them, with ``changes``."""
    form = form_class(instance=instance, user=user)
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None:
            continue
        data[name] = (
            [v.pk if hasattr(v, "pk") else v for v in value]
            if isinstance(value, list)
            else (value.pk if hasattr(value, "pk") else value)
        )
    data.update(changes)
    return data


def _csv(path: Path, headers: list[str], rows: list[list[Any]]) -> Path:
    import csv

    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(headers)
        writer.writerows(rows)
    return path


def _last_event(target: Any) -> AuditEvent:
    return AuditEvent.objects.filter(
        target_type=target._meta.label_lower, target_id=str(target.pk)
    ).latest("seq")


@pytest.mark.parametrize("via", VIA)
def test_a_pledge_slips_the_same_way_through_every_entry_point(
    world: Any,
    package: Any,  # noqa: F811  # the readiness tests' fixture, imported above
    via: str,
    tmp_path: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """The issue's case: an import that slips a pledge from week 3 to week 5 moves the package's
    readiness date exactly as the page does (week 3 + the guns' transit = week 8)."""
    coordinator = world.users[Role.COORDINATOR]
    pledge = package.pledge
    Pledge.objects.filter(pk=pledge.pk).update(donor_reference="DE-GUNS")
    pledge.refresh_from_db()
    assert package.package.ready_on == package.week(3)
    slipped = package.week(5)
    with django_capture_on_commit_callbacks(execute=True):
        if via == "page":
            data = _form_data(PledgeForm, pledge, coordinator, available_from=slipped.isoformat())
            client = Client()
            client.force_login(coordinator)
            answer = client.post(f"/pledges/{pledge.pk}/edit/", data)
            assert answer.status_code == 302, answer.content.decode()[:3000]
        elif via == "api":
            answer = _api(coordinator, coordinator).patch(
                f"/api/v1/pledges/{pledge.pk}",
                {"available_from": slipped.isoformat(), "version": pledge.version},
                format="json",
            )
            assert answer.status_code == 200, answer.json()
        else:
            path = _csv(
                tmp_path / "pledges.csv",
                ["Donor", "Donor reference", "Category", "Quantity", "Available from", "Origin"],
                [
                    [
                        "DE",
                        "DE-GUNS",
                        pledge.category.code,
                        pledge.quantity,
                        slipped.isoformat(),
                        pledge.origin.code,
                    ]
                ],
            )
            report = run_import(spec=PLEDGES, path=path, user=coordinator, commit=True)
            assert report.committed and report.updated == 1, report.errors
    pledge.refresh_from_db()
    assert pledge.available_from == slipped and pledge.version == 2
    event = _last_event(pledge)
    assert event.verb == "update"
    assert event.data["changes"] == {
        "available_from": [package.start.isoformat(), slipped.isoformat()],
        "version": [1, 2],
    }
    package.package.refresh_from_db()
    assert package.package.ready_on == package.week(8)
    assert ReadinessChange.objects.get().cause == f"pledge {pledge.reference} changed"


@pytest.mark.parametrize("via", VIA)
def test_a_past_need_by_date_is_refused_by_every_entry_point(
    world: Any, via: str, tmp_path: Path
) -> None:
    recipient = world.users[Role.RECIPIENT_LIAISON]
    requirement = RequirementFactory(
        reference="R-000007",
        category=world.category,
        capability=world.capability,
        delivery_point=world.delivery_point,
        need_by=dt.date.today() + dt.timedelta(days=30),
    )
    past = dt.date.today() - dt.timedelta(days=3)
    reason = f"The need-by date {past.isoformat()} is already past"
    if via == "page":
        client = Client()
        client.force_login(recipient)
        data = _form_data(RequirementForm, requirement, recipient, need_by=past.isoformat())
        answer = client.post(f"/requirements/{requirement.pk}/edit/", data)
        assert answer.status_code == 400
        assert reason in " ".join(answer.context["form"].errors["need_by"])
    elif via == "api":
        answer = _api(recipient, world.users[Role.COORDINATOR]).patch(
            f"/api/v1/requirements/{requirement.pk}",
            {"need_by": past.isoformat(), "version": requirement.version},
            format="json",
        )
        assert answer.status_code == 400
        assert reason in str(answer.json())
    else:
        path = _csv(
            tmp_path / "needs.csv",
            ["Reference", "Capability", "Category", "Quantity", "Need by", "Delivery point"]
            + ["Priority"],
            [
                [
                    "R-000007",
                    world.capability.code,
                    world.category.code,
                    requirement.quantity,
                    past.isoformat(),
                    world.delivery_point.code,
                    requirement.priority,
                ]
            ],
        )
        report = run_import(spec=REQUIREMENTS, path=path, user=recipient, commit=True)
        assert not report.committed
        [error] = report.errors
        assert (error.row, error.column, error.rule) == (2, "Need by", "past date")
        assert reason in error.message
    requirement.refresh_from_db()
    assert requirement.need_by > dt.date.today() and requirement.version == 1


@pytest.mark.parametrize("via", VIA)
def test_a_requirements_quantity_changes_its_status_the_same_way(
    world: Any, via: str, tmp_path: Path
) -> None:
    """A requirement fully allocated (10 of 10) that grows to 20 is partly allocated, whichever
    entry point changed it: its status is derived by its actions, never by the caller."""
    from coordcell.logistics.tests.factories import make_shipment

    requirement = make_shipment(world, quantity=10).lines.get().requirement
    assert requirement.status == Requirement.Status.ALLOCATED
    recipient = world.users[Role.RECIPIENT_LIAISON]
    if via == "page":
        client = Client()
        client.force_login(recipient)
        data = _form_data(RequirementForm, requirement, recipient, quantity=20)
        assert client.post(f"/requirements/{requirement.pk}/edit/", data).status_code == 302
    elif via == "api":
        answer = _api(recipient, world.users[Role.COORDINATOR]).patch(
            f"/api/v1/requirements/{requirement.pk}",
            {"quantity": 20, "version": requirement.version},
            format="json",
        )
        assert answer.status_code == 200, answer.json()
    else:
        path = _csv(
            tmp_path / "needs.csv",
            ["Reference", "Capability", "Category", "Quantity", "Need by", "Delivery point"]
            + ["Priority"],
            [
                [
                    requirement.reference,
                    requirement.capability.code,
                    requirement.category.code,
                    20,
                    requirement.need_by.isoformat(),
                    requirement.delivery_point.code,
                    requirement.priority,
                ]
            ],
        )
        report = run_import(spec=REQUIREMENTS, path=path, user=recipient, commit=True)
        assert report.committed and report.updated == 1, report.errors
    requirement.refresh_from_db()
    assert requirement.quantity == 20
    assert requirement.status == Requirement.Status.PARTLY_ALLOCATED
    update, status = AuditEvent.objects.filter(
        target_type="requirements.requirement", target_id=str(requirement.pk)
    ).order_by("-seq")[:2][::-1]
    assert update.verb == "update" and update.data["changes"]["quantity"] == [10, 20]
    assert status.verb == "requirement.status"
    assert status.data["changes"] == {"status": ["allocated", "partly_allocated"]}


@pytest.mark.parametrize("via", VIA)
def test_a_location_is_renamed_the_same_way(world: Any, via: str, tmp_path: Path) -> None:
    coordinator = world.users[Role.COORDINATOR]
    hub = world.hub
    if via == "page":
        from coordcell.registry.forms import LocationForm

        client = Client()
        client.force_login(coordinator)
        data = _form_data(LocationForm, hub, coordinator, name="Rzeszów-Jasionka airport")
        assert client.post(f"/locations/{hub.pk}/edit/", data).status_code == 302
    elif via == "api":
        answer = _api(coordinator, coordinator).patch(
            f"/api/v1/locations/{hub.pk}", {"name": "Rzeszów-Jasionka airport"}, format="json"
        )
        assert answer.status_code == 200, answer.json()
    else:
        path = _csv(
            tmp_path / "locations.csv",
            ["Code", "Name", "Kind", "Nation", "Latitude", "Longitude"],
            [
                [
                    hub.code,
                    "Rzeszów-Jasionka airport",
                    hub.kind,
                    hub.nation.code,
                    hub.latitude,
                    hub.longitude,
                ]
            ],
        )
        report = run_import(spec=LOCATIONS, path=path, user=coordinator, commit=True)
        assert report.committed and report.updated == 1, report.errors
    hub = Location.objects.get(pk=hub.pk)
    assert hub.name == "Rzeszów-Jasionka airport"
    event = _last_event(hub)
    assert event.verb == "update"
    assert event.data["changes"] == {"name": [world.hub.name, "Rzeszów-Jasionka airport"]}
