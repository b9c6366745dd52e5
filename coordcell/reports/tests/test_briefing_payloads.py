"""Issue 23: free text in the briefing is text, never ReportLab markup, never a formula.

The probe's path, through HTTP: the recipient registers a cohort whose unit is a payload, the
coordinator recomputes readiness (the unit reaches the package's bottleneck), and every role that
reads the briefing gets it (200), with the payload printed as text and no image in the PDF (our
charts are vector drawings: a PDF of ours holds no image at all). Then each class of payload
(markup, formula, control characters, right-to-left override, Cyrillic, very long text) as a
donor's, a hub's and a coalition's name, in the PDF and in the workbook.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest

from coordcell.allocation.models import AllocationLine, AllocationRun
from coordcell.escaping import XLSX_TEXT_MAX, printable
from coordcell.pledges.tests.factories import PledgeFactory
from coordcell.readiness import services as readiness
from coordcell.readiness.models import CapabilityPackage, PackageItem
from coordcell.registry.models import CapabilityCoalition, Location, Nation, Role
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
# The cohort is the recipient's: a donor's briefing says "a cohort", never its unit.
SEES_THE_UNIT = {Role.RECIPIENT_LIAISON, Role.COORDINATOR}


# The probe's unit; a tag ReportLab's parser refuses (the briefing answered 500); the longest
# unit the form takes, as one word.
PROBE_UNITS = ['"><svg/onload=alert(1)>', "<font size=200>", "x" * 200]


@pytest.mark.parametrize("payload", PROBE_UNITS, ids=["svg-onload", "font", "long-word"])
def test_a_markup_unit_is_printed_as_text_in_every_readers_briefing(
    world: Any, served_package: CapabilityPackage, client_for: Any, payload: str
) -> None:
    _cohort_with_unit(world, client_for, payload)
    for role in READERS:
        response = client_for(world.users[role]).get("/reports/briefing.pdf")
        assert response.status_code == 200, role
        shown = _flat(payload) in _flat(_pdf_text(response.content))
        assert shown == (role in SEES_THE_UNIT), role
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
        shown = _flat(payload) in _flat(_pdf_text(response.content))
        assert shown == (role in SEES_THE_UNIT), role


MARKUP = [
    "<",
    "&",
    "&amp;",
    '"><svg/onload=alert(1)>',
    '<img src="/etc/passwd"/>',
    "<font size=200>",
    '<a href="javascript:alert(1)">x</a>',
    "<b>unbalanced",
    "</para>",
]
FORMULAS = ["=1+1", "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("http://x")']
# PostgreSQL stores no NUL (and the forms refuse one): \x01 stands for it here; the escaping
# functions' own tests (tests/test_escaping.py) have \x00.
OTHERS = ["a\x01b", "a\x0bb", "a\x1fb", "\u202eevil", "Україна – Кирилиця"]
PAYLOADS = [*MARKUP, *FORMULAS, *OTHERS]


def _xlsx_cells(content: bytes) -> list[Any]:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(content))
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


# Three payloads a run: Germany's name, Poland's and the hub's (a coalition is named after the
# first); each is in the coordinator's briefing, Germany's in the German donor's too.
GROUPS = [PAYLOADS[i : i + 3] for i in range(0, len(PAYLOADS), 3)]


@pytest.mark.parametrize("payloads", GROUPS, ids=[repr(g) for g in GROUPS])
def test_payload_names_are_text_in_the_briefing_pdf_and_workbook(
    picture_world: Any, client_for: Any, payloads: list[str]
) -> None:
    names = [*payloads, "Germany", "Poland", "Hub"][:3]  # a last group of fewer: plain names
    de, pl, hub = names
    Nation.objects.filter(code="DE").update(name=de)
    Nation.objects.filter(code="PL").update(name=pl)
    Location.objects.filter(pk=picture_world.hub.pk).update(name=hub)
    coalition = CapabilityCoalition.objects.create(name=de + " coalition", domain="")
    for role, query, shown in (
        (Role.COORDINATOR, f"?coalition={coalition.pk}", names),
        (Role.DONOR_LIAISON, "", [de]),
    ):
        client = client_for(picture_world.users[role])
        response = client.get("/reports/briefing.pdf" + query)
        assert response.status_code == 200, role
        text = _flat(_pdf_text(response.content))
        assert [p for p in shown if _flat(printable(p)) not in text] == [], role
        assert _pdf_images(response.content) == [], role
        response = client.get("/reports/briefing.xlsx" + query)
        assert response.status_code == 200, role
        cells = _xlsx_cells(response.content)
        assert not [c.coordinate for c in cells if c.data_type == "f"], role
        texts = {c.value for c in cells if c.data_type == "s"}
        as_stored = [printable(p).replace("\r", "\n") for p in shown]  # as the workbook holds it
        # The donors' names are cells of their own, the hub's is in its chart's title.
        assert [p for p in as_stored if not any(p in t for t in texts)] == [], role
        assert [p for p in as_stored[:2] if p not in texts] == [], role
        if query:  # the coordinator's cover: the scope is the coalition's name
            assert as_stored[0] + " coalition" in texts, role


def test_a_very_long_bottleneck_is_cut_in_the_pdf_and_kept_in_the_workbook(
    world: Any, served_package: CapabilityPackage, client_for: Any
) -> None:
    long_word, long_text = "x" * 100_000, "word " * 20_000
    for text in (long_word, long_text):
        # A fact kept in words (readiness/facts.py "legacy"): the coordinator reads its text.
        CapabilityPackage.objects.filter(pk=served_package.pk).update(
            bottleneck={"kind": "legacy", "text": text}
        )
        client = client_for(world.users[Role.COORDINATOR])
        response = client.get("/reports/briefing.pdf")
        assert response.status_code == 200
        assert _flat(text)[:200] in _flat(_pdf_text(response.content))
        response = client.get("/reports/briefing.xlsx")
        assert response.status_code == 200
        lengths = [len(c.value) for c in _xlsx_cells(response.content) if c.data_type == "s"]
        assert max(lengths) == XLSX_TEXT_MAX
