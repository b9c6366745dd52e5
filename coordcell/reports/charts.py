"""Charts as plain geometry: drawn as SVG by the templates and by ReportLab in the briefing.

No JavaScript and no inline styles: colours come from CSS classes (``s0``..``s3``), so the
pages keep working under a Content-Security-Policy without 'unsafe-inline'. Each chart carries
its data table, shown one click away on the page and printed under it in the briefing.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

LABEL_W = 170  # room for the category labels on the left
PLOT_W = 460
RIGHT_PAD = 36  # half a date label: the last tick's is centred on the plot's end
TOP = 8
AXIS_H = 22
BAR_H = 9
GROUP_GAP = 8
COLOURS = ("#1f5fa8", "#e08a00", "#6a3d9a", "#2e8b57", "#c62828", "#7f7f7f")


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    w: float
    h: float
    series: int
    value: float
    title: str


@dataclass(frozen=True)
class Marker:
    """A vertical tick across a group: the capacity of a hub week."""

    x: float
    y1: float
    y2: float
    title: str


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class RowLabel:
    y: float
    text: str
    url: str = ""


@dataclass
class Table:
    headers: list[str]
    rows: list[list[object]]
    urls: list[str] = field(default_factory=list)  # one per row, may be ""

    @property
    def items(self) -> list[tuple[str, list[object]]]:
        urls = self.urls or [""] * len(self.rows)
        return list(zip(urls, self.rows, strict=False))


@dataclass
class Chart:
    slug: str
    title: str
    width: float
    height: float
    series: list[str]
    bars: list[Bar]
    ticks: list[Tick]
    labels: list[RowLabel]
    table: Table
    markers: list[Marker] = field(default_factory=list)
    note: str = ""
    axis_y: float = 0
    plot_x: float = LABEL_W
    plot_w: float = PLOT_W
    # Gantt charts: spans instead of values on a date axis
    kind: str = "bars"
    marker_label: str = ""
    # Why there is nothing to draw, and what to do about it (shown instead of a blank chart).
    empty_message: str = ""
    # A choice of what the chart shows (unit, valuation, hub): the scope form's field name.
    choice: str = ""

    @property
    def legend(self) -> list[tuple[int, str]]:
        return list(enumerate(self.series))

    @property
    def empty(self) -> bool:
        """Nothing to draw: no row, or (a timeline) no row with dates, or every value 0."""
        if self.kind == "bars" and self.markers and self.bars:
            return False  # a capacity with no load yet is something to see
        return not self.bars or not any(b.w > 0 for b in self.bars)


def nice_max(value: float) -> float:
    """A round axis end at or above ``value``: 1, 2, 2.5 or 5 times a power of ten."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def fmt(value: float) -> str:
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:.1f}M".replace(".0M", "M")
    if abs(value) >= 10_000:
        return f"{value / 1000:.0f}k"
    return f"{value:,.0f}"


def bar_chart(
    *,
    slug: str,
    title: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    urls: Sequence[str] = (),
    markers: Sequence[float | None] = (),
    marker_label: str = "",
    first_header: str = "",
    note: str = "",
    table_rows: list[list[object]] | None = None,
    table_headers: list[str] | None = None,
    empty_message: str = "",
    choice: str = "",
) -> Chart:
    """Horizontal grouped bars: one group per category, one bar per series."""
    n_series = max(1, len(series))
    group_h = n_series * BAR_H + GROUP_GAP
    top = max([0.0, *[v for _, values in series for v in values], *[m or 0 for m in markers]])
    end = nice_max(top)
    scale = PLOT_W / end
    bars: list[Bar] = []
    labels: list[RowLabel] = []
    marks: list[Marker] = []
    for i, category in enumerate(categories):
        y0 = TOP + i * group_h
        labels.append(RowLabel(y0 + n_series * BAR_H / 2, category, urls[i] if urls else ""))
        for s, (name, values) in enumerate(series):
            value = values[i]
            bars.append(
                Bar(
                    x=LABEL_W,
                    y=y0 + s * BAR_H,
                    w=max(0.0, value * scale),
                    h=BAR_H - 1,
                    series=s,
                    value=value,
                    title=f"{category} · {name}: {value:,.0f}",
                )
            )
        if markers and markers[i] is not None:
            x = LABEL_W + (markers[i] or 0) * scale
            marks.append(
                Marker(x, y0 - 2, y0 + n_series * BAR_H + 1, f"{marker_label}: {markers[i]:,.0f}")
            )
    axis_y = TOP + len(categories) * group_h
    ticks = [Tick(LABEL_W + PLOT_W * k / 4, fmt(end * k / 4)) for k in range(5)]
    headers = table_headers or [first_header, *[name for name, _ in series]]
    if markers and not table_headers:
        headers.append(marker_label)
    rows = table_rows
    if rows is None:
        rows = []
        for i, category in enumerate(categories):
            row: list[object] = [category, *[values[i] for _, values in series]]
            if markers:
                row.append(markers[i])
            rows.append(row)
    return Chart(
        slug=slug,
        title=title,
        width=LABEL_W + PLOT_W + RIGHT_PAD,
        height=axis_y + AXIS_H,
        series=[name for name, _ in series],
        bars=bars,
        ticks=ticks,
        labels=labels,
        table=Table(headers, rows, list(urls)),
        markers=marks,
        note=note,
        axis_y=axis_y,
        marker_label=marker_label,
        empty_message=empty_message,
        choice=choice,
    )


@dataclass(frozen=True)
class Span:
    label: str
    start: dt.date
    end: dt.date
    series: int = 0
    url: str = ""


def gantt_chart(
    *,
    slug: str,
    title: str,
    spans: Sequence[Span],
    series: Sequence[str],
    headers: list[str],
    rows: list[list[object]],
    today: dt.date,
    empty_message: str = "",
) -> Chart:
    """One row per span on a date axis, with a line for today."""
    if not spans:
        return Chart(
            slug,
            title,
            LABEL_W + PLOT_W + RIGHT_PAD,
            40,
            list(series),
            [],
            [],
            [],
            Table(headers, rows),
            kind="gantt",
            empty_message=empty_message,
        )
    first = min(min(s.start for s in spans), today)
    last = max(max(s.end for s in spans), today) + dt.timedelta(days=1)
    days = max(1, (last - first).days)
    scale = PLOT_W / days
    bars, labels = [], []
    for i, span in enumerate(spans):
        y = TOP + i * (BAR_H + 4)
        x = LABEL_W + (span.start - first).days * scale
        w = max(2.0, (span.end - span.start).days * scale)
        bars.append(
            Bar(
                x,
                y,
                w,
                BAR_H,
                span.series,
                (span.end - span.start).days,
                f"{span.label}: {span.start} – {span.end}",
            )
        )
        labels.append(RowLabel(y + BAR_H / 2, span.label, span.url))
    axis_y = TOP + len(spans) * (BAR_H + 4)
    ticks = [
        Tick(LABEL_W + PLOT_W * k / 4, (first + dt.timedelta(days=days * k / 4)).isoformat())
        for k in range(5)
    ]
    x_today = LABEL_W + (today - first).days * scale
    return Chart(
        slug=slug,
        title=title,
        width=LABEL_W + PLOT_W + RIGHT_PAD,
        height=axis_y + AXIS_H,
        series=list(series),
        bars=bars,
        ticks=ticks,
        labels=labels,
        table=Table(headers, rows, [s.url for s in spans]),
        markers=[Marker(x_today, TOP - 4, axis_y, "today")],
        axis_y=axis_y,
        kind="gantt",
        empty_message=empty_message,
    )
