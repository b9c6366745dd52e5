"""The app's one XLSX writer: every cell through ``escaping.xlsx_value``, every text a string cell.

XlsxWriter underneath (openpyxl only reads, in the import): its ``write()`` would make a text
starting with "=" into a formula, so the writer is private to this module and cells go in by
type (``write_string`` for text, whatever its first character). Sheet titles, headers and
footers, and chart titles (cell references, never text XlsxWriter could take for a formula) are
made safe here too. ``tests/test_output_escaping.py`` allows XlsxWriter nowhere else.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import IO, Any

from .escaping import printable, xlsx_value

_SHEET_TITLE_MAX = 31
_NOT_IN_SHEET_TITLES = re.compile(r"[\[\]:*?/\\]")
_LOOKS_LIKE_A_REFERENCE = re.compile(r"^=|![$A-Z]")
_STYLES: dict[str, dict[str, Any]] = {
    "bold": {"bold": True},
    "title": {"bold": True, "font_size": 14},
    "heading": {"bold": True, "font_size": 12},
    "marking": {"bold": True, "font_color": "#FFFFFF", "bg_color": "#0B6623", "pattern": 1},
    "date": {"num_format": "yyyy-mm-dd"},
    "datetime": {"num_format": "yyyy-mm-dd hh:mm:ss"},
}
_CM = 37.8  # pixels per centimetre, at Excel's 96 dpi


def header_footer_text(value: object) -> str:
    """Text for a printed page's header or footer: "&" starts a code there (``&P`` is the page
    number), so it is doubled; the first 120 characters (doubled, within Excel's 255)."""
    return printable(value)[:120].replace("&", "&&")


class Sheet:
    """One worksheet; rows and columns count from 0."""

    def __init__(self, book: Workbook, worksheet: Any) -> None:
        self._book = book
        self._ws = worksheet
        self.name: str = worksheet.get_name()

    def write(self, row: int, col: int, value: object, style: str = "") -> None:
        """One cell: text as a string cell, numbers, yes/no and dates as such; nothing: no cell."""
        value = xlsx_value(value)
        fmt = self._book.style(style) if style else None
        ws = self._ws
        if value is None or value == "":
            if fmt is not None:
                ws.write_blank(row, col, None, fmt)
        elif isinstance(value, str):
            ws.write_string(row, col, value, fmt)
        elif isinstance(value, bool):
            ws.write_boolean(row, col, value, fmt)
        elif isinstance(value, int | float | Decimal):
            ws.write_number(row, col, value, fmt)
        elif isinstance(value, dt.datetime):
            ws.write_datetime(row, col, value, fmt or self._book.style("datetime"))
        elif isinstance(value, dt.date):
            ws.write_datetime(row, col, value, fmt or self._book.style("date"))
        else:  # pragma: no cover - xlsx_value returns one of the above
            raise TypeError(f"no cell for {type(value).__name__}")

    def write_row(self, row: int, values: list[Any], style: str = "") -> None:
        for col, value in enumerate(values):
            self.write(row, col, value, style)

    def column_width(self, first: int, last: int, width: float) -> None:
        self._ws.set_column(first, last, width)

    def header_footer(self, text: object) -> None:
        """``text`` centred in the header and the footer of every printed page."""
        safe = header_footer_text(text)
        self._ws.set_header("&C" + safe)
        self._ws.set_footer("&C" + safe)

    def bar_chart(
        self,
        *,
        title_cell: tuple[int, int],
        header_row: int,
        first_row: int,
        last_row: int,
        value_cols: range,
        value_axis: str,
        at: tuple[int, int],
        height_cm: float,
        width_cm: float = 18,
    ) -> None:
        """Horizontal bars: categories in column A, one series per column of ``value_cols``
        named by its header. Titles come from cells (references), never from text."""
        if _LOOKS_LIKE_A_REFERENCE.search(value_axis):
            raise ValueError(f"{value_axis!r} would be read as a cell reference.")
        chart = self._book.add_chart("bar")
        chart.set_title({"name": [self.name, *title_cell]})
        for col in value_cols:
            chart.add_series(
                {
                    "name": [self.name, header_row, col],
                    "categories": [self.name, first_row, 0, last_row, 0],
                    "values": [self.name, first_row, col, last_row, col],
                }
            )
        chart.set_x_axis({"name": value_axis})  # in a bar chart, x is the value axis
        chart.set_size({"width": width_cm * _CM, "height": height_cm * _CM})
        self._ws.insert_chart(*at, chart)


class Workbook:
    """An XLSX workbook written to ``target`` (a binary stream) when closed.

    ``streaming``: rows are written in order, each flushed to a temporary file, so that any
    number of rows takes little memory (XlsxWriter's ``constant_memory``).
    """

    def __init__(self, target: IO[bytes], *, streaming: bool = False) -> None:
        import xlsxwriter

        self._wb = xlsxwriter.Workbook(
            target,
            {
                "constant_memory": streaming,
                # Belt and braces: Sheet.write never hands text to write(), which these govern.
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
            },
        )
        self._styles: dict[str, Any] = {}
        self._titles: set[str] = set()

    def style(self, name: str) -> Any:
        if name not in self._styles:
            self._styles[name] = self._wb.add_format(_STYLES[name])
        return self._styles[name]

    def sheet(self, title: object) -> Sheet:
        """A new sheet named ``title``, made a valid and unique sheet name."""
        return Sheet(self, self._wb.add_worksheet(self._sheet_title(title)))

    def _sheet_title(self, title: object) -> str:
        clean = _NOT_IN_SHEET_TITLES.sub("", printable(title))[:28].strip().strip("'").strip()
        clean = clean or "Sheet"
        if clean.casefold() == "history":  # reserved by Excel
            clean = "History sheet"
        name, n = clean, 2
        while name.casefold() in self._titles:
            name = f"{clean[:25].rstrip()} {n}"
            n += 1
        self._titles.add(name.casefold())
        return name

    def add_chart(self, kind: str) -> Any:
        return self._wb.add_chart({"type": kind})

    def close(self) -> None:
        self._wb.close()

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
