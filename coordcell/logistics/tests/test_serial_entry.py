"""Serials entered once: pasted or scanned at the origin as the manifest, per line of a shipment
with two serial-numbered lines; then checked against it at the hub and at receipt, with what is
missing, extra or listed twice said per line in words."""

import datetime as dt
import html

import pytest
from django.utils import timezone

from coordcell.logistics.lifecycle import S
from coordcell.logistics.models import Discrepancy, SerialItem
from coordcell.logistics.serials import check_against_manifest, parse_serials
from coordcell.logistics.services import shipment_record_event, shipments_create_for_lines
from coordcell.logistics.tests.factories import make_line, make_run
from coordcell.registry.models import Role
from coordcell.registry.tests.factories import ItemCategoryFactory

RIFLES = [f"R-{n:03d}" for n in range(1, 49)]


def test_pasted_serials_are_split_on_lines_spaces_and_commas():
    assert parse_serials("A-1\nA-2, A-3;A-4  A-5\r\n\n") == ["A-1", "A-2", "A-3", "A-4", "A-5"]


def test_the_check_names_missing_extra_and_repeated_serials_per_line():
    manifest = {1: ["A", "B", "C"], 2: ["X"]}
    labels = {1: "line 1 · Rifle (3)", 2: "line 2 · Launcher (1)"}
    found = check_against_manifest(manifest, labels, {1: ["A", "A", "Z", "X"], 2: []})
    rifle, launcher = found
    assert rifle.missing == ["B", "C"] and rifle.extra == ["Z"] and rifle.repeated == ["A"]
    assert rifle.other_line == [("X", "line 2 · Launcher (1)")]
    assert "2 serials on the manifest are missing: B, C." in rifle.summary()
    assert "1 serial is not on the manifest: Z." in rifle.summary()
    assert "1 serial is listed more than once: A." in rifle.summary()
    assert launcher.missing == ["X"]
    clean = check_against_manifest(manifest, labels, {1: ["C", "B", "A"], 2: ["X"]})
    assert all(c.clean for c in clean)
    assert "3 of 3 serials counted. All match the manifest." in clean[0].summary()


@pytest.fixture
def two_lines(world):
    rifle = ItemCategoryFactory(code="rifle", name="Rifle", sensitive=True, unit="each")
    launcher = ItemCategoryFactory(code="atgm", name="Launcher", sensitive=True, unit="each")
    run = make_run()
    lines = [
        make_line(world, run=run, category=rifle, quantity=48),
        make_line(world, run=run, category=launcher, quantity=1),
    ]
    [shipment] = shipments_create_for_lines(actor=world.users[Role.COORDINATOR], lines=lines)
    rifle_line, launcher_line = shipment.lines.order_by("pk")
    return shipment, rifle_line, launcher_line


def _text(response):
    return html.unescape(response.content.decode())


@pytest.mark.django_db
def test_the_manifest_is_pasted_per_line_at_the_origin(world, client_for, two_lines):
    shipment, rifle, launcher = two_lines
    client = client_for(world.users[Role.COORDINATOR])
    page = client.get(f"/logistics/shipments/{shipment.pk}/")
    form = page.context["event_form"]
    assert {f"serials_{rifle.pk}", f"serials_{launcher.pk}"} <= set(form.fields)
    short = client.post(
        f"/logistics/shipments/{shipment.pk}/event/",
        {"status": S.READY, f"serials_{rifle.pk}": " ".join(RIFLES[:47])},
    )
    assert short.status_code == 400
    text = _text(short)
    assert "carries 48 items: give 48 serial numbers, not 47" in text
    assert f"Paste or scan the serial numbers of line {launcher.pk}" in text
    assert not SerialItem.objects.exists()
    done = client.post(
        f"/logistics/shipments/{shipment.pk}/event/",
        {
            "status": S.READY,
            f"serials_{rifle.pk}": ", ".join(RIFLES[:24]) + "\n" + "\n".join(RIFLES[24:]),
            f"serials_{launcher.pk}": "L-1",
        },
    )
    assert done.status_code == 302
    assert SerialItem.objects.filter(shipment_line=rifle).count() == 48
    assert SerialItem.objects.filter(shipment_line=launcher).count() == 1
    page = _text(client.get(f"/logistics/shipments/{shipment.pk}/"))
    # Counts per line, apart: never "481".
    assert f"line {rifle.pk}: 48; line {launcher.pk}: 1" in page


@pytest.mark.django_db
def test_the_hub_checks_its_scan_against_the_manifest_before_recording(
    world, client_for, two_lines
):
    shipment, rifle, launcher = two_lines
    coordinator = world.users[Role.COORDINATOR]
    at = timezone.now() - dt.timedelta(days=1)
    shipment_record_event(
        actor=coordinator,
        shipment=shipment,
        status=S.READY,
        occurred_at=at,
        serials={str(rifle.pk): RIFLES, str(launcher.pk): ["L-1"]},
    )
    shipment_record_event(actor=coordinator, shipment=shipment, status=S.DEPARTED, occurred_at=at)
    client = client_for(coordinator)
    scanned = {
        "status": S.AT_HUB,
        f"serials_{rifle.pk}": "\n".join([*RIFLES[:46], "R-001", "R-999"]),
        f"serials_{launcher.pk}": "L-1",
        "check": "1",
    }
    checked = client.post(f"/logistics/shipments/{shipment.pk}/event/", scanned)
    assert checked.status_code == 200
    text = _text(checked)
    assert "2 serials on the manifest are missing: R-047, R-048." in text
    assert "1 serial is not on the manifest: R-999." in text
    assert "1 serial is listed more than once: R-001." in text
    assert "1 of 1 serials counted. All match the manifest." in text
    assert "R-999" in text.split('name="serials_')[1]  # the scan is kept in its box
    assert not shipment.events.filter(status=S.AT_HUB).exists()  # a check stores nothing
    del scanned["check"]
    recorded = client.post(f"/logistics/shipments/{shipment.pk}/event/", scanned, follow=True)
    assert "Recorded as discrepancies." in _text(recorded)
    kinds = sorted(Discrepancy.objects.filter(shipment=shipment).values_list("kind", "serial"))
    assert kinds == [
        ("extra_serial", "R-999"),
        ("missing_serial", "R-047"),
        ("missing_serial", "R-048"),
    ]
