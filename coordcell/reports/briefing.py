"""The briefing: the current picture for a scope as a PDF (ReportLab) and an XLSX workbook.

Both carry the classification marking on every page or sheet, the generation time, the scope,
every chart the user may see and its data table. The PDF embeds DejaVu Sans, which covers
Ukrainian Cyrillic (Debian's fonts-dejavu-core, installed by ``make test``/``make demo``).
"""

from __future__ import annotations

import datetime as dt
import io
from functools import cache
from pathlib import Path
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from coordcell.escaping import (
    ReportLabMarkup,
    paragraph,
    printable,
    reportlab_bold,
    reportlab_colour,
    reportlab_join,
)
from coordcell.workbook import Workbook

from .charts import COLOURS, Chart
from .picture import picture
from .scope import Scope

FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/local/share/fonts/dejavu"),
)
FONT = "CoordcellSans"
FONT_BOLD = "CoordcellSans-Bold"
TABLE_ROWS_MAX = 60  # per chart in the PDF; the workbook has every row
# Characters of one table cell in the PDF; the workbook has all. A table row must fit on a page:
# 300 characters in a column of 70 points (what a long text gets beside six others) are about
# 22 lines, some 270 points.
CELL_CHARS_MAX = 300
COLUMN_MIN = 40  # points: a number and the cell's padding (6 each side)


def filename(scope: Scope, ext: str) -> str:
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    tail = slugify(scope.describe())[:40] if (scope.donor or scope.coalition) else "all"
    return f"coordcell-briefing-{tail}-{stamp}.{ext}"


def _font_file(name: str) -> Path:
    for folder in FONT_DIRS:
        if (folder / name).exists():
            return folder / name
    try:  # a font shipped by a PyPI package, if one is installed (matplotlib ships DejaVu)
        import matplotlib

        candidate = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / name
        if candidate.exists():
            return candidate
    except ImportError:
        pass
    raise ImproperlyConfigured(
        f"The briefing needs the font {name} (Cyrillic): install Debian's fonts-dejavu-core "
        "(apt-get install fonts-dejavu-core)."
    )


@cache
def register_fonts() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    pdfmetrics.registerFont(TTFont(FONT, str(_font_file("DejaVuSans.ttf"))))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(_font_file("DejaVuSans-Bold.ttf"))))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD)


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    text = str(value)
    return text if len(text) <= CELL_CHARS_MAX else text[: CELL_CHARS_MAX - 1] + "…"


def _column_widths(rows: list[list[Any]], width: float) -> list[float]:
    """Widths for the columns of a table: each ``COLUMN_MIN``, and the rest of ``width`` shared
    after the length of their texts (up to 40 characters). Without widths, ReportLab cannot
    wrap a long word, and fails."""
    n = max(len(r) for r in rows)
    weights = [
        max(1, min(40, max((len(_cell(r[i])) for r in rows if i < len(r)), default=0)))
        for i in range(n)
    ]
    base = min(COLUMN_MIN, width / n)
    spare = width - n * base
    return [base + spare * w / sum(weights) for w in weights]


def drawing(chart: Chart, width: float, max_height: float | None = None) -> Any:
    """The chart's geometry as a ReportLab drawing, scaled to fit ``width`` (and a page)."""
    from reportlab.graphics.shapes import Drawing, Line, Rect, String
    from reportlab.lib import colors

    scale = width / chart.width
    if max_height and chart.height * scale > max_height:
        scale = max_height / chart.height
    d = Drawing(chart.width * scale, chart.height * scale)
    d.scale(scale, scale)
    h = chart.height

    def y(v: float) -> float:
        return h - v

    for t in chart.ticks:
        d.add(
            Line(
                t.x,
                y(0),
                t.x,
                y(chart.axis_y),
                strokeColor=colors.HexColor("#dddddd"),
                strokeWidth=0.5,
            )
        )
        d.add(
            String(
                t.x, y(chart.axis_y + 12), t.label, fontName=FONT, fontSize=7, textAnchor="middle"
            )
        )
    for label in chart.labels:
        text = printable(label.text)
        text = text if len(text) <= 28 else text[:27] + "…"
        d.add(
            String(
                chart.plot_x - 6, y(label.y) - 3, text, fontName=FONT, fontSize=7, textAnchor="end"
            )
        )
    for b in chart.bars:
        colour = colors.HexColor(COLOURS[b.series % len(COLOURS)])
        # types-reportlab: Rect's **kw lacks its Unpack[...] (the other shapes have it).
        rect = Rect(b.x, y(b.y + b.h), max(b.w, 0.01), b.h, fillColor=colour, strokeColor=None)  # type: ignore[arg-type]
        d.add(rect)
    for m in chart.markers:
        d.add(
            Line(
                m.x, y(m.y1), m.x, y(m.y2), strokeColor=colors.HexColor("#c62828"), strokeWidth=1.5
            )
        )
    return d


