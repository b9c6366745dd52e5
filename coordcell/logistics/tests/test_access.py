"""Need-to-know: routes and times for the cell, auditors and the owning donor; the last leg for
the recipient; another nation's shipment is a 404; training-site officers see nothing."""

import pytest

from coordcell.logistics.selectors import Detail, shipment_detail_level, shipments_visible_to
from coordcell.logistics.tests.factories import make_shipment
from coordcell.registry.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def shipments(world):
    return make_shipment(world, donor="DE"), make_shipment(world, donor="PL")


def test_donor_cannot_open_another_nations_shipment(world, shipments, client_for):
    _, polish = shipments
    client = client_for(world.users[Role.DONOR_LIAISON])
    assert client.get(f"/logistics/shipments/{polish.pk}/").status_code == 404
    assert client.get("/logistics/shipments/999999/").status_code == 404
    listing = client.get("/logistics/").content
    assert b"S-000001" in listing and b"S-000002" not in listing


def test_donor_sees_the_route_and_times_of_its_own_shipment(world, shipments, client_for):
    german, _ = shipments
    page = client_for(world.users[Role.DONOR_LIAISON]).get(f"/logistics/shipments/{german.pk}/")
    assert page.status_code == 200
    assert b"DE depot" in page.content and "Rzeszów".encode() in page.content
    assert page.context["level"] == "full"
    assert len(page.context["legs"]) == 2


def test_recipient_sees_only_the_last_leg_and_an_eta_window(world, shipments, client_for):
    german, _ = shipments
    page = client_for(world.users[Role.RECIPIENT_LIAISON]).get(f"/logistics/shipments/{german.pk}/")
    assert page.status_code == 200
    assert [leg.sequence for leg in page.context["legs"]] == [2]
    assert b"DE depot" not in page.content
    assert b"Lviv handover point" in page.content
    assert b"Expected handover" in page.content
    assert german.planned_departure.isoformat().encode() not in page.content


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.AUDITOR])
def test_cell_staff_and_auditors_see_every_route(world, shipments, client_for, role):
    for shipment in shipments:
        page = client_for(world.users[role]).get(f"/logistics/shipments/{shipment.pk}/")
        assert page.status_code == 200 and page.context["level"] == "full"


def test_training_site_officer_sees_nothing_here(world, shipments, client_for):
    client = client_for(world.users[Role.TRAINING_SITE_OFFICER])
    assert not shipments_visible_to(world.users[Role.TRAINING_SITE_OFFICER]).exists()
    assert client.get(f"/logistics/shipments/{shipments[0].pk}/").status_code == 404
    assert b"S-00000" not in client.get("/logistics/").content
    for url in [
        "/logistics/delays/",
        "/logistics/hubs/",
        "/logistics/inventory/",
        "/logistics/donors/DE/late/",
    ]:
        assert client.get(url).status_code == 404, url


def test_a_user_without_route_rights_gets_status_only(world, shipments):
    polish = shipments[1]
    assert shipment_detail_level(world.users["donor-pl"], polish) is Detail.FULL
    assert shipment_detail_level(world.users[Role.DONOR_LIAISON], polish) is Detail.STATUS
    assert shipment_detail_level(world.users[Role.RECIPIENT_LIAISON], polish) is Detail.LAST_LEG


@pytest.mark.parametrize("role", [Role.DONOR_LIAISON, Role.RECIPIENT_LIAISON, Role.AUDITOR])
def test_only_coordinators_change_shipments_by_hand(world, shipments, client_for, role):
    german, _ = shipments
    response = client_for(world.users[role]).post(
        f"/logistics/shipments/{german.pk}/cancel/", {"cancel-reason": "no"}
    )
    assert response.status_code == 404
    german.refresh_from_db()
    assert german.status == "planned"


def test_a_donor_cannot_see_another_donors_late_page(world, shipments, client_for):
    client = client_for(world.users[Role.DONOR_LIAISON])
    assert client.get("/logistics/donors/PL/late/").status_code == 404
    assert client.get("/logistics/donors/DE/late/").status_code == 200
    assert client.get("/logistics/delays/").status_code == 404
