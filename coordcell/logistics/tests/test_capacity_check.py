"""A shipment re-routed or planned by hand may not take a hub over its capacity in the week it
passes: a clear refusal naming hub, week, capacity and use, or the coordinator's override with
a reason, recorded and shown on the shipment. A capacity cut says which weeks are now over."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from coordcell.audit.models import AuditEvent
from coordcell.logistics.capacity_check import capacity_cut_weeks, hub_passages_by_week
from coordcell.logistics.models import Shipment
from coordcell.logistics.services import (
    Item,
    shipment_create,
    shipment_merge,
    shipment_reroute,
)
from coordcell.logistics.tests.factories import make_shipment
from coordcell.registry.capacity import monday_of
from coordcell.registry.models import HubCapacity, Location, Role
from coordcell.registry.services import hub_capacity_close
from coordcell.registry.tests.factories import LocationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def kosice(world):
    hub = LocationFactory(
        code="kosice", name="Košice", kind=Location.Kind.HUB, nation=world.nations["PL"]
    )
    HubCapacity.objects.create(hub=hub, domain="artillery", weekly_capacity=100)
    return hub


def hub_week(shipment: Shipment) -> dt.date:
    return monday_of(shipment.legs.get(sequence=1).planned_arrival)


def test_a_reroute_over_the_hubs_capacity_is_refused_naming_hub_week_capacity_and_use(
    world, coordinator, kosice
):
    first = make_shipment(world, quantity=80)
    shipment_reroute(actor=coordinator, shipment=first, hub=kosice, reason="Rzeszów full")
    second = make_shipment(world, quantity=50)
    legs_before = list(second.legs.values_list("destination_id", "planned_arrival"))
    with pytest.raises(ValidationError) as refused:
        shipment_reroute(actor=coordinator, shipment=second, hub=kosice, reason="Rzeszów full")
    week = hub_week(first).isoformat()
    assert refused.value.message_dict["hub"][0] == (
        f"Košice takes 100 Artillery units in the week of {week}; 80 are already planned "
        "through it that week and this shipment adds 50."
    )
    second.refresh_from_db()
    assert second.hub == world.hub and second.version == 1
    assert list(second.legs.values_list("destination_id", "planned_arrival")) == legs_before
    assert not AuditEvent.objects.filter(verb="shipment.reroute", target_id=str(second.pk))


def test_a_reroute_within_capacity_passes(world, coordinator, kosice):
    shipment = make_shipment(world, quantity=100)
    shipment_reroute(actor=coordinator, shipment=shipment, hub=kosice, reason="Balance hubs")
    shipment.refresh_from_db()
    assert shipment.hub == kosice and "Over the capacity" not in shipment.reason


def test_the_coordinators_override_is_recorded_and_shown_on_the_shipment(
    world, coordinator, kosice, client_for
):
    first = make_shipment(world, quantity=80)
    shipment_reroute(actor=coordinator, shipment=first, hub=kosice, reason="Rzeszów full")
    second = make_shipment(world, quantity=50)
    shipment_reroute(
        actor=coordinator,
        shipment=second,
        hub=kosice,
        reason="Rzeszów full",
        capacity_override="The brigade needs it before the offensive",
    )
    second.refresh_from_db()
    assert second.hub == kosice
    event = AuditEvent.objects.get(verb="shipment.capacity_override")
    assert event.target_id == str(second.pk) and event.actor == coordinator
    assert event.data == {
        "reason": "The brigade needs it before the offensive",
        "over": [
            {
                "hub": "kosice",
                "domain": "artillery",
                "week": hub_week(second).isoformat(),
                "capacity": 100,
                "use": 80,
                "adding": 50,
            }
        ],
    }
    page = client_for(coordinator).get(f"/logistics/shipments/{second.pk}/")
    assert "overridden: The brigade needs it before the offensive" in page.content.decode()


def test_the_reroute_form_refuses_then_takes_a_ticked_override_with_its_reason(
    world, coordinator, kosice, client_for
):
    make_shipment(world, quantity=90, donor="PL")
    shipment = make_shipment(world, quantity=20)
    client = client_for(coordinator)
    url = f"/logistics/shipments/{shipment.pk}/reroute/"
    form = {"reroute-hub": kosice.pk, "reroute-reason": "Rzeszów full"}
    # The PL shipment passes Rzeszów; moved to Košice it fills that week.
    other = Shipment.objects.exclude(pk=shipment.pk).get()
    shipment_reroute(actor=coordinator, shipment=other, hub=kosice, reason="x")
    answer = client.post(url, form)
    assert answer.status_code == 400
    assert "Košice takes 100 Artillery units" in answer.content.decode()
    answer = client.post(url, {**form, "reroute-override_capacity": "on"})
    assert answer.status_code == 400
    assert "Give the reason to go over the capacity" in answer.content.decode()
    answer = client.post(
        url, {**form, "reroute-override_capacity": "on", "reroute-override_reason": "Urgent"}
    )
    assert answer.status_code == 302
    shipment.refresh_from_db()
    assert shipment.hub == kosice
    assert AuditEvent.objects.get(verb="shipment.capacity_override").data["reason"] == "Urgent"


def test_a_closure_refuses_any_shipment_that_week(world, coordinator, kosice):
    shipment = make_shipment(world, quantity=1)
    week = hub_week(shipment)
    hub_capacity_close(coordinator, kosice, "artillery", week, week, "Runway repairs")
    with pytest.raises(ValidationError, match="Košice takes 0 Artillery units"):
        shipment_reroute(actor=coordinator, shipment=shipment, hub=kosice, reason="x")


def test_a_shipment_planned_by_hand_is_checked_too(world, coordinator):
    planned = make_shipment(world, quantity=990)
    line = planned.lines.get()
    item = Item(line.pledge, line.requirement, 20)
    departure = planned.planned_departure
    with pytest.raises(ValidationError) as refused:
        shipment_create(
            actor=coordinator, hub=world.hub, departure=departure, items=[item], reason="Urgent"
        )
    assert "Rzeszów-Jasionka takes 1000 Artillery units" in refused.value.message_dict["hub"][0]
    assert Shipment.objects.count() == 1
    made = shipment_create(
        actor=coordinator,
        hub=world.hub,
        departure=departure,
        items=[item],
        reason="Urgent",
        capacity_override="Ordered by the commander",
    )
    assert "Ordered by the commander" in Shipment.objects.get(pk=made.pk).reason
    assert AuditEvent.objects.filter(verb="shipment.capacity_override", target_id=str(made.pk))


def test_use_counts_planned_units_by_the_week_they_reach_the_hub(world, coordinator):
    shipment = make_shipment(world, quantity=70)
    make_shipment(world, quantity=5, donor="PL")
    week = hub_week(shipment)
    use = hub_passages_by_week(start=week - dt.timedelta(weeks=1), weeks=3)
    assert use == {(world.hub.pk, "artillery"): [0, 75, 0]}
    assert hub_passages_by_week(start=week, weeks=1, exclude_shipment_ids=[shipment.pk]) == {
        (world.hub.pk, "artillery"): [5]
    }


def test_a_cut_names_the_weeks_now_over(world, coordinator, kosice):
    shipment = make_shipment(world, quantity=80)
    shipment_reroute(actor=coordinator, shipment=shipment, hub=kosice, reason="x")
    week = hub_week(shipment)
    cut = HubCapacity(
        hub=kosice, domain="artillery", valid_from=week, valid_until=week, weekly_capacity=60
    )
    assert capacity_cut_weeks(cut) == []  # not saved yet: the standing 100 still holds
    cut.save()
    assert capacity_cut_weeks(cut) == [(week, 60, 80)]
    standing = HubCapacity.objects.get(hub=kosice, valid_until=None)
    assert capacity_cut_weeks(standing) == [(week, 60, 80)]  # the weeks it covers, as they are


def test_the_capacity_page_warns_of_a_cut_and_offers_a_replan(
    world, coordinator, kosice, client_for
):
    shipment = make_shipment(world, quantity=80)
    shipment_reroute(actor=coordinator, shipment=shipment, hub=kosice, reason="x")
    week = hub_week(shipment)
    client = client_for(world.users[Role.COORDINATOR])
    answer = client.post(
        f"/hub-capacities/hubs/{kosice.pk}/",
        {
            "form": "close",
            "close-domain": "artillery",
            "close-valid_from": week.isoformat(),
            "close-valid_until": week.isoformat(),
            "close-reason": "Strike at the railhead",
        },
        follow=True,
    )
    text = answer.content.decode()
    assert answer.status_code == 200
    assert (
        f"Košice is now over its Artillery capacity: week of {week.isoformat()}: 80 planned, "
        "capacity 0. Re-plan them."
    ) in text
    assert 'href="/allocation/"' in text and "Start a re-plan" in text
    assert "80 / 0 <strong" in text


def test_a_merge_bringing_units_into_another_week_is_checked(world, coordinator):
    target = make_shipment(world, quantity=600, dispatch_week=0)
    later = make_shipment(world, quantity=500, dispatch_week=1, requirement=None)
    assert hub_week(later) != hub_week(target)
    with pytest.raises(ValidationError, match="1000 Artillery units .* this shipment adds 1100"):
        shipment_merge(actor=coordinator, shipment=target, other=later, reason="One convoy")
    later.refresh_from_db()
    assert later.status == "planned" and later.lines.count() == 1
    shipment_merge(
        actor=coordinator,
        shipment=target,
        other=later,
        reason="One convoy",
        capacity_override="The escort goes once",
    )
    assert AuditEvent.objects.get(verb="shipment.capacity_override").data["over"][0]["use"] == 0


def test_a_merge_within_the_same_week_changes_nothing_at_the_hub(world, coordinator):
    target = make_shipment(world, quantity=600)
    other = make_shipment(world, quantity=500)  # together already over: the merge adds nothing
    shipment_merge(actor=coordinator, shipment=target, other=other, reason="One convoy")
    assert target.lines.count() == 2
