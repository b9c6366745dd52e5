import pytest

from coordcell.registry.models import Role

pytestmark = pytest.mark.django_db


def test_log_in_and_out(world, client):
    user = world.users[Role.COORDINATOR]
    assert client.get("/").status_code == 302
    response = client.post(
        "/login/", {"username": user.username, "password": "a-long-test-password"}
    )
    assert response.status_code == 302
    home = client.get("/")
    assert home.status_code == 200
    assert b"Coordinator" in home.content
    client.post("/logout/")
    assert client.get("/").status_code == 302


def test_wrong_password_is_refused_with_a_message(world, client):
    response = client.post("/login/", {"username": "coord", "password": "wrong"})
    assert response.status_code == 200
    assert b"correct username and password" in response.content
    assert client.get("/").status_code == 302


def test_the_classification_marking_is_on_every_page(world, client_for, settings):
    settings.COORDCELL_CLASSIFICATION = "NATO UNCLASSIFIED"
    page = client_for(world.users[Role.AUDITOR]).get("/")
    assert page.content.count(b"NATO UNCLASSIFIED") == 2
