"""What a workbook says about itself before anyone unpacks it: how large its members unpack,
which member is the sheet, the sheet's declared size, and its first rows.

openpyxl cannot be asked this cheaply: opening a workbook loads every shared string into memory
and, when the sheet declares no dimension (pandas and openpyxl's own write-only mode write none),
parses the whole sheet to find one. That is how a 206 KB crafted workbook held a web worker for
minutes at 720 MB. Here the zip's directory gives the unpacked sizes, and the sheet is read only as
far as its header row.
"""

from __future__ import annotations

import html
import pyexpat
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from posixpath import dirname, join, normpath
from typing import Any
from xml.etree.ElementTree import fromstring, iterparse  # nosec B405: see _EXPAT

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_DOC_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_SMALL_PART = 8 * 2**20  # workbook.xml and its relations: a few KB in a real workbook
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?\"")


class NotAWorkbook(Exception):
    """The file is not an .xlsx workbook that can be read; the message says why."""


class NoSuchSheet(NotAWorkbook):
    """The workbook has no sheet of the name asked for; ``sheets`` are those it has."""

    def __init__(self, sheet: str, sheets: tuple[str, ...]) -> None:
        super().__init__(f"it has no sheet {sheet!r}; it has {', '.join(sheets)}")
        self.sheet, self.sheets = sheet, sheets


# What defusedxml guards against, the standard library does here: expat 2.4.1 and later limit
# entity amplification (the "billion laughs", quadratic blow-up) by themselves, and ElementTree
# never fetches external entities or DTDs. (defusedxml's parser is pure Python: openpyxl, which
# uses it when it is installed, then reads sheets 40% slower.) See docs/security.md.
_EXPAT = pyexpat.version_info
if _EXPAT < (2, 4, 1):  # pragma: no cover  # Python 3.12 ships 2.5 or later
    raise ImportError(f"coordcell reads workbooks with expat 2.4.1 or later, not {_EXPAT}")


@dataclass(frozen=True)
class Parts:
    sheet: str  # the member holding the chosen sheet, e.g. "xl/worksheets/sheet1.xml"
    shared_strings: str  # "" when the workbook has none
    sheet_names: tuple[str, ...]


def _read_small(archive: zipfile.ZipFile, name: str) -> bytes:
    info = archive.getinfo(name)
    if info.file_size > _SMALL_PART:
        raise NotAWorkbook(f"its part {name} unpacks to {info.file_size:,} bytes")
    return archive.read(name)


