"""What an import found and did: counts, every bad row, and a one-line summary."""

from __future__ import annotations

import io
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from coordcell.escaping import csv_writer

from .mapping import Mapping

UNKNOWN_LISTED = 100  # unknown values of a field the report lists (and the page offers to map)


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    value: str
    rule: str
    message: str


# Warning rules that only flag a row: a commit does not wait for them to be acknowledged.
FLAGS_ONLY = frozenset({"approximate date"})


@dataclass(frozen=True)
class RowWarning:
    """A value that passes every rule but looks wrong (``plausibility``): the row is not
    rejected, but a commit waits until the warnings are acknowledged."""

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
    warnings: list[RowWarning] = field(default_factory=list)
    # A commit stopped because its warnings were not acknowledged.
    unacknowledged: bool = False
    # Unknown values: field -> raw value -> suggestions, (code, label, how): "existing" or "new".
    suggestions: dict[str, dict[str, list[tuple[str, str, str]]]] = field(default_factory=dict)
    # Reference records the mapping creates: field -> raw value -> code.
    created_references: dict[str, dict[str, str]] = field(default_factory=dict)
    # The mapping's reading of the sheet (coordcell/exchange/layout.py): rows the filter left out,
    # notes on the whole sheet (a date column's order, two columns with one header), and the
    # sheet read. A date read as approximate is a warning.
    left_out: int = 0
    notes: list[str] = field(default_factory=list)
    sheet: str = ""

    @property
    def ok(self) -> bool:
        return not self.fatal and not self.errors

    @property
    def valid(self) -> int:
        return self.rows - self.rejected

    @property
    def to_acknowledge(self) -> list[RowWarning]:
        """The warnings a commit waits for (a plausibility rule); a date read as approximate is
        flagged on its row and in the file, but is what the source says, so it does not wait."""
        return [w for w in self.warnings if w.rule not in FLAGS_ONLY]

    @property
    def warning_fingerprint(self) -> str:
        from .plausibility import fingerprint

        waiting = self.to_acknowledge
        return fingerprint(waiting) if waiting else ""

    def by_rule(self, problems: list[RowError] | list[RowWarning]) -> list[tuple[str, int]]:
        """How many problems each rule found, the most first."""
        return Counter(p.rule for p in problems).most_common()

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
            head += f" {len(self.warnings):,} warning{'s' if len(self.warnings) != 1 else ''}."
        if self.committed:
            return head + " Committed."
        if self.dry_run:
            return head + " Dry run: nothing was written."
        if self.unacknowledged:
            return head + (
                " Nothing was committed: check the warnings and acknowledge them "
                "(on the page, tick the box; on the command line, --accept-warnings)."
            )
        return head + " Nothing was committed: fix the rejected rows, or skip them."

    def problems(self) -> list[tuple[str, RowError | RowWarning]]:
        """Every error and warning, ("error" or "warning", problem), in the order of the rows."""
        both: list[tuple[str, RowError | RowWarning]] = [
            *(("error", e) for e in self.errors),
            *(("warning", w) for w in self.warnings),
        ]
        return sorted(both, key=lambda p: p[1].row)

    def errors_csv(self) -> bytes:
        """Every error and warning of the import, row by row (the ``level`` says which)."""
        buffer = io.StringIO()
        writer = csv_writer(buffer)
        writer.writerow(["row", "column", "value", "rule", "message", "level"])
        for level, e in self.problems():
            writer.writerow([e.row, e.column, e.value, e.rule, e.message, level])
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
            "unknown_values": self.unknown_values(),
            "errors_by_rule": self.by_rule(self.errors),
            "warning_count": len(self.warnings),
            "warnings": [asdict(w) for w in self.warnings[:errors]],
            "warnings_by_rule": self.by_rule(self.warnings),
            "warning_fingerprint": self.warning_fingerprint,
            "unacknowledged": self.unacknowledged,
            "created_references": self.created_references,
            "ignored_columns": list(self.ignored_columns),
            "left_out": self.left_out,
            "notes": list(self.notes),
            "sheet": self.sheet,
        }

    def unknown_values(self) -> dict[str, dict[str, dict[str, Any]]]:
        """Each value the registers do not know, once: how many rows give it, and what it may
        stand for (field -> value -> {"rows", "suggestions": [(code, label, how)]}); the
        ``UNKNOWN_LISTED`` most frequent of each field (more mean a column mapped wrongly)."""
        return {
            name: {
                raw: {"rows": count, "suggestions": self.suggestions.get(name, {}).get(raw, [])}
                for raw, count in sorted(values.items(), key=lambda v: (-v[1], v[0]))[
                    :UNKNOWN_LISTED
                ]
            }
            for name, values in self.unknown.items()
            if values
        }
