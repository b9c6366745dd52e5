"""What an import found and did: counts, every bad row, and a one-line summary."""

from __future__ import annotations

import io
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from coordcell.escaping import csv_writer

from .mapping import Mapping


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    value: str
    rule: str
    message: str


@dataclass
class ImportReport:
    kind: str
    file: str
    dry_run: bool
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    committed: bool = False
    fatal: str = ""
    errors: list[RowError] = field(default_factory=list)
    unknown: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    updates: list[tuple[int, str, list[str]]] = field(default_factory=list)  # row, key, fields
    ignored_columns: list[str] = field(default_factory=list)
    mapping: Mapping | None = None
    # The mapping's reading of the sheet (coordcell/exchange/layout.py): rows the filter left out,
    # per-row warnings (a date read as approximate), notes on the whole sheet (a date column's
    # order, two columns with one header), and the sheet read.
    left_out: int = 0
    warnings: list[RowError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    sheet: str = ""

    @property
    def ok(self) -> bool:
        return not self.fatal and not self.errors

    @property
    def valid(self) -> int:
        return self.rows - self.rejected

    def summary(self) -> str:
        if self.fatal:
            return f"{self.file}: not imported. {self.fatal}"
        would = "would be " if not self.committed else ""
        head = (
            f"{self.file}: {self.rows:,} rows, {self.valid:,} valid, {self.rejected:,} rejected. "
            f"{self.created:,} {would}created, {self.updated:,} {would}updated, "
            f"{self.unchanged:,} unchanged (skipped)."
        )
        if self.left_out:
            rows = "row" if self.left_out == 1 else "rows"
            head += f" {self.left_out:,} {rows} left out by the filter."
        if self.warnings:
            head += f" {len(self.warnings):,} warnings."
        if self.committed:
            return head + " Committed."
        if self.dry_run:
            return head + " Dry run: nothing was written."
        return head + " Nothing was committed: fix the rejected rows, or skip them."

    def errors_csv(self) -> bytes:
        buffer = io.StringIO()
        writer = csv_writer(buffer)
        writer.writerow(["row", "column", "value", "rule", "message"])
        for e in self.errors:
            writer.writerow([e.row, e.column, e.value, e.rule, e.message])
        return buffer.getvalue().encode("utf-8-sig")

    def as_dict(self, *, errors: int = 200, updates: int = 100) -> dict[str, Any]:
        """What a page shows of the report, as JSON: the figures, the first ``errors`` problems
        and ``updates`` updates (the errors CSV has every problem)."""
        return {
            "rows": self.rows,
            "valid": self.valid,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "committed": self.committed,
            "fatal": self.fatal,
            "error_count": len(self.errors),
            "errors": [asdict(e) for e in self.errors[:errors]],
            "updates": [list(u) for u in self.updates[:updates]],
            "unknown": {name: sorted(values) for name, values in self.unknown.items() if values},
            "ignored_columns": list(self.ignored_columns),
            "left_out": self.left_out,
            "warning_count": len(self.warnings),
            "warnings": [asdict(w) for w in self.warnings[:errors]],
            "notes": list(self.notes),
            "sheet": self.sheet,
        }
