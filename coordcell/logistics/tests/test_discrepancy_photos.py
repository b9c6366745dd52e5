"""Discrepancies recorded by hand carry photos, limited in size and type, shown only to those
who may see the discrepancy."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from coordcell.logistics.models import Discrepancy
from coordcell.logistics.tests.factories import make_shipment
from coordcell.registry.models import Role

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _post(client, shipment, photo, **fields):
    data = {"kind": "damaged", "description": "Crate crushed", "quantity": 2, **fields}
    if photo is not None:
        data["photos"] = photo
    return client.post(f"/logistics/shipments/{shipment.pk}/discrepancy/", data)


def test_a_discrepancy_is_recorded_with_a_photo(world, client_for):
    shipment = make_shipment(world)
    client = client_for(world.users[Role.COORDINATOR])
    response = _post(client, shipment, SimpleUploadedFile("crate.png", PNG, "image/png"))
    assert response.status_code == 302
    discrepancy = Discrepancy.objects.get()
    photo = discrepancy.photos.get()
    assert (photo.content_type, photo.size) == ("image/png", len(PNG))
    shown = client.get(f"/logistics/photos/{photo.pk}/")
    assert shown.status_code == 200 and shown["Content-Type"] == "image/png"
    assert (
        client_for(world.users["donor-pl"]).get(f"/logistics/photos/{photo.pk}/").status_code == 404
    )


def test_a_file_that_is_not_an_image_is_refused(world, client_for):
    shipment = make_shipment(world)
    fake = SimpleUploadedFile("crate.png", b"<script>alert(1)</script>", "image/png")
    response = _post(client_for(world.users[Role.COORDINATOR]), shipment, fake)
    assert response.status_code == 400
    assert b"not a JPEG, PNG or WebP image" in response.content
    assert not Discrepancy.objects.exists()


def test_a_photo_over_the_size_limit_is_refused(world, client_for, settings):
    settings.COORDCELL_PHOTO_MAX_BYTES = 50
    shipment = make_shipment(world)
    response = _post(
        client_for(world.users[Role.COORDINATOR]),
        shipment,
        SimpleUploadedFile("big.png", PNG, "image/png"),
    )
    assert response.status_code == 400
    assert b"a photo may have at most 50 bytes" in response.content
