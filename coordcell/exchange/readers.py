"""Spreadsheets as a stream of rows: CSV (any common delimiter and encoding) and XLSX (openpyxl in
read-only mode, so a large workbook is never in memory at once), within the import's limits.

Every way into a file goes through ``open_table``, which refuses what is past the limits before
any heavy work: a workbook that unpacks too far (``xlsx.py`` reads the zip's directory and the
sheet's declared size, never the sheet itself) or declares too many rows. ``Table.rows`` stops a
file that has more rows than it declared; ``Table.count`` counts a CSV's rows (C speed: about a
second for 50 MB) for a check before reading it.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter

from coordcell.escaping import csv_writer

from . import xlsx

SUPPORTED = (".csv", ".xlsx")
# Below this a workbook may unpack as far as it likes: it is small whatever its ratio.
_RATIO_FROM = 16 * 2**20


class UnreadableFile(Exception):
    """The file is not a spreadsheet coordcell reads; the message says what to send instead."""


class TooLarge(UnreadableFile):
    """The file is past one of the import's limits; the message says which and what to do."""


def max_rows() -> int:
    return int(settings.COORDCELL_IMPORT_MAX_ROWS)


def too_many_rows(name: str, rows: int, *, declared: bool = False) -> TooLarge:
    limit = max_rows()
    has = f"declares {rows:,} rows" if declared else f"has more than {limit:,} rows"
    hint = (
        " If most of them are empty, delete the empty rows under the data and save it again."
        if declared
        else ""
    )
    return TooLarge(
        f"{name} {has}; one import takes at most {limit:,} rows (COORDCELL_IMPORT_MAX_ROWS). "
        f"Split it into files of up to {limit:,} rows and import them one after the other." + hint
    )


@dataclass
class Table:
    """A header row and the data rows under it, numbered as the spreadsheet numbers them."""

    path: Path
    headers: list[str] = field(default_factory=list)
    header_row: int = 1
    sheet: str = ""
    declared_rows: int | None = None  # data rows by the workbook's own dimension, if it has one
    sheets: tuple[str, ...] = ()  # a workbook's worksheets, in order

    def rows(self) -> Iterator[tuple[int, tuple[Any, ...]]]:
        """(row number, values) for each non-empty row under the header; ``TooLarge`` past the
        row limit."""
        limit, count = max_rows(), 0
        for number, values in _raw_rows(self.path, self.sheet, self.header_row, len(self.headers)):
            if number <= self.header_row:
                continue
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                continue
            count += 1
            if count > limit:
                raise too_many_rows(self.path.name, count)
            yield number, values

    def column_values(self, index: int) -> Iterator[Any]:
        """Every value of one column (0-based), header and rows, for a question about the whole
        column (``layout``: the order of its dates). A workbook's text cells only, read from the
        sheet's XML by a pattern (a tenth of the time of reading its rows)."""
        if self.path.suffix.lower() == ".xlsx":
            with zipfile.ZipFile(self.path) as archive:
                try:
                    yield from xlsx.column_texts(
                        archive, xlsx.parts(archive, self.sheet), index + 1
                    )
                    return
                except xlsx.NoCellReferences:
                    pass
        for _number, values in self.rows():
            if index < len(values):
                yield values[index]

    def count(self) -> int | None:
        """How many data rows to expect: a CSV's records under the header (exact), a workbook's
        declared dimension (None when it declares none)."""
        if self.path.suffix.lower() == ".xlsx":
            return self.declared_rows
        with self.path.open(encoding=_encoding(self.path), newline="") as handle:
            reader = csv.reader(handle, _dialect(handle))
            return max(sum(1 for values in reader if any(values)) - 1, 0)


