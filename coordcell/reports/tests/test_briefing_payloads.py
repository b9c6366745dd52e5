"""Issue 23, finding 1: free text in the briefing is text, never ReportLab markup.

The probe's path, through HTTP: the recipient registers a cohort whose unit is a payload, the
coordinator recomputes readiness (the unit reaches the package's bottleneck), and every role that
reads the briefing gets it (200), with the payload printed as text and no image in the PDF (our
charts are vector drawings: a PDF of ours holds no image at all).
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest

from coordcell.allocation.models import AllocationLine, AllocationRun
from coordcell.pledges.tests.factories import PledgeFactory
from coordcell.readiness import services as readiness
from coordcell.readiness.models import CapabilityPackage, PackageItem
from coordcell.registry.models import Role
from coordcell.requirements.tests.factories import RequirementFactory
from coordcell.training.models import Cohort
from coordcell.training.tests.factories import make_courses, next_monday

# A 2x2 PNG: the picture another nation's discrepancy report might hold.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000002000000020802000000fdd49a73"
    "0000001649444154789c633cc1c0c0c0c0c0c4c0c0c0c0c000000a5200cc5027a1"
    "3c0000000049454e44ae426082"
)


def _pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(content))
    return "".join(page.extract_text() for page in reader.pages)


def _pdf_images(content: bytes) -> list[str]:
    from pypdf import PdfReader

    return [image.name for page in PdfReader(io.BytesIO(content)).pages for image in page.images]


def _flat(text: str) -> str:
    """Text without the line breaks and spaces a narrow table column adds."""
    return re.sub(r"\s+", "", text)


@pytest.fixture
def served_package(world: Any) -> CapabilityPackage:
    """A package whose end items Germany delivers (so a German donor reads it) and whose crews
    are the recipient's cohort: while that cohort is not booked, its unit is the bottleneck."""
    start = next_monday()
    coordinator = world.users[Role.COORDINATOR]
    guns = RequirementFactory(
        category=world.category,
        capability=world.capability,
        delivery_point=world.delivery_point,
        quantity=4,
    )
    run = AllocationRun.objects.create(
        reference="A-00001", status=AllocationRun.Status.COMMITTED, planning_start=start
    )
    pledge = PledgeFactory(
        donor=world.nations["DE"],
        origin=world.depots["DE"],
        category=guns.category,
        quantity=4,
        available_from=start,
    )
    AllocationLine.objects.create(
        run=run,
        pledge=pledge,
        requirement=guns,
        hub=world.hub,
        quantity=4,
        dispatch_week=0,
        hub_week=1,
        arrival_week=3,
    )
    make_courses(world)
    return readiness.package_save(
        actor=coordinator,
        package=CapabilityPackage(name="PzH 2000 battery", capability=world.capability),
        items=[(guns, PackageItem.Role.END_ITEM, 1)],
    )


def _cohort_with_unit(world: Any, client_for: Any, unit: str) -> None:
    """The probe's steps: the recipient registers the cohort, the coordinator recomputes."""
    recipient = client_for(world.users[Role.RECIPIENT_LIAISON])
    response = recipient.post(
        "/training/cohorts/new/",
        {
            "unit": unit,
            "trainees": 12,
            "capability": world.capability.pk,
            "earliest_release": next_monday().isoformat(),
            "priority": 2,
            "path": "m109-op",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Cohort.objects.filter(unit=unit).exists()
    coordinator = client_for(world.users[Role.COORDINATOR])
    assert coordinator.post("/readiness/recompute/").status_code == 302


READERS = (Role.RECIPIENT_LIAISON, Role.DONOR_LIAISON, Role.COORDINATOR)


def test_a_markup_unit_is_printed_as_text_in_every_readers_briefing(
    world: Any, served_package: CapabilityPackage, client_for: Any
) -> None:
    payload = '"><svg/onload=alert(1)>'
    _cohort_with_unit(world, client_for, payload)
    for role in READERS:
        response = client_for(world.users[role]).get("/reports/briefing.pdf")
        assert response.status_code == 200, role
        assert _flat(payload) in _flat(_pdf_text(response.content)), role
        assert _pdf_images(response.content) == [], role


def test_an_image_tag_in_a_unit_embeds_no_image(
    world: Any, served_package: CapabilityPackage, client_for: Any, tmp_path: Path
) -> None:
    photo = tmp_path / "discrepancies" / "2" / "pl-photo.png"
    photo.parent.mkdir(parents=True)
    photo.write_bytes(PNG)
    payload = f'<img src="{photo}"/>'
    _cohort_with_unit(world, client_for, payload)
    for role in READERS:
        response = client_for(world.users[role]).get("/reports/briefing.pdf")
        assert response.status_code == 200, role
        assert _pdf_images(response.content) == [], role
        assert _flat(payload) in _flat(_pdf_text(response.content)), role
