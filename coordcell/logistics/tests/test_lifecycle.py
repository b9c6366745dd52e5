"""One lifecycle: only the next step is allowed by hand, and a refused step says why."""

import datetime as dt
import html

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from coordcell.logistics.lifecycle import S, transition_error
from coordcell.logistics.services import shipment_record_event
from coordcell.logistics.tests.factories import SIGNED, make_shipment
from coordcell.registry.models import Role

pytestmark = pytest.mark.django_db


def test_transition_error_names_from_to_and_what_is_allowed():
    message = transition_error(S.PLANNED, S.DEPARTED_HUB)
    assert message == (
        "A shipment cannot go from 'Planned' to 'Departed hub': from 'Planned' the next status "
        "can only be 'Ready at origin' or 'Cancelled'."
    )
    assert transition_error(S.AT_HUB, S.DEPARTED_HUB) is None
    assert "'Received (confirmed by the recipient)' is final" in transition_error(
        S.RECEIVED, S.DEPARTED
    )


def test_shipment_goes_through_the_whole_lifecycle_to_received(world):
    shipment = make_shipment(world, quantity=40)
    coordinator = world.users[Role.COORDINATOR]
    start = timezone.now() - dt.timedelta(days=2)
    steps = [
        (coordinator, S.READY, {}),
        (world.users[Role.DONOR_LIAISON], S.DEPARTED, {}),
        (coordinator, S.AT_HUB, {"quantity": 40}),
        (coordinator, S.DEPARTED_HUB, {}),
        (coordinator, S.HANDED_OVER, {"quantity": 40, **SIGNED}),
        (world.users[Role.RECIPIENT_LIAISON], S.RECEIVED, {"quantity": 40, **SIGNED}),
    ]
    for n, (actor, status, fields) in enumerate(steps):
        shipment = shipment_record_event(
            actor=actor,
            shipment=shipment,
            status=status,
            occurred_at=start + dt.timedelta(hours=n),
            **fields,
        )
        assert shipment.status == status
    assert shipment.events.count() == 6


def test_a_disallowed_transition_is_refused_with_a_clear_message(world):
    shipment = make_shipment(world)
    with pytest.raises(ValidationError) as refused:
        shipment_record_event(
            actor=world.users[Role.COORDINATOR], shipment=shipment, status=S.DEPARTED_HUB
        )
    assert "cannot go from 'Planned' to 'Departed hub'" in str(refused.value)
    assert "'Ready at origin' or 'Cancelled'" in str(refused.value)
    shipment.refresh_from_db()
    assert shipment.status == S.PLANNED
    assert not shipment.events.exists()


def test_the_page_refuses_a_skipped_step_and_shows_why(world, client_for):
    shipment = make_shipment(world)
    response = client_for(world.users[Role.COORDINATOR]).post(
        f"/logistics/shipments/{shipment.pk}/event/", {"status": S.AT_HUB, "quantity": 100}
    )
    assert response.status_code == 400
    assert "cannot go from 'Planned' to 'At hub (checked)'" in html.unescape(response.text)


def test_only_the_recipient_liaison_confirms_receipt(world):
    shipment = make_shipment(world, quantity=5)
    coordinator = world.users[Role.COORDINATOR]
    at = timezone.now() - dt.timedelta(days=1)
    for n, status in enumerate([S.READY, S.DEPARTED, S.AT_HUB, S.DEPARTED_HUB]):
        shipment_record_event(
            actor=coordinator,
            shipment=shipment,
            status=status,
            occurred_at=at + dt.timedelta(hours=n),
        )
    shipment_record_event(
        actor=coordinator,
        shipment=shipment,
        status=S.HANDED_OVER,
        quantity=5,
        occurred_at=at + dt.timedelta(hours=5),
        **SIGNED,
    )
    with pytest.raises(ValidationError, match="cannot record 'received'"):
        shipment_record_event(
            actor=coordinator, shipment=shipment, status=S.RECEIVED, quantity=5, **SIGNED
        )
    shipment = shipment_record_event(
        actor=world.users[Role.RECIPIENT_LIAISON],
        shipment=shipment,
        status=S.RECEIVED,
        quantity=5,
        **SIGNED,
    )
    assert shipment.status == S.RECEIVED


def test_handover_without_both_signatures_is_refused(world):
    shipment = make_shipment(world)
    coordinator = world.users[Role.COORDINATOR]
    for status in [S.READY, S.DEPARTED, S.AT_HUB, S.DEPARTED_HUB]:
        shipment_record_event(actor=coordinator, shipment=shipment, status=status)
    with pytest.raises(ValidationError, match="handed_over_by"):
        shipment_record_event(
            actor=coordinator,
            shipment=shipment,
            status=S.HANDED_OVER,
            quantity=100,
            handed_over_by="Sgt. Weber",
        )


def test_the_recipient_confirms_receipt_on_the_shipment_page(world, client_for):
    shipment = make_shipment(world, quantity=8)
    coordinator = world.users[Role.COORDINATOR]
    at = timezone.now() - dt.timedelta(days=1)
    for n, status in enumerate([S.READY, S.DEPARTED, S.AT_HUB, S.DEPARTED_HUB]):
        shipment_record_event(
            actor=coordinator,
            shipment=shipment,
            status=status,
            occurred_at=at + dt.timedelta(hours=n),
        )
    shipment_record_event(
        actor=coordinator,
        shipment=shipment,
        status=S.HANDED_OVER,
        quantity=8,
        occurred_at=at + dt.timedelta(hours=5),
        **SIGNED,
    )
    client = client_for(world.users[Role.RECIPIENT_LIAISON])
    page = client.get(f"/logistics/shipments/{shipment.pk}/")
    assert b"Record the next status" in page.content
    response = client.post(
        f"/logistics/shipments/{shipment.pk}/event/",
        {
            "status": S.RECEIVED,
            "quantity": 8,
            "handed_over_by": "Sgt. Weber",
            "taken_over_by": "Capt. Shevchenko",
        },
    )
    assert response.status_code == 302
    shipment.refresh_from_db()
    assert shipment.status == S.RECEIVED
    assert shipment.lines.get().received_quantity == 8
