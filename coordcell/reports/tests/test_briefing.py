from __future__ import annotations

import io
from typing import Any

from django.test import override_settings

from coordcell.registry.models import Role


@override_settings(COORDCELL_CLASSIFICATION="RESTRICTED // TEST")
def test_briefing_pdf_carries_the_marking_and_cyrillic(picture_world: Any, client_for: Any) -> None:
    from pypdf import PdfReader

    client = client_for(picture_world.users[Role.COORDINATOR])
    response = client.get("/reports/briefing.pdf", HTTP_ACCEPT_LANGUAGE="uk")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = "".join(page.extract_text() for page in reader.pages)
    assert "RESTRICTED // TEST" in text
    assert "Germany" in text
    fonts = {
        str(font.get("/BaseFont"))
        for page in reader.pages
        for font in (page["/Resources"].get("/Font") or {}).values()
        for font in [font.get_object()]
    }
    assert any("DejaVuSans" in f for f in fonts)


def test_briefing_pdf_in_ukrainian(picture_world: Any, client_for: Any) -> None:
    from pypdf import PdfReader

    client = client_for(picture_world.users[Role.COORDINATOR])
    client.cookies["django_language"] = "uk"
    response = client.get("/reports/briefing.pdf")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "Брифінг" in text or "брифінг" in text


@override_settings(COORDCELL_CLASSIFICATION="RESTRICTED // TEST")
def test_briefing_workbook_has_a_sheet_and_a_chart_per_chart(
    picture_world: Any, client_for: Any
) -> None:
    from openpyxl import load_workbook

    client = client_for(picture_world.users[Role.DONOR_LIAISON])
    response = client.get("/reports/briefing.xlsx")
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.worksheets[0]["A1"].value == "RESTRICTED // TEST"
    by_donor = next(ws for ws in wb.worksheets if ws.title.startswith("Units by donor"))
    assert by_donor["A1"].value == "RESTRICTED // TEST"
    assert [c.value for c in by_donor[5]][:5] == ["Germany", 100, 100, 100, 100]
    assert by_donor._charts  # noqa: SLF001


def test_donor_briefing_leaves_out_other_nations(picture_world: Any, client_for: Any) -> None:
    from openpyxl import load_workbook

    client = client_for(picture_world.users[Role.DONOR_LIAISON])
    wb = load_workbook(io.BytesIO(client.get("/reports/briefing.xlsx?donor=PL").content))
    values = {c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row}
    assert "Poland" not in values


def test_briefing_workbook_keeps_a_formula_like_name_as_text(
    picture_world: Any, client_for: Any
) -> None:
    from openpyxl import load_workbook

    from coordcell.registry.models import Nation

    Nation.objects.filter(code="DE").update(name="=HYPERLINK(1)")
    client = client_for(picture_world.users[Role.COORDINATOR])
    wb = load_workbook(io.BytesIO(client.get("/reports/briefing.xlsx").content))
    cells = [
        c
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for c in row
        if c.value == "=HYPERLINK(1)"
    ]
    assert cells and all(c.data_type == "s" for c in cells)
