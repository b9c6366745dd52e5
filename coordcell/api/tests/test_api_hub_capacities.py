"""Hub capacities through the API: the cell and auditors read them, coordinators change them
through the page's form and services (versioned); for anyone else they do not exist."""

from __future__ import annotations

import datetime as dt

import pytest

from coordcell.audit.models import AuditEvent
from coordcell.registry.models import HubCapacity, Role

pytestmark = pytest.mark.django_db

URL = "/api/v1/hub-capacities"


def _monday(weeks: int = 2) -> dt.date:
    today = dt.date.today()
    return today - dt.timedelta(days=today.weekday()) + dt.timedelta(weeks=weeks)


def test_the_cell_and_auditors_read_capacities(world, api_for):
    for role in (Role.COORDINATOR, Role.AUDITOR):
        rows = api_for(world.users[role]).get(URL).json()["results"]
        assert [(r["hub"], r["domain"], r["weekly_capacity"]) for r in rows] == [
            ("rzeszow", "artillery", 1000)
        ]


@pytest.mark.parametrize(
    "role", [Role.DONOR_LIAISON, Role.RECIPIENT_LIAISON, Role.TRAINING_SITE_OFFICER]
)
def test_nobody_else_sees_them(world, api_for, role):
    api = api_for(world.users[role])
    row = HubCapacity.objects.get()
    assert api.get(URL).status_code == 404
    assert api.get(f"{URL}/{row.pk}").status_code == 404
    assert (
        api.patch(
            f"{URL}/{row.pk}", {"weekly_capacity": 1, "version": 1}, format="json"
        ).status_code
        == 404
    )
    assert api.post(URL, {}, format="json").status_code == 404
    assert AuditEvent.objects.filter(verb="access-refused").count() == 4


def test_a_coordinator_adds_changes_closes_and_deletes_rows(world, api_for):
    api = api_for(world.users[Role.COORDINATOR])
    monday = _monday()
    created = api.post(
        URL,
        {
            "hub": "rzeszow",
            "domain": "artillery",
            "valid_from": monday.isoformat(),
            "valid_until": (monday + dt.timedelta(weeks=1)).isoformat(),
            "weekly_capacity": 600,
            "reason": "runway works",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    row = created.json()
    assert AuditEvent.objects.filter(verb="hub-capacity.create").exists()
    changed = api.patch(
        f"{URL}/{row['id']}", {"weekly_capacity": 700, "version": row["version"]}, format="json"
    )
    assert changed.status_code == 200 and changed.json()["weekly_capacity"] == 700
    stale = api.patch(
        f"{URL}/{row['id']}", {"weekly_capacity": 800, "version": row["version"]}, format="json"
    )
    assert stale.status_code == 409
    tuesday = api.post(
        URL,
        {
            "hub": "rzeszow",
            "domain": "artillery",
            "valid_from": (monday + dt.timedelta(days=1)).isoformat(),
            "weekly_capacity": 5,
        },
        format="json",
    )
    assert tuesday.status_code == 400 and tuesday.json()["errors"][0]["field"] == "valid_from"
    closed = api.post(
        f"{URL}/close",
        {
            "hub": "rzeszow",
            "domain": "artillery",
            "valid_from": monday.isoformat(),
            "reason": "strike",
        },
        format="json",
    )
    assert closed.status_code == 201 and closed.json()["weekly_capacity"] == 0
    assert api.delete(f"{URL}/{row['id']}").status_code == 204
    assert not HubCapacity.objects.filter(pk=row["id"]).exists()


def test_an_auditor_changes_nothing(world, api_for):
    api = api_for(world.users[Role.AUDITOR])
    row = HubCapacity.objects.get()
    assert (
        api.patch(
            f"{URL}/{row.pk}", {"weekly_capacity": 1, "version": 1}, format="json"
        ).status_code
        == 403
    )
    assert api.delete(f"{URL}/{row.pk}").status_code == 403
    row.refresh_from_db()
    assert row.weekly_capacity == 1000