def _target(base: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return normpath(join(dirname(base), target))


def parts(archive: zipfile.ZipFile, sheet: str = "") -> Parts:
    """The members of ``sheet`` (default: the first worksheet) and of the shared strings."""
    try:
        workbook = fromstring(_read_small(archive, "xl/workbook.xml"))  # noqa: S314  # nosec B314
        rels = fromstring(_read_small(archive, "xl/_rels/workbook.xml.rels"))  # noqa: S314  # nosec B314
    except KeyError as exc:
        raise NotAWorkbook(f"it has no {exc.args[0]}") from exc
    targets = {
        r.get("Id"): (r.get("Type", "").rsplit("/", 1)[-1], r.get("Target", ""))
        for r in rels.iter(f"{_PKG_REL}Relationship")
    }
    shared = next((t for kind, t in targets.values() if kind == "sharedStrings"), "")
    sheets = [
        (s.get("name", ""), targets.get(s.get(f"{_DOC_REL}id"), ("", "")))
        for s in workbook.iter(f"{_MAIN}sheet")
    ]
    worksheets = [(name, target) for name, (kind, target) in sheets if kind == "worksheet"]
    if not worksheets:
        raise NotAWorkbook("it has no worksheet")
    names = tuple(name for name, _ in worksheets)
    chosen = next((t for name, t in worksheets if name == sheet), None) if sheet else None
    if sheet and chosen is None:
        raise NoSuchSheet(sheet, names)
    member = _target("xl/workbook.xml", chosen or worksheets[0][1])
    return Parts(
        sheet=member,
        shared_strings=_target("xl/workbook.xml", shared) if shared else "",
        sheet_names=names,
    )


def _column_number(letters: bytes | str) -> int:
    number = 0
    for letter in letters if isinstance(letters, str) else letters.decode():
        number = number * 26 + ord(letter) - 64
    return number


def declared_size(archive: zipfile.ZipFile, member: str) -> tuple[int, int] | None:
    """(last row, last column) from the sheet's ``<dimension>``, or None when it declares none.

    The tag comes before the sheet's data, so only the sheet's first bytes are unpacked.
    """
    with archive.open(member) as handle:
        head = b""
        while len(head) < 2**20:
            chunk = handle.read(2**16)
            if not chunk:
                break
            head += chunk
            found = _DIMENSION.search(head)
            if found:
                last_col, last_row = found[3] or found[1], found[4] or found[2]
                return int(last_row), _column_number(last_col)
            if b"sheetData" in head:
                return None
    return None


def _cell_column(reference: str | None, previous: int) -> int:
    if not reference:
        return previous + 1
    return _column_number(reference.rstrip("0123456789"))


def _number(text: str) -> Any:
    try:
        return float(text) if any(c in text for c in ".eE") else int(text)
    except ValueError:
        return text


def first_rows(archive: zipfile.ZipFile, found: Parts) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """(row number, values) of the sheet's rows from the top, read lazily: stop when you have
    what you need. Shared strings are looked up by streaming them as far as needed."""
    strings = _SharedStrings(archive, found.shared_strings)
    number = 0
    with archive.open(found.sheet) as handle:
        context = iterparse(handle, ("start", "end"))  # noqa: S314  # nosec B314: _EXPAT
        _, root = next(context)
        for event, element in context:
            if event != "end" or element.tag != f"{_MAIN}row":
                continue
            number = int(element.get("r") or number + 1)
            values: dict[int, Any] = {}
            column = 0
            for cell in element.iter(f"{_MAIN}c"):
                column = _cell_column(cell.get("r"), column)
                kind = cell.get("t", "n")
                if kind == "inlineStr":
                    value: Any = "".join(t.text or "" for t in cell.iter(f"{_MAIN}t"))
                else:
                    raw = cell.findtext(f"{_MAIN}v")
                    if raw is None:
                        continue
                    if kind == "s":
                        value = strings.get(int(raw))
                    elif kind == "b":
                        value = raw == "1"
                    elif kind == "n":
                        value = _number(raw)
                    else:  # "str" (a formula's text), "e" (#N/A ...)
                        value = raw
                values[column] = value
            width = max(values, default=0)
            yield number, tuple(values.get(c) for c in range(1, width + 1))
            root.clear()  # a row read is a row forgotten


_CELL_TYPE = re.compile(rb'\bt="(\w+)"')
_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")
_TEXT = re.compile(rb"<(?:\w+:)?t(?:\s[^>]*)?>([^<]*)</(?:\w+:)?t>")
_PHONETIC = re.compile(rb"<(?:\w+:)?rPh\b.*?</(?:\w+:)?rPh>", re.S)
_PREFIXED_CELL = re.compile(rb"<\w+:c[\s>]")
_ROW_END = re.compile(rb"</(?:\w+:)?row>")
_STRING_END = re.compile(rb"</(?:\w+:)?si>")
_STRING = re.compile(rb"<(?:\w+:)?si\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?si>)", re.S)


class NoCellReferences(Exception):
    """A sheet whose cells do not name their column (allowed, rare): read its rows instead."""


def _chunks_at(handle: Any, end: re.Pattern[bytes]) -> Iterator[bytes]:
    """A member's bytes in pieces of about a MiB, each cut after the last ``end`` in it."""
    rest = b""
    while True:
        chunk = handle.read(2**20)
        buffer = rest + chunk
        ends = [m.end() for m in end.finditer(buffer)]
        cut = ends[-1] if ends and chunk else len(buffer)
        yield buffer[:cut]
        rest = buffer[cut:]
        if not chunk:
            return


def column_texts(archive: zipfile.ZipFile, found: Parts, column: int) -> Iterator[str]:
    """The distinct text cells of one column (1-based), found by a pattern over the sheet's XML
    rather than by parsing it, and only the shared strings they use: a fraction of the time, for
    a question about one column (the order of its dates). Numbers and dates are not text and
    are skipped. ``NoCellReferences`` when a cell does not name its column."""
    letters = _column_letters(column)
    # Excel, LibreOffice and openpyxl write every cell as <c r="E2" ...>: then a pattern finds
    # the column's cells at once. Any other form is read the slow way (NoCellReferences).
    cell = re.compile(rb'<c r="' + letters + rb'\d+"([^>]*?)(?:/>|>(.*?)</c>)', re.S)
    indexes: set[int] = set()
    with archive.open(found.sheet) as handle:
        for body in _chunks_at(handle, _ROW_END):
            cells = body.count(b"<c ") + body.count(b"<c>")
            if cells != body.count(b'<c r="') or _PREFIXED_CELL.search(body):
                raise NoCellReferences
            for match in cell.finditer(body):
                attributes, inner = match[1], match[2] or b""
                kind = _CELL_TYPE.search(attributes)
                kind_name = kind[1] if kind else b"n"
                if kind_name == b"s":
                    value = _VALUE.search(inner)
                    if value is not None:
                        indexes.add(int(value[1]))
                elif kind_name == b"inlineStr":
                    yield html.unescape(b"".join(_TEXT.findall(inner)).decode())
                elif kind_name == b"str":
                    value = _VALUE.search(inner)
                    if value is not None:
                        yield html.unescape(value[1].decode())
    if not indexes or not found.shared_strings:
        return
    index = 0
    with archive.open(found.shared_strings) as handle:
        for body in _chunks_at(handle, _STRING_END):
            for item in _STRING.finditer(body):
                if index in indexes:
                    runs = _TEXT.findall(_PHONETIC.sub(b"", item[1] or b""))
                    yield html.unescape(b"".join(runs).decode())
                index += 1


def _column_letters(column: int) -> bytes:
    letters = ""
    while column:
        column, remainder = divmod(column - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters.encode()


class _SharedStrings:
    def __init__(self, archive: zipfile.ZipFile, member: str) -> None:
        self.items: list[str] = []
        self._stream: Any = None
        if member:
            self._handle = archive.open(member)
            self._stream = iterparse(self._handle, ("end",))  # noqa: S314  # nosec B314: _EXPAT

    def get(self, index: int) -> str:
        while len(self.items) <= index and self._stream is not None:
            for _, element in self._stream:
                if element.tag == f"{_MAIN}si":
                    # Rich text is several runs; phonetic hints (rPh) are not the text.
                    runs = [r for r in element if r.tag == f"{_MAIN}r"] or [element]
                    self.items.append(
                        "".join(t.text or "" for r in runs for t in r if t.tag == f"{_MAIN}t")
                    )
                    element.clear()
                    break
            else:
                self._handle.close()
                self._stream = None
        return self.items[index] if index < len(self.items) else ""
