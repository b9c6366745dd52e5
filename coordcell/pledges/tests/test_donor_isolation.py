"""A donor liaison works with its own nation's pledges only; others' do not exist for it."""

import pytest

from coordcell.pledges.models import Pledge
from coordcell.pledges.tests.factories import PledgeFactory
from coordcell.registry.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def pledges(world):
    german = PledgeFactory(
        donor=world.nations["DE"],
        origin=world.depots["DE"],
        category=world.category,
        reference="P-000001",
        donor_reference="DE-SECRET-1",
        status=Pledge.Status.OFFERED,
    )
    polish = PledgeFactory(
        donor=world.nations["PL"],
        origin=world.depots["PL"],
        category=world.category,
        reference="P-000002",
        donor_reference="PL-SECRET-2",
        status=Pledge.Status.OFFERED,
    )
    return german, polish


def test_donor_list_shows_only_its_own_nations_pledges(world, pledges, client_for):
    page = client_for(world.users[Role.DONOR_LIAISON]).get("/pledges/")
    assert page.status_code == 200
    assert b"P-000001" in page.content
    assert b"P-000002" not in page.content


def test_donor_search_cannot_find_another_nations_pledge(world, pledges, client_for):
    page = client_for(world.users[Role.DONOR_LIAISON]).get("/pledges/?q=PL-SECRET")
    assert b"P-000002" not in page.content
    assert b"0 records" in page.content


def test_donor_cannot_open_another_nations_pledge(world, pledges, client_for):
    _, polish = pledges
    client = client_for(world.users[Role.DONOR_LIAISON])
    missing = client.get("/pledges/999999/")
    other = client.get(f"/pledges/{polish.pk}/")
    assert other.status_code == missing.status_code == 404


def test_donor_cannot_edit_another_nations_pledge(world, pledges, client_for):
    _, polish = pledges
    client = client_for(world.users[Role.DONOR_LIAISON])
    assert client.get(f"/pledges/{polish.pk}/edit/").status_code == 404
    response = client.post(
        f"/pledges/{polish.pk}/edit/",
        {
            "donor_reference": "hijacked",
            "category": world.category.pk,
            "quantity": 1,
            "available_from": "2030-01-01",
            "origin": world.depots["DE"].pk,
            "status": "offered",
            "version": 1,
        },
    )
    assert response.status_code == 404
    polish.refresh_from_db()
    assert polish.donor_reference == "PL-SECRET-2"
    assert polish.quantity == 100


def test_donor_cannot_delete_another_nations_pledge(world, pledges, client_for):
    _, polish = pledges
    client = client_for(world.users[Role.DONOR_LIAISON])
    assert client.get(f"/pledges/{polish.pk}/delete/").status_code == 404
    assert client.post(f"/pledges/{polish.pk}/delete/").status_code == 404
    assert Pledge.objects.filter(pk=polish.pk).exists()


def test_donor_can_delete_its_own_unallocated_pledge(world, pledges, client_for):
    german, _ = pledges
    response = client_for(world.users[Role.DONOR_LIAISON]).post(f"/pledges/{german.pk}/delete/")
    assert response.status_code == 302
    assert not Pledge.objects.filter(pk=german.pk).exists()


def test_donor_cannot_pledge_in_another_nations_name(world, client_for):
    client = client_for(world.users[Role.DONOR_LIAISON])
    response = client.post(
        "/pledges/new/",
        {
            "donor": world.nations["PL"].pk,
            "category": world.category.pk,
            "quantity": 10,
            "available_from": "2027-03-01",
            "origin": world.depots["PL"].pk,
            "status": "offered",
        },
    )
    # The donor field is not offered to a donor liaison; the Polish depot is not a choice.
    assert response.status_code == 400
    assert not Pledge.objects.exists()


def test_donor_registers_a_pledge_for_its_own_nation(world, client_for):
    client = client_for(world.users[Role.DONOR_LIAISON])
    response = client.post(
        "/pledges/new/",
        {
            "category": world.category.pk,
            "quantity": 10,
            "available_from": "2027-03-01",
            "origin": world.depots["DE"].pk,
            "status": "offered",
            "donor_reference": "DE-77",
        },
    )
    assert response.status_code == 302
    pledge = Pledge.objects.get()
    assert pledge.donor == world.nations["DE"]
    assert pledge.reference == "P-000001"
    assert response["Location"] == f"/pledges/{pledge.pk}/"


@pytest.mark.parametrize("role", [Role.TRAINING_SITE_OFFICER])
def test_roles_without_need_see_no_pledges(world, pledges, client_for, role):
    client = client_for(world.users[role])
    assert b"P-00000" not in client.get("/pledges/").content
    assert client.get(f"/pledges/{pledges[0].pk}/").status_code == 404


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.RECIPIENT_LIAISON, Role.TRAINING_SITE_OFFICER])
def test_only_coordinators_and_donors_change_pledges(world, pledges, client_for, role):
    client = client_for(world.users[role])
    assert client.get(f"/pledges/{pledges[0].pk}/edit/").status_code == 404
    assert client.get("/pledges/new/").status_code == 404


def test_coordinator_sees_every_nations_pledges(world, pledges, client_for):
    page = client_for(world.users[Role.COORDINATOR]).get("/pledges/")
    assert b"P-000001" in page.content and b"P-000002" in page.content


def test_anonymous_visitor_is_sent_to_log_in(world, pledges, client):
    response = client.get(f"/pledges/{pledges[0].pk}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_disabled_user_loses_access_on_next_request(world, pledges, client_for):
    donor = world.users[Role.DONOR_LIAISON]
    client = client_for(donor)
    assert client.get(f"/pledges/{pledges[0].pk}/").status_code == 200
    donor.is_active = False
    donor.save()
    assert client.get(f"/pledges/{pledges[0].pk}/").status_code != 200