def open_table(
    path: str | Path,
    *,
    sheet: str = "",
    name: str = "",
    score: Callable[[list[str]], float] | None = None,
) -> Table:
    """Open a spreadsheet and find its header row (the first row that is not empty).

    ``name`` is what messages call the file (the name it was uploaded under). Without a
    ``sheet``, a workbook's sheet is the first whose header row ``score`` rates highest (a
    "ReadMe" before the data has no header that fits), or the first sheet without ``score``."""
    path = Path(path)
    name = name or path.name
    if path.suffix.lower() not in SUPPORTED:
        raise UnreadableFile(
            f"{name}: coordcell reads .csv and .xlsx files; save the sheet as one of them."
        )
    if path.suffix.lower() == ".xlsx" and not sheet and score is not None:
        sheet = _best_sheet(path, name, score)
    table = Table(path=path, sheet=sheet if path.suffix.lower() == ".xlsx" else "")
    rows: Iterator[tuple[int, tuple[Any, ...]]]
    if path.suffix.lower() == ".xlsx":
        rows = _checked_workbook(path, name, table)
    else:
        rows = _csv_rows(path)
    if _read_header(rows, table):
        return table
    raise UnreadableFile(f"{name} is empty: there is no header row.")


def _read_header(rows: Iterator[tuple[int, tuple[Any, ...]]], table: Table) -> bool:
    for number, values in rows:
        cells = [_header_text(v) for v in values]
        if any(cells):
            while cells and not cells[-1]:
                cells.pop()
            table.header_row = number
            # A column without a header gets its letter, so the user can still map it.
            table.headers = [
                text or f"(column {get_column_letter(i + 1)})" for i, text in enumerate(cells)
            ]
            return True
    return False


def sheet_names(path: str | Path) -> tuple[str, ...]:
    """A workbook's worksheets, read from its directory alone; () for a CSV or a bad file."""
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        return ()
    try:
        with zipfile.ZipFile(path) as archive:
            return xlsx.parts(archive).sheet_names
    except (xlsx.NotAWorkbook, zipfile.BadZipFile, KeyError, ValueError, SyntaxError, OSError):
        return ()


def _best_sheet(path: Path, name: str, score: Callable[[list[str]], float]) -> str:
    """The first sheet whose header row scores highest; each sheet's first rows only are read,
    once the workbook is known to be within the limits."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UnreadableFile(f"{name} is not a readable .xlsx workbook ({exc}).") from exc
    with archive:
        try:
            first = xlsx.parts(archive)
            _check_unpacked(archive, first, name, path.stat().st_size)
            if len(first.sheet_names) < 2:
                return ""
            best, chosen = -1.0, ""
            for sheet in first.sheet_names:
                table = Table(path=path, sheet=sheet)
                rows = islice(xlsx.first_rows(archive, xlsx.parts(archive, sheet)), 50)
                found = score(table.headers) if _read_header(rows, table) else 0.0
                if found > best:
                    best, chosen = found, sheet
            return chosen
        except (xlsx.NotAWorkbook, zipfile.BadZipFile, KeyError, ValueError, SyntaxError) as exc:
            raise UnreadableFile(f"{name} is not a readable .xlsx workbook: {exc}.") from exc


def _checked_workbook(path: Path, name: str, table: Table) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """The workbook's first rows, once its unpacked size and declared rows are within limits."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UnreadableFile(f"{name} is not a readable .xlsx workbook ({exc}).") from exc
    with archive:
        try:
            parts = xlsx.parts(archive, table.sheet)
            table.sheets = parts.sheet_names
            table.sheet = table.sheet or parts.sheet_names[0]
            _check_unpacked(archive, parts, name, path.stat().st_size)
            size = xlsx.declared_size(archive, parts.sheet)
            if size is not None:
                table.declared_rows = max(size[0] - 1, 0)  # counted under a header in row 1
                if table.declared_rows > max_rows():
                    raise too_many_rows(name, table.declared_rows, declared=True)
            yield from xlsx.first_rows(archive, parts)
        except xlsx.NoSuchSheet as exc:
            raise UnreadableFile(
                _(
                    "%(name)s has no sheet %(sheet)r; its sheets are %(sheets)s. Choose one with "
                    "--sheet on the command line, 'sheet:' in the mapping file, or the sheet list "
                    "on the import page."
                )
                % {
                    "name": name,
                    "sheet": exc.sheet,
                    "sheets": ", ".join(repr(s) for s in exc.sheets),
                }
            ) from exc
        except (xlsx.NotAWorkbook, zipfile.BadZipFile, KeyError, ValueError, SyntaxError) as exc:
            # ParseError is a SyntaxError; a damaged member is a BadZipFile.
            raise UnreadableFile(f"{name} is not a readable .xlsx workbook: {exc}.") from exc


