"""The rejected rows of an import, to fix and import again with the same mapping: the row's
number, its cells as read, and its errors. As CSV (quoted as every spreadsheet program reads
it: text with commas, quotes and line breaks survives) and, for a workbook, as XLSX too (dates
and numbers stay cells of their type). The import ignores the "row" and "errors" columns: the
mapping does not name them."""

from __future__ import annotations

from typing import IO, Any

from coordcell.escaping import csv_writer
from coordcell.workbook import Workbook


class XlsxRejects:
    """Writes rows (``writerow``, like a csv writer) to one sheet of a workbook; ``close``."""

    def __init__(self, target: IO[bytes]) -> None:
        self.book = Workbook(target, streaming=True)
        self.sheet = self.book.sheet("Rejected rows")
        self.row = 0

    def writerow(self, values: list[Any]) -> None:
        self.sheet.write_row(self.row, values)
        self.row += 1

    def close(self) -> None:
        self.book.close()


class RejectWriters:
    """The same rows to each of several writers."""

    def __init__(self, *writers: Any) -> None:
        self.writers = writers

    def writerow(self, values: list[Any]) -> None:
        for writer in self.writers:
            writer.writerow(values)


def reject_writer(csv_file: IO[str] | None, xlsx: XlsxRejects | None) -> Any:
    writers = [w for w in (csv_writer(csv_file) if csv_file is not None else None, xlsx) if w]
    return RejectWriters(*writers) if writers else None
