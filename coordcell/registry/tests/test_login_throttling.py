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


PROXY = "10.1.1.1"  # the reverse proxy in front (COORDCELL_TRUSTED_PROXIES)


def _through_proxy(client, username, password, client_ip, forged=""):
    hops = f"{forged}, {client_ip}" if forged else client_ip  # the proxy appends its peer
    return _attempt(client, username, password, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=hops)


def test_behind_a_trusted_proxy_each_client_is_counted_by_its_own_address(world, client, settings):
    settings.COORDCELL_TRUSTED_PROXIES = [PROXY]
    for i in range(5):
        _through_proxy(client, f"nobody{i}", "wrong", "198.51.100.7")
    # The attacker's address is locked ...
    assert (
        _through_proxy(client, "donor-de", "a-long-test-password", "198.51.100.7").status_code
        == 429
    )
    # ... not everybody else behind the same proxy.
    ok = _through_proxy(client, "donor-de", "a-long-test-password", "198.51.100.8")
    assert ok.status_code == 302


def test_behind_a_trusted_proxy_a_forged_header_part_changes_nothing(world, client, settings):
    settings.COORDCELL_TRUSTED_PROXIES = [PROXY]
    for i in range(5):
        # The client writes its own X-Forwarded-For; the proxy appends the real address.
        _through_proxy(client, f"nobody{i}", "wrong", "198.51.100.7", forged=f"203.0.113.{i}")
    locked = _through_proxy(client, "donor-de", "a-long-test-password", "198.51.100.7", "1.2.3.4")
    assert locked.status_code == 429
    failed = AuditEvent.objects.filter(verb="login-failed").values_list("data", flat=True)
    assert {d["address"] for d in failed} == {"198.51.100.7"}


def test_a_header_from_an_untrusted_peer_is_ignored(world, client, settings):
    settings.COORDCELL_TRUSTED_PROXIES = [PROXY]
    for i in range(5):
        _attempt(client, f"nobody{i}", "wrong", HTTP_X_FORWARDED_FOR=f"10.0.0.{i}")
    # Not from the proxy: counted by the TCP peer, whatever the header says.
    locked = _attempt(client, "donor-de", "a-long-test-password", HTTP_X_FORWARDED_FOR="192.0.2.9")
    assert locked.status_code == 429
