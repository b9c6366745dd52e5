"""The one escaping function of each output format: text from users leaves the app only through it.

| format | function | used by |
|---|---|---|
| ReportLab paragraph markup (PDF) | ``reportlab_markup`` (and ``paragraph``) | the briefing PDF |
| SVG (inline, in pages) | ``svg`` (template filter ``|svg``) | the charts' template |
| CSV | ``csv_cell`` (through ``csv_writer``) | exports, an import's error list and reject file |
| XLSX | ``xlsx_value``, ``xlsx_text`` (through ``coordcell.workbook``) | exports, briefing XLSX |

HTML pages need nothing of their own: Django's templates escape every value, and
``tests/test_output_escaping.py`` fails on any way around that (``|safe``, ``mark_safe``) and on
any writer of the formats above that does not go through this module (docs/security.md).

``spreadsheet_unquote`` is the inverse of the spreadsheet functions' neutralising quote: the
import (``exchange/normalise.py``) reads coordcell's own exports back unchanged.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import IO, Any

from django.utils.safestring import SafeString

# Characters XML 1.0 does not allow (C0 controls other than tab, line feed and carriage return;
# lone surrogates; U+FFFE, U+FFFF): a PDF, SVG or XLSX holding one is refused by its reader.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

# A cell starting with one of these is run as a formula by spreadsheet programs (OWASP, "CSV
# injection"); "-" and "+" too: "-2+3" is a formula in Excel and LibreOffice.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# A text that already looks neutralised: quotes, then a trigger. It gets one more quote, so that
# ``spreadsheet_unquote`` gives every text back exactly (the quoting is one-to-one).
_QUOTED = re.compile(r"'+[=+\-@\t\r]")

XLSX_TEXT_MAX = 32_767  # characters in one cell: Excel's limit (it "repairs" a longer cell away)

_HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


def printable(value: object) -> str:
    """``value`` as text without the characters XML 1.0 forbids (see ``_NOT_XML``)."""
    return _NOT_XML.sub("", str(value))


# -- ReportLab (PDF) ----------------------------------------------------------------------------


class ReportLabMarkup(str):
    """Text that is valid ReportLab paragraph markup and prints exactly what it says.

    Only this module makes one (tests/test_output_escaping.py checks): from plain text through
    ``reportlab_markup``, and our own tags (``reportlab_bold``, ``reportlab_colour``) around
    parts that already are markup. Any other string handed to ``paragraph`` is plain text.
    Joining or formatting markup with ``+`` or an f-string gives a plain ``str`` again, which
    ``paragraph`` escapes: a mistake shows tags as text, it never makes text into tags.
    """

    __slots__ = ()


def reportlab_markup(value: object) -> ReportLabMarkup:
    """Plain text as ReportLab paragraph markup that prints exactly that text.

    Guarantees: ``&``, ``<``, ``>``, ``"`` and ``'`` are entities, so no tag (``<img>``,
    ``<a href>``, ``<font>``, an unbalanced ``<b>``) and no entity of the text reaches
    ReportLab's parser; characters XML forbids are removed. Markup passes unchanged.
    """
    if isinstance(value, ReportLabMarkup):
        return value
    return ReportLabMarkup(html.escape(printable(value), quote=True))


def reportlab_bold(value: object) -> ReportLabMarkup:
    return ReportLabMarkup(f"<b>{reportlab_markup(value)}</b>")


def reportlab_colour(value: object, colour: str) -> ReportLabMarkup:
    """``value`` in ``colour`` (``#rrggbb``; anything else is refused)."""
    if not _HEX_COLOUR.fullmatch(colour):
        raise ValueError(f"{colour!r} is not a colour of the form #rrggbb.")
    return ReportLabMarkup(f'<font color="{colour}">{reportlab_markup(value)}</font>')


def reportlab_join(separator: object, parts: Iterable[object]) -> ReportLabMarkup:
    """Parts (text or markup) joined by ``separator``, each escaped unless already markup."""
    sep = reportlab_markup(separator)
    return ReportLabMarkup(sep.join(reportlab_markup(p) for p in parts))


def paragraph(content: object, style: Any) -> Any:
    """A ReportLab ``Paragraph``: the only way the app makes one.

    ``content`` is plain text (escaped by ``reportlab_markup``) or ``ReportLabMarkup``.
    """
    from reportlab.platypus import Paragraph

    return Paragraph(reportlab_markup(content), style)


# -- SVG ----------------------------------------------------------------------------------------


def svg(value: object) -> SafeString:
    """Text for an SVG text node or a quoted attribute value.

    Guarantees: ``&``, ``<``, ``>``, ``"`` and ``'`` are entities (so the text can neither close
    the element or attribute nor open a new one: no ``<script>``, no ``onload=``); characters
    XML forbids are removed, so the document stays well-formed XML as well as HTML. The result
    is marked safe for the template language, which would otherwise escape it a second time.
    """
    escaped = html.escape(printable(value), quote=True)
    return SafeString(escaped)  # nosec B703: escaped on the line above


# -- CSV ----------------------------------------------------------------------------------------


def _neutralised(text: str) -> str:
    if text.startswith(FORMULA_TRIGGERS) or _QUOTED.match(text):
        return "'" + text
    return text


def csv_cell(value: object) -> object:
    """One CSV cell that no spreadsheet program runs as a formula.

    Guarantees: a text starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a
    leading ``'`` (OWASP), and so does a text that already looks like that (``'=1``), so
    ``spreadsheet_unquote`` undoes it exactly; numbers (``-5`` too) stay numbers; nothing
    (``None``) is an empty cell. Quoting of commas, quotes and line breaks is the ``csv``
    module's, through ``csv_writer``.
    """
    if value is None:
        return ""
    if isinstance(value, bool | int | float | Decimal):
        return value
    return _neutralised(str(value))


class CsvWriter:
    """``csv.writer`` whose every cell goes through ``csv_cell``."""

    def __init__(self, stream: IO[str], **options: Any) -> None:
        import csv

        self._writer = csv.writer(stream, **options)

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([csv_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(stream: IO[str], **options: Any) -> CsvWriter:
    """The only CSV writer of the app (options as ``csv.writer``'s)."""
    return CsvWriter(stream, **options)


# -- XLSX ---------------------------------------------------------------------------------------


def xlsx_text(value: object) -> str:
    """Text for a string cell of a workbook (``coordcell.workbook`` writes it as a string, so
    it is never a formula however it starts).

    Guarantees: characters XML forbids are removed (openpyxl refuses them; Excel refuses a file
    holding them); a carriage return is a line feed, Excel's line break (a "\r" is stored as
    "_x000D_", which openpyxl, and so the import, reads back as those seven characters); a text
    longer than Excel's 32,767 characters is cut, ending in "…"; a text that looks neutralised
    (``'=1``) gets one more quote, as in CSV, so that the import of coordcell's own file gives
    it back exactly.
    """
    text = printable(value).replace("\r\n", "\n").replace("\r", "\n")
    if _QUOTED.match(text):
        text = "'" + text
    if len(text) > XLSX_TEXT_MAX:
        text = text[: XLSX_TEXT_MAX - 1] + "…"
    return text


def xlsx_value(value: object) -> object:
    """A cell's value: numbers, yes/no and dates as themselves, everything else ``xlsx_text``."""
    if value is None or isinstance(value, bool | int | float | Decimal | dt.date):
        return value
    return xlsx_text(value)


# -- reading back -------------------------------------------------------------------------------


def spreadsheet_unquote(text: str) -> str:
    """The text a spreadsheet cell of coordcell's held before ``csv_cell``/``xlsx_text`` quoted
    it: one leading ``'`` less when quotes are followed by a formula trigger (``'=1`` -> ``=1``,
    ``''=1`` -> ``'=1``); any other text unchanged."""
    return text[1:] if _QUOTED.match(text) else text
