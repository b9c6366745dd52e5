"""A donor offers a pledge, the coordination cell confirms it (issue 23; docs/security.md): a donor
liaison creates no confirmed pledge and confirms none, by page, API or import."""

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from coordcell.pledges.models import Pledge
from coordcell.pledges.services import pledge_save
from coordcell.pledges.tests.factories import PledgeFactory
from coordcell.registry.models import Role

pytestmark = pytest.mark.django_db
S = Pledge.Status


def _pledge(world, status, **kw):
    return PledgeFactory.build(
        donor=world.nations["DE"],
        origin=world.depots["DE"],
        category=world.category,
        status=status,
        **kw,
    )


def test_a_donor_cannot_create_a_confirmed_pledge(world):
    with pytest.raises(ValidationError) as refused:
        pledge_save(actor=world.users[Role.DONOR_LIAISON], pledge=_pledge(world, S.CONFIRMED))
    assert "The coordination cell confirms a pledge" in refused.value.message_dict["status"][0]
    assert not Pledge.objects.exists()


def test_a_donor_offers_and_withdraws_but_never_confirms(world):
    donor = world.users[Role.DONOR_LIAISON]
    pledge = pledge_save(actor=donor, pledge=_pledge(world, S.OFFERED))
    pledge.status = S.CONFIRMED
    with pytest.raises(ValidationError):
        pledge_save(actor=donor, pledge=pledge)
    pledge.refresh_from_db()
    pledge.status = S.WITHDRAWN
    assert pledge_save(actor=donor, pledge=pledge).status == S.WITHDRAWN


def test_the_cell_confirms_and_the_donor_cannot_take_the_confirmation_back(world):
    donor, coordinator = world.users[Role.DONOR_LIAISON], world.users[Role.COORDINATOR]
    pledge = pledge_save(actor=donor, pledge=_pledge(world, S.OFFERED))
    pledge.status = S.CONFIRMED
    pledge_save(actor=coordinator, pledge=pledge)
    pledge.refresh_from_db()
    pledge.quantity = 120  # a donor still keeps its confirmed pledge's details
    assert pledge_save(actor=donor, pledge=pledge).status == S.CONFIRMED
    pledge.refresh_from_db()
    pledge.status = S.OFFERED
    with pytest.raises(ValidationError, match="withdraw it"):
        pledge_save(actor=donor, pledge=pledge)


def test_the_donors_form_offers_no_confirmed_status(world, client_for):
    client = client_for(world.users[Role.DONOR_LIAISON])
    form = client.get("/pledges/new/").context["form"]
    assert [v for v, _ in form.fields["status"].choices] == [S.OFFERED, S.WITHDRAWN]
    response = client.post(
        "/pledges/new/",
        {
            "category": world.category.pk,
            "quantity": 10,
            "available_from": "2027-03-01",
            "origin": world.depots["DE"].pk,
            "status": S.CONFIRMED,
        },
    )
    assert response.status_code == 400
    assert not Pledge.objects.exists()


def test_the_api_refuses_a_donors_confirmed_pledge(world):
    from coordcell.api.services import token_create

    donor = world.users[Role.DONOR_LIAISON]
    _, raw = token_create(actor=donor, user=donor, name="sync")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    body = {
        "category": world.category.code,
        "quantity": 10,
        "available_from": "2027-03-01",
        "origin": "depot-de",
        "status": "confirmed",
    }
    refused = api.post("/api/v1/pledges", body, format="json")
    assert refused.status_code == 400
    assert [e["field"] for e in refused.json()["errors"]] == ["status"]
    assert (
        api.post("/api/v1/pledges", {**body, "status": "offered"}, format="json").status_code == 201
    )
