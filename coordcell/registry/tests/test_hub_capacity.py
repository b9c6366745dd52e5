"""A hub's capacity is a record over weeks: its rules, its week-by-week reading (the narrowest
row covering a week wins) and its audited actions, kept by coordinators only."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from coordcell.audit.models import AuditEvent
from coordcell.audit.services import StaleEditError
from coordcell.registry.capacity import hub_capacity_by_week
from coordcell.registry.models import STANDING_FROM, HubCapacity, Location, Role
from coordcell.registry.services import (
    hub_capacity_close,
    hub_capacity_delete,
    hub_capacity_save,
)
from coordcell.registry.tests.factories import LocationFactory

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2027, 3, 1)
WEEK = dt.timedelta(weeks=1)


def weeks_of(hub, domain="artillery", start=MONDAY, weeks=6):
    return hub_capacity_by_week(start=start, weeks=weeks, hub_ids=[hub.pk])[(hub.pk, domain)]


def test_the_existing_figure_is_the_standing_row(world):
    standing = HubCapacity.objects.get(hub=world.hub, domain="artillery")
    assert standing.valid_from == STANDING_FROM and STANDING_FROM.weekday() == 0
    assert standing.valid_until is None and standing.is_standing
    assert weeks_of(world.hub) == [1000] * 6


def test_a_closure_needs_a_reason(world, coordinator):
    with pytest.raises(ValidationError) as refused:
        hub_capacity_close(coordinator, world.hub, "artillery", MONDAY, None, "  ")
    assert "A closure (0 units per week) needs a reason." in refused.value.message_dict["reason"]
    row = HubCapacity(hub=world.hub, domain="artillery", valid_from=MONDAY, weekly_capacity=0)
    with pytest.raises(ValidationError, match="needs a reason"):
        hub_capacity_save(coordinator, row)
    assert HubCapacity.objects.count() == 1


def test_a_capacity_starts_on_a_monday(world, coordinator):
    row = HubCapacity(
        hub=world.hub,
        domain="artillery",
        valid_from=MONDAY + dt.timedelta(days=2),
        weekly_capacity=5,
    )
    with pytest.raises(ValidationError) as refused:
        hub_capacity_save(coordinator, row)
    assert refused.value.message_dict["valid_from"] == [
        "A capacity holds from a Monday: 2027-03-03 is not one (that week's Monday is 2027-03-01)."
    ]


def test_the_last_week_cannot_come_before_the_first(world, coordinator):
    row = HubCapacity(
        hub=world.hub,
        domain="artillery",
        valid_from=MONDAY,
        valid_until=MONDAY - dt.timedelta(days=1),
        weekly_capacity=5,
    )
    with pytest.raises(ValidationError) as refused:
        hub_capacity_save(coordinator, row)
    assert "cannot come before the first" in refused.value.message_dict["valid_until"][0]


def test_capacities_belong_to_hubs_and_one_row_per_exact_span(world, coordinator):
    depot = world.depots["DE"]
    with pytest.raises(ValidationError, match="hubs only"):
        hub_capacity_save(
            coordinator, HubCapacity(hub=depot, domain="artillery", weekly_capacity=1)
        )
    with pytest.raises(ValidationError, match="exactly these weeks"):
        hub_capacity_save(
            coordinator, HubCapacity(hub=world.hub, domain="artillery", weekly_capacity=7)
        )


def test_a_narrower_row_overrides_the_standing_one_for_its_weeks(world, coordinator):
    hub_capacity_save(
        coordinator,
        HubCapacity(
            hub=world.hub,
            domain="artillery",
            valid_from=MONDAY + WEEK,
            valid_until=MONDAY + 3 * WEEK + dt.timedelta(days=6),  # a Sunday: its week counts
            weekly_capacity=400,
            reason="Runway works",
        ),
    )
    hub_capacity_close(
        coordinator, world.hub, "artillery", MONDAY + 2 * WEEK, MONDAY + 2 * WEEK, "Strike"
    )
    assert weeks_of(world.hub) == [1000, 400, 0, 400, 1000, 1000]


def test_the_narrowest_row_wins_whichever_was_made_first(world, coordinator):
    hub_capacity_close(coordinator, world.hub, "artillery", MONDAY, MONDAY, "Inspection")
    hub_capacity_save(
        coordinator,
        HubCapacity(
            hub=world.hub,
            domain="artillery",
            valid_from=MONDAY,
            valid_until=MONDAY + 3 * WEEK,
            weekly_capacity=300,
        ),
    )
    assert weeks_of(world.hub, weeks=5) == [0, 300, 300, 300, 1000]


def test_a_later_open_ended_row_replaces_the_standing_figure_from_its_week(world, coordinator):
    hub_capacity_save(
        coordinator,
        HubCapacity(
            hub=world.hub, domain="artillery", valid_from=MONDAY + WEEK, weekly_capacity=1500
        ),
    )
    assert weeks_of(world.hub, weeks=3) == [1000, 1500, 1500]


def test_by_week_names_only_hubs_and_domains_with_capacity(world, coordinator):
    other = LocationFactory(code="kosice", kind=Location.Kind.HUB, nation=world.nations["PL"])
    hub_capacity_save(
        coordinator,
        HubCapacity(
            hub=other,
            domain="medical",
            valid_from=MONDAY + WEEK,
            valid_until=MONDAY + WEEK,
            weekly_capacity=20,
        ),
    )
    everything = hub_capacity_by_week(start=MONDAY + dt.timedelta(days=3), weeks=3)
    assert everything == {
        (world.hub.pk, "artillery"): [1000, 1000, 1000],
        (other.pk, "medical"): [0, 20, 0],  # weeks no row covers have no capacity
    }
    assert set(hub_capacity_by_week(start=MONDAY, weeks=1, hub_ids=[other.pk])) == {
        (other.pk, "medical")
    }


def test_a_coordinators_changes_are_audited(world, coordinator):
    row = hub_capacity_save(
        coordinator,
        HubCapacity(hub=world.hub, domain="medical", valid_from=MONDAY, weekly_capacity=50),
    )
    assert row.created_by == coordinator
    created = AuditEvent.objects.get(verb="hub-capacity.create")
    assert created.target_id == str(row.pk) and created.data["after"]["weekly_capacity"] == 50
    row.weekly_capacity = 60
    hub_capacity_save(coordinator, row, expected_version=1)
    updated = AuditEvent.objects.get(verb="hub-capacity.update")
    assert updated.data["changes"]["weekly_capacity"] == [50, 60]
    closure = hub_capacity_close(coordinator, world.hub, "medical", MONDAY, MONDAY, "Flooded")
    assert AuditEvent.objects.get(verb="hub-capacity.close").target_id == str(closure.pk)
    closure_pk = closure.pk
    hub_capacity_delete(coordinator, closure)
    assert AuditEvent.objects.filter(verb="delete", target_id=str(closure_pk)).exists()
    assert not HubCapacity.objects.filter(pk=closure_pk).exists()


def test_a_save_over_a_newer_change_is_refused(world, coordinator):
    row = HubCapacity.objects.get(hub=world.hub)
    row.weekly_capacity = 900
    hub_capacity_save(coordinator, row, expected_version=1)
    row.weekly_capacity = 800
    with pytest.raises(StaleEditError):
        hub_capacity_save(coordinator, row, expected_version=1)


@pytest.mark.parametrize(
    "role",
    [Role.AUDITOR, Role.DONOR_LIAISON, Role.RECIPIENT_LIAISON, Role.TRAINING_SITE_OFFICER],
)
def test_only_coordinators_change_hub_capacities(world, role):
    user = world.users[role]
    row = HubCapacity.objects.get(hub=world.hub)
    row.weekly_capacity = 1
    with pytest.raises(PermissionDenied):
        hub_capacity_save(user, row)
    with pytest.raises(PermissionDenied):
        hub_capacity_close(user, world.hub, "artillery", MONDAY, None, "x")
    with pytest.raises(PermissionDenied):
        hub_capacity_delete(user, row)
    assert HubCapacity.objects.get(hub=world.hub).weekly_capacity == 1000