def _check_unpacked(archive: zipfile.ZipFile, parts: xlsx.Parts, name: str, size: int) -> None:
    """Refuse a workbook whose members would unpack past the limits (the zip's directory says
    how far each unpacks, and Python's zipfile never unpacks a member further)."""
    limit = int(settings.COORDCELL_IMPORT_MAX_UNPACKED_BYTES)
    members = archive.infolist()
    unpacked = sum(m.file_size for m in members)
    mib = 2**20
    if unpacked > limit:
        raise TooLarge(
            f"{name} unpacks to {unpacked / mib:,.0f} MiB; a workbook may unpack to at most "
            f"{limit / mib:,.0f} MiB (COORDCELL_IMPORT_MAX_UNPACKED_MB). Save the sheet as .csv, "
            "or split it into several workbooks."
        )
    ratio, most = unpacked / max(size, 1), int(settings.COORDCELL_IMPORT_MAX_RATIO)
    if unpacked > _RATIO_FROM and ratio > most:
        raise TooLarge(
            f"{name} unpacks to {ratio:,.0f} times its size; a workbook may unpack to at most "
            f"{most} times (COORDCELL_IMPORT_MAX_RATIO; real sheets unpack 5 to 20 times). "
            "Open it in a spreadsheet program and save it again, or save it as .csv."
        )
    # The shared strings are held in memory while the sheet streams past: a quarter at most.
    strings = next((m.file_size for m in members if m.filename == parts.shared_strings), 0)
    if strings > limit // 4:
        raise TooLarge(
            f"{name}'s text cells (its shared strings) unpack to {strings / mib:,.0f} MiB; at "
            f"most {limit / 4 / mib:,.0f} MiB are read (a quarter of "
            "COORDCELL_IMPORT_MAX_UNPACKED_MB). Save the sheet as .csv, or split it."
        )


def _header_text(value: Any) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def _raw_rows(
    path: Path, sheet: str, header_row: int, width: int
) -> Iterator[tuple[int, tuple[Any, ...]]]:
    if path.suffix.lower() == ".xlsx":
        yield from _xlsx_rows(path, sheet, header_row, width)
    else:
        yield from _csv_rows(path)


def _xlsx_rows(
    path: Path, sheet: str, header_row: int, width: int
) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """The rows under the header, as wide as the header: cells further right are never read
    into a row (a sheet may declare 16,384 columns and have data in five)."""
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
        first = header_row + 1
        rows = worksheet.iter_rows(min_row=first, max_col=max(width, 1), values_only=True)
        yield from enumerate(rows, start=first)
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


def _dialect(handle: Any) -> Any:
    """Excel's dialect (text quoted in double quotes, a quote in it doubled: what every
    spreadsheet program writes) with the delimiter the header row uses most. csv.Sniffer is not
    asked: a file whose text holds apostrophes (an error message "Unknown category 'x'") made it
    take ' for the quote, which split quoted text with commas or line breaks into more records."""
    sample = handle.read(1 << 14)
    handle.seek(0)
    header = _header_line(sample)
    counts = {d: header.count(d) for d in ",;\t|"}
    delimiter = max(counts, key=lambda d: counts[d])
    if not counts[delimiter]:
        return csv.excel
    return type("Sheet", (csv.excel,), {"delimiter": delimiter})


def _header_line(sample: str) -> str:
    """The first record of ``sample`` without its double-quoted parts (which may hold delimiters
    and line breaks)."""
    out: list[str] = []
    quoted = False
    for ch in sample:
        if ch == '"':
            quoted = not quoted
        elif not quoted:
            if ch in "\r\n" and "".join(out).strip():
                break
            out.append(ch)
    return "".join(out)


def _csv_rows(path: Path) -> Iterator[tuple[int, tuple[Any, ...]]]:
    encoding = _encoding(path)
    with path.open(encoding=encoding, newline="") as handle:
        reader = csv.reader(handle, _dialect(handle))
        for number, values in enumerate(reader, start=1):
            yield number, tuple(values)


def write_csv(rows: Any) -> bytes:
    buffer = io.StringIO()
    csv_writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")
