"""Bad input is refused with a message naming the field, and nothing is saved."""

import pytest

from coordcell.audit.models import AuditEvent
from coordcell.pledges.models import Pledge
from coordcell.pledges.tests.factories import PledgeFactory
from coordcell.registry.models import Role

pytestmark = pytest.mark.django_db


def _form(world, **overrides):
    data = {
        "donor": world.nations["DE"].pk,
        "category": world.category.pk,
        "quantity": 10,
        "available_from": "2027-03-01",
        "origin": world.depots["DE"].pk,
        "status": "offered",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"quantity": 0}, "quantity", "greater than or equal to 1"),
        ({"quantity": -5}, "quantity", "greater than or equal to 1"),
        ({"quantity": "many"}, "quantity", "Enter a whole number"),
        ({"available_from": "2027-02-30"}, "available_from", "Enter a valid date"),
        ({"available_from": "2099-01-01"}, "available_from", "five years ahead"),
        ({"value": "1000"}, "currency", "A value needs its currency"),
        ({"value": "1000", "currency": "EUR"}, "valuation_basis", "bases are never mixed"),
        (
            {"currency": "eur", "value": "5", "valuation_basis": "contract_price"},
            "currency",
            "ISO 4217",
        ),
        ({"origin": ""}, "origin", "This field is required"),
    ],
)
def test_invalid_pledge_is_refused_with_a_message_and_not_saved(
    world, client_for, overrides, field, message
):
    client = client_for(world.users[Role.COORDINATOR])
    response = client.post("/pledges/new/", _form(world, **overrides))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors, errors
    assert message in " ".join(errors[field])
    assert message.encode() in response.content
    assert not Pledge.objects.exists()
    assert not AuditEvent.objects.filter(target_type="pledges.pledge").exists()


def test_a_hub_is_not_an_origin_depot(world, client_for):
    client = client_for(world.users[Role.COORDINATOR])
    response = client.post("/pledges/new/", _form(world, origin=world.hub.pk))
    assert response.status_code == 400
    assert "origin" in response.context["form"].errors


def test_quantity_cannot_drop_below_what_is_allocated(world, client_for):
    pledge = PledgeFactory(
        donor=world.nations["DE"],
        origin=world.depots["DE"],
        category=world.category,
        quantity=100,
        allocated_quantity=60,
    )
    client = client_for(world.users[Role.COORDINATOR])
    response = client.post(
        f"/pledges/{pledge.pk}/edit/",
        _form(world, quantity=50, status="confirmed", version=pledge.version),
    )
    assert response.status_code == 400
    assert "60 are already allocated" in response.content.decode()
    pledge.refresh_from_db()
    assert pledge.quantity == 100


def test_an_allocated_pledge_cannot_be_withdrawn(world, client_for):
    pledge = PledgeFactory(
        donor=world.nations["DE"],
        origin=world.depots["DE"],
        category=world.category,
        quantity=100,
        allocated_quantity=10,
    )
    client = client_for(world.users[Role.COORDINATOR])
    response = client.post(
        f"/pledges/{pledge.pk}/edit/",
        _form(world, quantity=100, status="withdrawn", version=pledge.version),
    )
    assert response.status_code == 400
    assert "release the allocation" in response.content.decode()
    pledge.refresh_from_db()
    assert pledge.status == Pledge.Status.CONFIRMED


def test_an_allocated_pledge_cannot_be_deleted(world, client_for):
    pledge = PledgeFactory(
        donor=world.nations["DE"],
        origin=world.depots["DE"],
        category=world.category,
        allocated_quantity=10,
    )
    client = client_for(world.users[Role.DONOR_LIAISON])
    response = client.post(f"/pledges/{pledge.pk}/delete/")
    assert response.status_code == 400
    assert "cannot be deleted" in response.content.decode()
    assert Pledge.objects.filter(pk=pledge.pk).exists()


def test_a_stale_edit_is_refused_not_silently_overwritten(world, client_for):
    pledge = PledgeFactory(
        donor=world.nations["DE"], origin=world.depots["DE"], category=world.category, quantity=100
    )
    loaded_version = pledge.version
    coordinator = client_for(world.users[Role.COORDINATOR])
    donor = client_for(world.users[Role.DONOR_LIAISON])
    first = donor.post(
        f"/pledges/{pledge.pk}/edit/",
        _form(world, quantity=120, status="confirmed", version=loaded_version),
    )
    assert first.status_code == 302
    second = coordinator.post(
        f"/pledges/{pledge.pk}/edit/",
        _form(world, quantity=80, status="confirmed", version=loaded_version),
    )
    assert second.status_code == 409
    assert "changed by someone else" in second.content.decode()
    pledge.refresh_from_db()
    assert pledge.quantity == 120
    assert pledge.version == loaded_version + 1


def test_each_saved_change_is_in_the_audit_trail(world, client_for):
    client = client_for(world.users[Role.DONOR_LIAISON])
    client.post("/pledges/new/", _form(world, donor_reference="DE-1"))
    pledge = Pledge.objects.get()
    client.post(
        f"/pledges/{pledge.pk}/edit/",
        _form(world, quantity=12, donor_reference="DE-1", version=pledge.version),
    )
    events = list(AuditEvent.objects.filter(target_id=str(pledge.pk)).order_by("seq"))
    assert [e.verb for e in events] == ["create", "update"]
    assert events[1].actor_name == "donor-de"
    assert events[1].data["changes"]["quantity"] == [10, 12]
