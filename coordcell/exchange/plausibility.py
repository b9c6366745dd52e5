"""Plausibility warnings: dates that pass every rule but look like a slip of the keyboard or of
the mouse. A warning does not reject its row; a commit waits until the user acknowledges them.

- **far ahead**: a year more than ``FAR_AHEAD`` years after this one (2922 for 2022);
- **outside the period**: a year well outside the years most rows of the column give (a typo to
  2027 in a file of 2022 to 2024, which the "five years ahead" rule lets through);
- **drag fill**: three or more rows one under the other whose year steps up by exactly one, as a
  spreadsheet's drag fill writes them (2022, 2023, 2024 ...), in a file that otherwise does not.

The file is read once: each row's dates are noted as it is checked, the warnings are worked out
at the end (the period needs the whole column).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from array import array
from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from .report import RowWarning

FAR_AHEAD = 10  # years after this one
PERIOD_MARGIN = 2  # years beyond the middle half of the column's years
PERIOD_MIN_ROWS = 8  # fewer dated rows do not make a period
RUN_MIN = 3  # rows in a drag-filled run


class Plausibility:
    """Notes the dates of each row (``add``) and works out the warnings (``warnings``)."""

    def __init__(self, columns: dict[str, str]) -> None:
        # field -> the column's header, for the date fields the mapping reads from the sheet
        self.columns = columns
        # Row numbers and dates (as ordinals) side by side: 8 bytes a row and column, not a
        # tuple and a date object each (a file may have 100,000 rows).
        self.rows: dict[str, array[int]] = {name: array("l") for name in columns}
        self.days: dict[str, array[int]] = {name: array("l") for name in columns}

    def add(self, number: int, parsed: dict[str, Any], failed: set[str]) -> None:
        for name, header in self.columns.items():
            value = parsed.get(name)
            if isinstance(value, dt.date) and header not in failed:
                self.rows[name].append(number)
                self.days[name].append(value.toordinal())

    def warnings(self, today: dt.date | None = None) -> list[RowWarning]:
        today = today or timezone.localdate()
        out: dict[tuple[int, str], RowWarning] = {}
        for name, header in self.columns.items():
            dates = sorted(
                zip(self.rows[name], map(dt.date.fromordinal, self.days[name]), strict=True)
            )
            # The most telling warning of a cell wins: far ahead, then drag fill, then period.
            dragged = list(_drag_fill(dates, header))
            # The period is that of the other rows: a drag fill would stretch it.
            others = [d for d in dates if d[0] not in {w.row for w in dragged}]
            for warning in [
                *_far_ahead(dates, header, today),
                *dragged,
                *_outside_period(others, header),
            ]:
                out.setdefault((warning.row, warning.column), warning)
        return sorted(out.values(), key=lambda w: (w.row, w.column))


def _far_ahead(
    dates: list[tuple[int, dt.date]], header: str, today: dt.date
) -> Iterable[RowWarning]:
    for row, date in dates:
        if date.year > today.year + FAR_AHEAD:
            yield RowWarning(
                row,
                header,
                date.isoformat(),
                "year far ahead",
                f"The year {date.year} is more than {FAR_AHEAD} years ahead: a typo?",
            )


def _drag_fill(dates: list[tuple[int, dt.date]], header: str) -> Iterable[RowWarning]:
    runs: list[list[tuple[int, dt.date]]] = []
    current: list[tuple[int, dt.date]] = []
    for entry in dates:
        if current and entry[0] == current[-1][0] + 1 and entry[1].year == current[-1][1].year + 1:
            current.append(entry)
            continue
        if len(current) >= RUN_MIN:
            runs.append(current)
        current = [entry]
    if len(current) >= RUN_MIN:
        runs.append(current)
    # A file whose rows count up year by year for the most part (a plan, a year per row) is
    # what it is: only runs in a file that otherwise does not step up are suspicious.
    if sum(len(run) for run in runs) * 2 > len(dates):
        return
    for run in runs:
        first, last = run[0], run[-1]
        years = f"{first[1].year}, {run[1][1].year} … {last[1].year}"
        for row, date in run[1:]:
            yield RowWarning(
                row,
                header,
                date.isoformat(),
                "drag fill",
                f"Rows {first[0]}–{last[0]} count up one year a row ({years}), as a "
                "spreadsheet's drag fill does: check the years.",
            )


def _outside_period(dates: list[tuple[int, dt.date]], header: str) -> Iterable[RowWarning]:
    if len(dates) < PERIOD_MIN_ROWS:
        return
    years = sorted(date.year for _, date in dates)
    low = years[len(years) // 4] - PERIOD_MARGIN
    high = years[(3 * len(years)) // 4] + PERIOD_MARGIN
    period = f"{years[len(years) // 4]}–{years[(3 * len(years)) // 4]}"
    for row, date in dates:
        if date.year < low or date.year > high:
            side = "before" if date.year < low else "after"
            yield RowWarning(
                row,
                header,
                date.isoformat(),
                "outside the period",
                f"The year {date.year} is well {side} the period of this column's other rows "
                f"(mostly {period}): a typo?",
            )


def fingerprint(warnings: Iterable[RowWarning]) -> str:
    """What identifies a list of warnings, to acknowledge exactly those a dry run showed."""
    digest = hashlib.sha256()
    for w in warnings:
        digest.update(f"{w.row}\x1f{w.column}\x1f{w.value}\x1f{w.rule}\x1e".encode())
    return digest.hexdigest()[:16]
