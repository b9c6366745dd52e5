"""The shipment's next-status form: only the valid next statuses, every error at once in words
with the input kept, a future time refused, no success banner on a refusal, a reload that
leads back to the shipment."""

import datetime as dt
import html

import pytest
from django.utils import timezone

from coordcell.logistics.lifecycle import S
from coordcell.logistics.services import shipment_record_event
from coordcell.logistics.tests.factories import make_shipment
from coordcell.registry.models import Role

pytestmark = pytest.mark.django_db


def _text(response):
    return html.unescape(response.content.decode())


def _advance(world, shipment, statuses):
    at = timezone.now() - dt.timedelta(days=1)
    for n, status in enumerate(statuses):
        shipment_record_event(
            actor=world.users[Role.COORDINATOR],
            shipment=shipment,
            status=status,
            occurred_at=at + dt.timedelta(hours=n),
        )


def test_the_form_offers_only_the_next_statuses(world, client_for):
    shipment = make_shipment(world)
    page = client_for(world.users[Role.COORDINATOR]).get(f"/logistics/shipments/{shipment.pk}/")
    options = page.context["event_form"].fields["status"].choices
    assert [value for value, _label in options] == [S.READY]


def test_a_reload_of_the_form_address_goes_back_to_the_shipment(world, client_for):
    shipment = make_shipment(world)
    response = client_for(world.users[Role.COORDINATOR]).get(
        f"/logistics/shipments/{shipment.pk}/event/"
    )
    assert response.status_code == 302
    assert response["Location"] == f"/logistics/shipments/{shipment.pk}/"


def test_every_error_is_shown_at_once_in_words_and_the_input_is_kept(world, client_for):
    shipment = make_shipment(world, quantity=5)
    _advance(world, shipment, [S.READY, S.DEPARTED, S.AT_HUB, S.DEPARTED_HUB])
    response = client_for(world.users[Role.COORDINATOR]).post(
        f"/logistics/shipments/{shipment.pk}/event/",
        {"status": S.HANDED_OVER, "note": "pallet 3 wet"},
    )
    assert response.status_code == 400
    text = _text(response)
    assert "Give the quantity counted." in text
    assert "Give the name of the person handing over" in text
    assert "Give the name of the person taking over" in text
    assert "pallet 3 wet" in text  # the note is kept
    assert not shipment.events.filter(status=S.HANDED_OVER).exists()


def test_an_event_in_the_future_is_refused_with_a_message_and_no_banner(world, client_for):
    shipment = make_shipment(world)
    client = client_for(world.users[Role.COORDINATOR])
    later = (timezone.now() + dt.timedelta(days=2)).strftime("%Y-%m-%d %H:%M")
    response = client.post(
        f"/logistics/shipments/{shipment.pk}/event/",
        {"status": S.READY, "occurred_at": later},
    )
    assert response.status_code == 400
    assert "is in the future" in _text(response)
    assert not shipment.events.exists()
    page = client.get(f"/logistics/shipments/{shipment.pk}/")
    assert "recorded." not in _text(page)
    assert 'class="message success"' not in page.content.decode()


def test_a_skipped_step_is_refused_in_words(world, client_for):
    shipment = make_shipment(world)
    response = client_for(world.users[Role.COORDINATOR]).post(
        f"/logistics/shipments/{shipment.pk}/event/", {"status": S.DEPARTED_HUB}
    )
    assert response.status_code == 400
    assert "cannot go from 'Planned' to 'Departed hub'" in _text(response)


def test_a_recorded_event_says_so_once(world, client_for):
    shipment = make_shipment(world)
    client = client_for(world.users[Role.COORDINATOR])
    response = client.post(
        f"/logistics/shipments/{shipment.pk}/event/", {"status": S.READY}, follow=True
    )
    assert f"{shipment.reference}: “Ready at origin” recorded." in _text(response)
    shipment.refresh_from_db()
    assert shipment.status == S.READY


def test_the_event_action_refuses_a_future_time_instead_of_storing_nothing(world):
    from django.core.exceptions import ValidationError

    shipment = make_shipment(world)
    with pytest.raises(ValidationError, match="is in the future"):
        shipment_record_event(
            actor=world.users[Role.COORDINATOR],
            shipment=shipment,
            status=S.READY,
            occurred_at=timezone.now() + dt.timedelta(days=1),
        )
    assert not shipment.events.exists()
