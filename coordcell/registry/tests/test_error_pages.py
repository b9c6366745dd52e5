import pytest
from django.test import Client

from coordcell.registry.models import Role

pytestmark = pytest.mark.django_db


def test_a_server_error_shows_no_stack_trace_or_sql(world, monkeypatch):
    import coordcell.home

    def broken(*args, **kwargs):
        raise RuntimeError("SELECT secret FROM registry_user -- internal detail")

    monkeypatch.setattr(coordcell.home, "render", broken)
    client = Client(raise_request_exception=False)
    client.force_login(world.users[Role.COORDINATOR])
    response = client.get("/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "went wrong on our side" in body
    for leak in ("Traceback", "SELECT", "RuntimeError", "internal detail"):
        assert leak not in body


def test_a_missing_page_says_so_without_details(world, client_for):
    response = client_for(world.users[Role.AUDITOR]).get("/pledges/999999/")
    assert response.status_code == 404
    assert b"nothing at this address that you may see" in response.content