def pdf(user: Any, scope: Scope, *, today: dt.date | None = None) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import KeepTogether, SimpleDocTemplate, Spacer, Table, TableStyle

    register_fonts()
    marking = settings.COORDCELL_CLASSIFICATION
    generated = timezone.now()
    charts = picture(user, scope, today=today)
    body = ParagraphStyle("body", fontName=FONT, fontSize=9, leading=12)
    small = ParagraphStyle("small", parent=body, fontSize=8, textColor=colors.HexColor("#555555"))
    h1 = ParagraphStyle("h1", parent=body, fontName=FONT_BOLD, fontSize=16, leading=20)
    h2 = ParagraphStyle(
        "h2", parent=body, fontName=FONT_BOLD, fontSize=11, leading=14, spaceBefore=8, spaceAfter=4
    )
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=_("coordcell briefing"),
        author="coordcell",
        subject=marking,
    )
    footer = _("Generated %(when)s UTC") % {"when": generated.strftime("%Y-%m-%d %H:%M")}

    def decorate(canvas: Any, document: Any) -> None:
        canvas.saveState()
        canvas.setFont(FONT_BOLD, 9)
        canvas.setFillColor(colors.HexColor("#0b6623"))
        canvas.drawCentredString(A4[0] / 2, A4[1] - 10 * mm, printable(marking))
        canvas.drawCentredString(A4[0] / 2, 8 * mm, printable(marking))
        canvas.setFont(FONT, 7)
        canvas.setFillColor(colors.black)
        canvas.drawString(15 * mm, 12 * mm, footer)
        canvas.drawRightString(A4[0] - 15 * mm, 12 * mm, _("Page %(n)s") % {"n": document.page})
        canvas.restoreState()

    label_classification, label_scope = _("Classification"), _("Scope")
    label_generated, label_for = _("Generated"), _("for")
    generated_for = (
        f" {generated:%Y-%m-%d %H:%M} UTC · "
        f"{label_for} {user.get_username()} ({user.get_role_display()})"
    )
    story: list[Any] = [
        paragraph(_("coordcell briefing"), h1),
        paragraph(_labelled(label_classification, marking), body),
        paragraph(_labelled(label_scope, scope.describe()), body),
        paragraph(reportlab_join("", [reportlab_bold(f"{label_generated}:"), generated_for]), body),
        paragraph(
            _(
                "Quantities of different stages are counted separately; values are added "
                "up only within one valuation basis and one currency."
            ),
            small,
        ),
        Spacer(1, 4 * mm),
    ]
    width = doc.width - 12  # the frame's padding
    story += _summary(charts, h2, small, colors, Table, TableStyle, width)
    max_height = doc.height - 80  # room for the title and legend above the chart
    for chart in charts:
        block: list[Any] = [paragraph(chart.title, h2)]
        if chart.note:
            block.append(paragraph(chart.note, small))
        if chart.empty:
            block.append(paragraph(_("Nothing to show for this scope yet."), body))
            story.append(KeepTogether(block))
            continue
        block += [paragraph(_legend(chart), small), drawing(chart, width, max_height)]
        story.append(KeepTogether(block))
        shown = chart.table.rows[:TABLE_ROWS_MAX]
        rows = [[paragraph(reportlab_bold(h), small) for h in chart.table.headers]]
        for row in shown:
            rows.append([paragraph(_cell(v), small) for v in row])
        widths = _column_widths([list(chart.table.headers), *shown], width)
        table = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#bbbbbb")),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story.append(table)
        if len(chart.table.rows) > TABLE_ROWS_MAX:
            story.append(
                paragraph(
                    _("%(more)s more rows in the workbook (XLSX).")
                    % {"more": len(chart.table.rows) - TABLE_ROWS_MAX},
                    small,
                )
            )
    if not charts:
        story.append(paragraph(_("Nothing to show for this scope yet."), body))
    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()


