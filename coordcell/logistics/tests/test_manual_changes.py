"""A coordinator creates, splits, merges, re-routes and cancels shipments by hand, with a
reason, each change audited; none of it once the shipment has left."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from coordcell.audit.models import AuditEvent
from coordcell.logistics.lifecycle import S
from coordcell.logistics.models import Shipment
from coordcell.logistics.services import (
    Item,
    shipment_cancel,
    shipment_create,
    shipment_merge,
    shipment_record_event,
    shipment_reroute,
    shipment_split,
)
from coordcell.logistics.tests.factories import make_shipment
from coordcell.pledges.tests.factories import PledgeFactory
from coordcell.registry.models import Location, Role
from coordcell.registry.tests.factories import LocationFactory
from coordcell.requirements.models import Requirement
from coordcell.requirements.tests.factories import RequirementFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def coordinator(world):
    return world.users[Role.COORDINATOR]


def test_a_coordinator_creates_a_shipment_by_hand(world, coordinator):
    pledge = PledgeFactory(
        donor=world.nations["DE"], origin=world.depots["DE"], category=world.category
    )
    requirement = RequirementFactory(category=world.category, delivery_point=world.delivery_point)
    shipment = shipment_create(
        actor=coordinator,
        hub=world.hub,
        departure=dt.date(2027, 2, 1),
        items=[Item(pledge, requirement, 12)],
        reason="Urgent resupply",
    )
    assert shipment.legs.count() == 2 and shipment.lines.get().quantity == 12
    assert AuditEvent.objects.get(verb="shipment.create_by_hand").data["reason"] == (
        "Urgent resupply"
    )


def test_every_change_by_hand_needs_a_reason(world, coordinator):
    shipment = make_shipment(world)
    with pytest.raises(ValidationError, match="Give the reason"):
        shipment_cancel(actor=coordinator, shipment=shipment, reason=" ")


def test_split_moves_part_of_a_line_to_a_new_shipment(world, coordinator):
    shipment = make_shipment(world, quantity=100)
    line = shipment.lines.get()
    new = shipment_split(
        actor=coordinator, shipment=shipment, quantities={line.pk: 30}, reason="Truck capacity"
    )
    line.refresh_from_db()
    assert line.quantity == 70
    assert new.lines.get().quantity == 30
    assert new.lines.get().allocation_line_id == line.allocation_line_id
    assert AuditEvent.objects.filter(verb="shipment.split").exists()


def test_merge_moves_the_lines_and_cancels_the_other(world, coordinator):
    a, b = make_shipment(world, quantity=10), make_shipment(world, quantity=20)
    shipment_merge(actor=coordinator, shipment=a, other=b, reason="One convoy")
    b.refresh_from_db()
    assert b.status == S.CANCELLED
    assert sorted(a.lines.values_list("quantity", flat=True)) == [10, 20]


def test_shipments_on_different_routes_cannot_be_merged(world, coordinator):
    a, b = make_shipment(world), make_shipment(world, donor="PL")
    with pytest.raises(ValidationError, match="differ in donor, origin"):
        shipment_merge(actor=coordinator, shipment=a, other=b, reason="x")


def test_reroute_changes_the_hub_and_replans_the_legs(world, coordinator):
    shipment = make_shipment(world)
    kosice = LocationFactory(
        code="kosice", name="Košice", kind=Location.Kind.HUB, nation=world.nations["PL"]
    )
    shipment_reroute(actor=coordinator, shipment=shipment, hub=kosice, reason="Rzeszów full")
    shipment.refresh_from_db()
    assert shipment.hub == kosice
    legs = list(shipment.legs.order_by("sequence"))
    assert legs[0].destination == kosice and legs[1].origin == kosice
    assert AuditEvent.objects.get(verb="shipment.reroute").data["hub"] == ["rzeszow", "kosice"]


def test_cancel_returns_the_requirement_to_open_demand(world, coordinator):
    shipment = make_shipment(world)
    requirement = shipment.lines.get().requirement
    assert requirement.status == Requirement.Status.ALLOCATED
    shipment_cancel(actor=coordinator, shipment=shipment, reason="Donor recalled the lot")
    shipment.refresh_from_db()
    requirement.refresh_from_db()
    assert shipment.status == S.CANCELLED
    assert shipment.events.get().note == "Donor recalled the lot"
    assert requirement.status == Requirement.Status.OPEN


def test_a_departed_shipment_cannot_be_changed_by_hand(world, coordinator):
    shipment = make_shipment(world)
    for status in (S.READY, S.DEPARTED):
        shipment_record_event(
            actor=coordinator,
            shipment=shipment,
            status=status,
            occurred_at=timezone.now() - dt.timedelta(minutes=5),
        )
    with pytest.raises(ValidationError, match="not left its origin"):
        shipment_cancel(actor=coordinator, shipment=shipment, reason="too late")
    assert Shipment.objects.get(pk=shipment.pk).status == S.DEPARTED


def test_the_page_cancels_with_a_reason(world, coordinator, client_for):
    shipment = make_shipment(world)
    client = client_for(coordinator)
    missing = client.post(f"/logistics/shipments/{shipment.pk}/cancel/", {"cancel-reason": ""})
    assert missing.status_code == 400
    done = client.post(
        f"/logistics/shipments/{shipment.pk}/cancel/", {"cancel-reason": "Duplicate"}
    )
    assert done.status_code == 302
    shipment.refresh_from_db()
    assert shipment.status == S.CANCELLED


def test_merge_page_names_an_unknown_shipment_in_the_form(world, coordinator, client_for):
    shipment = make_shipment(world)
    response = client_for(coordinator).post(
        f"/logistics/shipments/{shipment.pk}/merge/",
        {"merge-other": "S-999999", "merge-reason": "One convoy"},
    )
    assert response.status_code == 400
    assert "No shipment S-999999 that you may change." in response.content.decode()


def test_only_a_planner_may_merge_even_when_calling_the_action(world):
    a, b = make_shipment(world, quantity=10), make_shipment(world, quantity=20)
    donor = world.users[Role.DONOR_LIAISON]
    with pytest.raises(PermissionDenied):
        shipment_merge(actor=donor, shipment=a, other=b, reason="One convoy")
    assert b.lines.count() == 1
