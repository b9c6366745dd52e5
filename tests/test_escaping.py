"""The escaping function of each output format, with the payload classes of issue 23.

Markup, formulas, control characters, a right-to-left override, Cyrillic and very long text,
through each function and into a real file of its format, read back by a reader of that format
(pypdf, an XML parser, ``csv``, openpyxl). No database.
"""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coordcell.escaping import (
    FORMULA_TRIGGERS,
    XLSX_TEXT_MAX,
    ReportLabMarkup,
    csv_cell,
    csv_writer,
    paragraph,
    printable,
    reportlab_bold,
    reportlab_colour,
    reportlab_join,
    reportlab_markup,
    spreadsheet_unquote,
    svg,
    xlsx_text,
    xlsx_value,
)
from coordcell.workbook import Workbook, header_footer_text

MARKUP = [
    "<",
    "&",
    "&amp;",
    "&#60;",
    '"><svg/onload=alert(1)>',
    '<img src="/etc/passwd"/>',
    "<font size=200>",
    '<a href="javascript:alert(1)">x</a>',
    "<b>unbalanced",
    "</i>",
    "</para>",
    "]]><!--",
]
FORMULAS = ["=1+1", "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("http://x")']
CONTROL = ["a\x00b", "a\x0bb", "a\x1fb", "\x00=1"]
OTHERS = ["\u202eevil.exe", "Україна: 155-мм снаряди", "'=quoted", "''+twice", "'plain"]
PAYLOADS = [*MARKUP, *FORMULAS, *CONTROL, *OTHERS]
LONG = "x" * 100_000


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


# -- ReportLab ----------------------------------------------------------------------------------


def _pdf(flowables: list[Any]) -> Any:
    from pypdf import PdfReader
    from reportlab.platypus import SimpleDocTemplate

    buffer = io.BytesIO()
    SimpleDocTemplate(buffer).build(flowables)
    return PdfReader(buffer)


def _style() -> Any:
    from reportlab.lib.styles import ParagraphStyle

    from coordcell.reports.briefing import FONT, register_fonts

    register_fonts()  # DejaVu: Cyrillic
    return ParagraphStyle("t", fontName=FONT, fontSize=9, leading=12)


def test_a_paragraph_prints_each_payload_as_text_and_embeds_nothing() -> None:
    style = _style()
    reader = _pdf([paragraph(p, style) for p in PAYLOADS])
    text = _flat("".join(page.extract_text() for page in reader.pages))
    for payload in PAYLOADS:
        assert _flat(printable(payload)) in text, payload
    assert [image for page in reader.pages for image in page.images] == []
    assert not any("/Annots" in page for page in reader.pages)  # no link from <a href>


def test_a_paragraph_of_100000_characters_is_built() -> None:
    reader = _pdf([paragraph(LONG, _style())])
    assert len(_flat("".join(page.extract_text() for page in reader.pages))) == len(LONG)


def test_markup_is_made_only_of_escaped_parts() -> None:
    assert reportlab_markup("<b>&") == "&lt;b&gt;&amp;"
    assert reportlab_bold("<i>") == "<b>&lt;i&gt;</b>"
    assert reportlab_colour("■", "#c62828") == '<font color="#c62828">■</font>'
    assert reportlab_join(" & ", [reportlab_bold("a"), "<b>"]) == "<b>a</b> &amp; &lt;b&gt;"
    assert reportlab_markup(reportlab_bold("a")) == "<b>a</b>"  # markup is not escaped twice
    with pytest.raises(ValueError, match="colour"):
        reportlab_colour("x", '#fff" onload="x')


def test_markup_joined_by_hand_is_plain_text_again() -> None:
    joined = reportlab_bold("a") + " b"
    assert not isinstance(joined, ReportLabMarkup)
    assert reportlab_markup(joined) == "&lt;b&gt;a&lt;/b&gt; b"


# -- SVG ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", [*PAYLOADS, LONG])
def test_svg_text_and_attributes_read_back_as_the_text(payload: str) -> None:
    document = f'<svg><a href="{svg(payload)}"><text>{svg(payload)}</text></a></svg>'
    root = ET.fromstring(document)  # noqa: S314  # our own document, in a test
    text = printable(payload)
    assert (root[0][0].text or "") == text.replace("\r", "\n")  # XML reads "\r" as "\n"
    # In an attribute, XML reads tabs and line breaks as spaces.
    assert root[0].get("href") == re.sub(r"[\t\n\r]", " ", text)
    assert [e.tag for e in root.iter()] == ["svg", "a", "text"]


# -- CSV ----------------------------------------------------------------------------------------


def _csv(rows: list[list[Any]]) -> list[list[str]]:
    buffer = io.StringIO()
    csv_writer(buffer).writerows(rows)
    return list(csv.reader(io.StringIO(buffer.getvalue())))


def test_csv_cells_never_start_a_formula() -> None:
    (row,) = _csv([[*PAYLOADS, LONG]])
    assert [c for c in row if c.startswith(FORMULA_TRIGGERS)] == []
    assert row[len(MARKUP) : len(MARKUP) + len(FORMULAS)] == ["'" + f for f in FORMULAS]
    assert row[-1] == LONG
    assert row[PAYLOADS.index("'=quoted")] == "''=quoted"  # so that unquoting gives it back
    assert row[PAYLOADS.index("'plain")] == "'plain"


def test_csv_numbers_stay_numbers() -> None:
    assert _csv([[-5, Decimal("-2.50"), -1.5, 0, True, None]]) == [
        ["-5", "-2.50", "-1.5", "0", "True", ""]
    ]
    assert csv_cell("-5") == "'-5"  # a text that looks like a number is text


@given(st.text())
def test_unquoting_gives_back_every_text(text: str) -> None:
    cell = csv_cell(text)
    assert isinstance(cell, str) and not cell.startswith(FORMULA_TRIGGERS)
    assert spreadsheet_unquote(cell) == text
    if len(text) <= XLSX_TEXT_MAX and "\r" not in text:
        assert spreadsheet_unquote(xlsx_text(text)) == printable(text)


# -- XLSX ---------------------------------------------------------------------------------------


def test_workbook_cells_are_strings_never_formulas() -> None:
    from openpyxl import load_workbook

    buffer = io.BytesIO()
    with Workbook(buffer) as book:
        for n, payload in enumerate([*PAYLOADS, LONG]):
            sheet = book.sheet(payload)  # a payload as a sheet's title, too
            sheet.header_footer(payload)
            sheet.write(0, 0, payload)
            sheet.write(1, 0, -5)
            sheet.write(2, 0, n)
    loaded = load_workbook(io.BytesIO(buffer.getvalue()))
    cells = [c for ws in loaded.worksheets for row in ws.iter_rows() for c in row]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    assert len(loaded.worksheets) == len(PAYLOADS) + 1
    assert len({ws.title.casefold() for ws in loaded.worksheets}) == len(PAYLOADS) + 1
    for n, ws in enumerate(loaded.worksheets):
        payload = [*PAYLOADS, LONG][n]
        assert (ws["A1"].value, ws["A1"].data_type) == (xlsx_text(payload), "s")
        assert (ws["A2"].value, ws["A3"].value) == (-5, n)
    assert loaded.worksheets[-1]["A1"].value == "x" * (XLSX_TEXT_MAX - 1) + "…"


def test_xlsx_text_removes_what_xml_forbids_and_keeps_the_rest() -> None:
    assert xlsx_text("a\x00b\x0bc\x1fd") == "abcd"
    assert xlsx_text("line\r\nnext\rlast") == "line\nnext\nlast"
    assert xlsx_text("=1+1") == "=1+1"  # a string cell: no quote needed
    assert xlsx_text("'=1") == "''=1"
    assert xlsx_value(-5) == -5 and xlsx_value(None) is None


def test_header_and_footer_codes_are_text() -> None:
    assert header_footer_text("R&D &P") == "R&&D &&P"