def _labelled(label: str, value: object) -> ReportLabMarkup:
    """The label in bold, then the value as text."""
    return reportlab_join(" ", [reportlab_bold(f"{label}:"), value])


def _legend(chart: Chart) -> ReportLabMarkup:
    """Each series' colour swatch and name; the marker's, if any."""
    parts = [
        reportlab_join(" ", [reportlab_colour("■", COLOURS[i % len(COLOURS)]), name])
        for i, name in enumerate(chart.series)
    ]
    if chart.marker_label:
        parts.append(reportlab_join(" ", [reportlab_colour("|", "#c62828"), chart.marker_label]))
    return reportlab_join(" · ", parts)


def _summary(
    charts: list[Chart],
    h2: Any,
    small: Any,
    colors: Any,
    table_class: Any,
    style_class: Any,
    width: float,
) -> list[Any]:
    """The first page: units at each stage in total, and the list of charts that follow."""
    out: list[Any] = []
    by_donor = next((c for c in charts if c.slug == "by-donor"), None)
    if by_donor is not None and by_donor.table.rows:
        # A bar chart's table: each row its label, then a number (or None) per series.
        totals = [
            sum(float(cast("float | None", row[i]) or 0) for row in by_donor.table.rows)
            for i in range(1, 5)
        ]
        headers = by_donor.table.headers[1:5]
        rows = [
            [paragraph(reportlab_bold(h), small) for h in headers],
            [paragraph(_cell(v), small) for v in totals],
        ]
        widths = _column_widths([list(headers), list(totals)], width)
        table = table_class(rows, colWidths=widths, hAlign="LEFT")
        table.setStyle(
            style_class(
                [
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#bbbbbb")),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                ]
            )
        )
        out += [paragraph(_("Units in total"), h2), table]
    if charts:
        out.append(paragraph(_("Charts"), h2))
        out += [paragraph(f"{n}. {c.title}", small) for n, c in enumerate(charts, start=1)]
    return out


def xlsx(user: Any, scope: Scope, *, today: dt.date | None = None) -> bytes:
    """The picture as a workbook: a cover sheet, then a sheet per chart with its data table and
    the chart itself; the marking on top of each sheet and on every printed page."""
    marking = settings.COORDCELL_CLASSIFICATION
    generated = timezone.now()
    charts = picture(user, scope, today=today)
    buffer = io.BytesIO()
    with Workbook(buffer) as book:
        cover = book.sheet(_("Briefing"))

        def mark(sheet: Any) -> None:
            sheet.write(0, 0, marking, "marking")
            sheet.header_footer(marking)

        mark(cover)
        cover.write(1, 0, _("coordcell briefing"), "title")
        cover.write_row(2, [_("Scope"), scope.describe()])
        cover.write_row(3, [_("Generated (UTC)"), generated.strftime("%Y-%m-%d %H:%M")])
        cover.write_row(4, [_("For"), f"{user.get_username()} ({user.get_role_display()})"])
        cover.write(
            5, 0, _("Values are added up only within one valuation basis and one currency.")
        )
        cover.write_row(7, [_("Sheet"), _("Chart")], "bold")
        cover.column_width(0, 0, 32)
        cover.column_width(1, 1, 60)
        for n, chart in enumerate(charts):
            ws = book.sheet(chart.title)
            cover.write_row(8 + n, [ws.name, chart.title])
            mark(ws)
            ws.write(1, 0, chart.title, "heading")
            if chart.note:
                ws.write(2, 0, chart.note)
            header_row = 3
            ws.write_row(header_row, list(chart.table.headers), "bold")
            for r, row in enumerate(chart.table.rows, start=header_row + 1):
                ws.write_row(r, [v.isoformat() if isinstance(v, dt.date) else v for v in row])
            ws.column_width(0, 0, 28)
            n_rows = len(chart.table.rows)
            if n_rows and chart.series:
                n_series = len(chart.series) + (1 if chart.marker_label else 0)
                ws.bar_chart(
                    title_cell=(1, 0),
                    header_row=header_row,
                    first_row=header_row + 1,
                    last_row=header_row + n_rows,
                    value_cols=range(1, 1 + n_series),
                    value_axis=_("Units") if not chart.slug.startswith("value-") else _("Value"),
                    at=(header_row, len(chart.table.headers) + 1),
                    height_cm=max(7.5, 0.5 * n_rows * max(1, len(chart.series)) / 2),
                )
    return buffer.getvalue()
