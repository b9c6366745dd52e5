import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from coordcell.registry.models import Role

pytestmark = pytest.mark.django_db


def _login(client, username):
    response = client.post("/login/", {"username": username, "password": "a-long-test-password"})
    assert response.status_code == 302
    return response


def _code(device):
    device.refresh_from_db()
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def test_a_coordinator_must_set_up_a_second_factor_first(world, client, settings):
    settings.COORDCELL_2FA_REQUIRED = True
    _login(client, "coord")
    response = client.get("/pledges/")
    assert response.status_code == 302 and response["Location"] == "/account/two-factor/"
    setup = client.get("/account/two-factor/")
    assert setup.status_code == 200 and b"data:image/svg+xml" in setup.content
    device = TOTPDevice.objects.get(user=world.users[Role.COORDINATOR])
    assert client.post("/account/two-factor/", {"code": "000000"}).status_code == 400
    device.refresh_from_db()
    device.throttle_reset()  # as if the user waited before the next try
    assert client.post("/account/two-factor/", {"code": _code(device)}).status_code == 302
    assert client.get("/pledges/").status_code == 200


def test_a_user_with_a_device_proves_it_after_the_password(world, client):
    donor = world.users[Role.DONOR_LIAISON]
    device = TOTPDevice.objects.create(user=donor, name="phone", confirmed=True)
    _login(client, "donor-de")
    response = client.get("/pledges/")
    assert response.status_code == 302
    assert response["Location"].startswith("/account/two-factor/verify/")
    wrong = client.post("/account/two-factor/verify/?next=/pledges/", {"code": "123456"})
    assert wrong.status_code == 400 and b"not valid" in wrong.content
    assert client.get("/pledges/").status_code == 302
    throttled = client.post("/account/two-factor/verify/?next=/pledges/", {"code": _code(device)})
    assert throttled.status_code == 429  # a wrong code makes the next try wait
    device.refresh_from_db()
    device.throttle_reset()
    right = client.post("/account/two-factor/verify/?next=/pledges/", {"code": _code(device)})
    assert right.status_code == 302 and right["Location"] == "/pledges/"
    assert client.get("/pledges/").status_code == 200


def test_the_second_factor_redirect_never_leaves_the_site(world, client):
    device = TOTPDevice.objects.create(user=world.users[Role.AUDITOR], name="phone", confirmed=True)
    _login(client, "audit")
    response = client.post(
        "/account/two-factor/verify/?next=https://evil.example/", {"code": _code(device)}
    )
    assert response["Location"] == "/"


def test_without_a_device_or_requirement_nothing_changes(world, client, settings):
    settings.COORDCELL_2FA_REQUIRED = False
    _login(client, "coord")
    assert client.get("/pledges/").status_code == 200
