import pytest

from coordcell.audit.models import AuditEvent
from coordcell.registry.models import Role

pytestmark = pytest.mark.django_db


def _attempt(client, username, password, **headers):
    return client.post("/login/", {"username": username, "password": password}, **headers)


def test_an_account_locks_after_five_failures_even_with_the_right_password(world, client):
    for _ in range(4):
        assert _attempt(client, "coord", "wrong-password").status_code == 200
    assert _attempt(client, "coord", "wrong-password").status_code == 429  # the fifth locks
    locked = _attempt(client, "coord", "a-long-test-password")
    assert locked.status_code == 429
    assert b"locked" in locked.content
    assert client.get("/").status_code == 302


def test_a_forged_forwarded_for_header_does_not_reset_the_count(world, client):
    for i in range(5):
        _attempt(client, f"nobody{i}", "wrong", HTTP_X_FORWARDED_FOR=f"10.0.0.{i}")
    # Five failures from one real address lock that address for every account.
    locked = _attempt(client, "donor-de", "a-long-test-password", HTTP_X_FORWARDED_FOR="192.0.2.77")
    assert locked.status_code == 429


def test_logins_and_failures_are_in_the_audit_trail(world, client):
    _attempt(client, "coord", "wrong-password")
    _attempt(client, "coord", "a-long-test-password")
    client.post("/logout/")
    verbs = list(AuditEvent.objects.order_by("seq").values_list("verb", "target_repr"))
    assert verbs == [("login-failed", "coord"), ("login", "coord"), ("logout", "coord")]


def test_a_success_resets_the_failure_count(world, client):
    for _ in range(4):
        _attempt(client, "coord", "wrong-password")
    assert _attempt(client, "coord", "a-long-test-password").status_code == 302
    client.post("/logout/")
    for _ in range(4):
        _attempt(client, "coord", "wrong-password")
    assert _attempt(client, "coord", "a-long-test-password").status_code == 302
    assert world.users[Role.COORDINATOR].is_active
