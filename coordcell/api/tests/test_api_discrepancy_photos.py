"""Recording a discrepancy through the API takes its photos as the shipment page does
(multipart; JPEG, PNG or WebP by their first bytes; at most 10, each within the size limit), and
serves them to whoever may read the discrepancy, and to no one else."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from coordcell.logistics.lifecycle import S
from coordcell.logistics.models import Discrepancy, DiscrepancyPhoto
from coordcell.logistics.tests.discrepancy_fixtures import shipment_at
from coordcell.registry.models import Role

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def at_hub(world):
    return shipment_at(world, S.AT_HUB)


def _record(api, shipment, *photos, **fields):
    data = {"kind": "damaged", "description": "Crate crushed", "quantity": "2", **fields}
    if photos:
        data["photos"] = list(photos)
    return api.post(f"/api/v1/shipments/{shipment.pk}/discrepancies", data, format="multipart")


def _png(name="crate.png", content=PNG):
    return SimpleUploadedFile(name, content, "image/png")


def test_a_discrepancy_is_recorded_with_its_photos_and_they_are_served(world, at_hub, api_for):
    api = api_for(world.users[Role.COORDINATOR])
    jpeg = SimpleUploadedFile("side.jpg", JPEG, "image/jpeg")
    answer = _record(api, at_hub, _png(), jpeg)
    assert answer.status_code == 201, answer.json()
    photos = answer.json()["photos"]
    assert [(p["content_type"], p["size"]) for p in photos] == [
        ("image/png", len(PNG)),
        ("image/jpeg", len(JPEG)),
    ]
    shown = api.get(photos[0]["url"])
    assert shown.status_code == 200 and shown["Content-Type"] == "image/png"
    assert b"".join(shown.streaming_content) == PNG
    assert shown["X-Content-Type-Options"] == "nosniff"
    listed = api.get(f"/api/v1/discrepancies/{answer.json()['id']}").json()
    assert listed["photos"] == photos
    # Germany's shipment: its own donor reads them; Poland and the recipient (found at the hub,
    # before the handover) do not, as for a photo that does not exist.
    assert api_for(world.users[Role.DONOR_LIAISON]).get(photos[1]["url"]).status_code == 200
    for other in (world.users["donor-pl"], world.users[Role.RECIPIENT_LIAISON]):
        refused = api_for(other).get(photos[0]["url"])
        assert refused.status_code == 404
        assert refused["Content-Type"] == "application/problem+json"
    missing = photos[0]["url"].rsplit("/", 1)[0] + "/999999"
    assert api.get(missing).status_code == 404


def test_json_without_photos_still_records(world, at_hub, api_for):
    api = api_for(world.users[Role.DONOR_LIAISON])
    answer = api.post(
        f"/api/v1/shipments/{at_hub.pk}/discrepancies",
        {"kind": "damaged", "quantity": 1, "description": "Dented"},
        format="json",
    )
    assert answer.status_code == 201, answer.json()
    assert answer.json()["photos"] == []


@pytest.mark.parametrize(
    ("photos", "message"),
    [
        ([_png(content=b"<script>alert(1)</script>")], "not a JPEG, PNG or WebP image"),
        ([_png(f"{n}.png") for n in range(11)], "At most 10 photos"),
    ],
)
def test_a_bad_photo_is_a_400_naming_it_and_nothing_is_recorded(
    world, at_hub, api_for, photos, message
):
    answer = _record(api_for(world.users[Role.COORDINATOR]), at_hub, *photos)
    assert answer.status_code == 400
    [error] = answer.json()["errors"]
    assert error["field"] == "photos" and message in error["detail"]
    assert not Discrepancy.objects.exists() and not DiscrepancyPhoto.objects.exists()


def test_a_photo_over_the_pages_size_limit_is_refused(world, at_hub, api_for, settings):
    settings.COORDCELL_PHOTO_MAX_BYTES = 50
    answer = _record(api_for(world.users[Role.COORDINATOR]), at_hub, _png("big.png"))
    assert answer.status_code == 400
    assert "a photo may have at most 50 bytes" in answer.json()["errors"][0]["detail"]
    assert not Discrepancy.objects.exists()


def test_who_may_not_record_uploads_nothing(world, at_hub, api_for):
    assert _record(api_for(world.users[Role.AUDITOR]), at_hub, _png()).status_code == 403
    assert _record(api_for(world.users["donor-pl"]), at_hub, _png()).status_code == 404
    assert not DiscrepancyPhoto.objects.exists()
