"""Spreadsheets as a stream of rows: CSV (any common delimiter and encoding) and XLSX (openpyxl in
read-only mode, so a 200,000-row workbook is never in memory at once)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl.utils import get_column_letter

from coordcell.escaping import csv_writer

SUPPORTED = (".csv", ".xlsx")


class UnreadableFile(Exception):
    """The file is not a spreadsheet coordcell reads; the message says what to send instead."""


@dataclass
class Table:
    """A header row and the data rows under it, numbered as the spreadsheet numbers them."""

    path: Path
    headers: list[str] = field(default_factory=list)
    header_row: int = 1
    sheet: str = ""

    def rows(self) -> Iterator[tuple[int, tuple[Any, ...]]]:
        """(row number, values) for each non-empty row under the header."""
        for number, values in _raw_rows(self.path, self.sheet):
            if number <= self.header_row:
                continue
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                continue
            yield number, values


def open_table(path: str | Path, *, sheet: str = "") -> Table:
    """Open a spreadsheet and find its header row (the first row that is not empty)."""
    path = Path(path)
    if path.suffix.lower() not in SUPPORTED:
        raise UnreadableFile(
            f"{path.name}: coordcell reads .csv and .xlsx files; save the sheet as one of them."
        )
    table = Table(path=path, sheet=sheet)
    for number, values in _raw_rows(path, sheet):
        cells = [_header_text(v) for v in values]
        if any(cells):
            while cells and not cells[-1]:
                cells.pop()
            table.header_row = number
            # A column without a header gets its letter, so the user can still map it.
            table.headers = [
                text or f"(column {get_column_letter(i + 1)})" for i, text in enumerate(cells)
            ]
            return table
    raise UnreadableFile(f"{path.name} is empty: there is no header row.")


def _header_text(value: Any) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def _raw_rows(path: Path, sheet: str) -> Iterator[tuple[int, tuple[Any, ...]]]:
    if path.suffix.lower() == ".xlsx":
        yield from _xlsx_rows(path, sheet)
    else:
        yield from _csv_rows(path)


def _xlsx_rows(path: Path, sheet: str) -> Iterator[tuple[int, tuple[Any, ...]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise UnreadableFile(f"{path.name} is not a readable .xlsx workbook ({exc}).") from exc
    try:
        if sheet and sheet not in workbook.sheetnames:
            raise UnreadableFile(
                f"{path.name} has no sheet {sheet!r}; it has {', '.join(workbook.sheetnames)}."
            )
        worksheet = workbook[sheet] if sheet else workbook.worksheets[0]
        yield from enumerate(worksheet.iter_rows(values_only=True), start=1)
    finally:
        workbook.close()


def _encoding(path: Path) -> str:
    with path.open("rb") as handle:
        sample = handle.read(1 << 16)
    try:
        sample.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start < len(sample) - 4:  # not just a character cut at the sample's end
            return "cp1252"
    return "utf-8-sig"


def _csv_rows(path: Path) -> Iterator[tuple[int, tuple[Any, ...]]]:
    encoding = _encoding(path)
    with path.open(encoding=encoding, newline="") as handle:
        sample = handle.read(1 << 14)
        handle.seek(0)
        try:
            dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t|")
        except csv.Error:
            dialect = csv.excel
        reader = csv.reader(handle, dialect)
        for number, values in enumerate(reader, start=1):
            yield number, tuple(values)


def estimate_rows(path: str | Path) -> int | None:
    """About how many data rows a file has, cheaply, for a progress bar (None: unknown)."""
    path = Path(path)
    try:
        if path.suffix.lower() == ".xlsx":
            from openpyxl import load_workbook

            workbook = load_workbook(path, read_only=True)
            rows = workbook.worksheets[0].max_row  # from the sheet's dimension tag
            workbook.close()
            return rows - 1 if rows else None
        with path.open("rb") as handle:
            return max(
                sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b"")) - 1, 0
            )
    except Exception:
        return None


def write_csv(rows: Any) -> bytes:
    buffer = io.StringIO()
    csv_writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")
