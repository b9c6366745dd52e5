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
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

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


def filename(scope: Scope, ext: str) -> str:
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    tail = slugify(scope.describe())[:40] if (scope.donor or scope.coalition) else "all"
    return f"coordcell-briefing-{tail}-{stamp}.{ext}"


def _font_file(name: str) -> Path:
    for folder in FONT_DIRS:
        if (folder / name).exists():
            return folder / name
    try:  # a font shipped by a PyPI package, if one is installed (matplotlib ships DejaVu)
        import matplotlib  # type: ignore[import-not-found]

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
    return str(value)


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
        text = label.text if len(label.text) <= 28 else label.text[:27] + "…"
        d.add(
            String(
                chart.plot_x - 6, y(label.y) - 3, text, fontName=FONT, fontSize=7, textAnchor="end"
            )
        )
    for b in chart.bars:
        colour = colors.HexColor(COLOURS[b.series % len(COLOURS)])
        d.add(Rect(b.x, y(b.y + b.h), max(b.w, 0.01), b.h, fillColor=colour, strokeColor=None))
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
    from reportlab.platypus import (
        KeepTogether,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

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
        canvas.drawCentredString(A4[0] / 2, A4[1] - 10 * mm, marking)
        canvas.drawCentredString(A4[0] / 2, 8 * mm, marking)
        canvas.setFont(FONT, 7)
        canvas.setFillColor(colors.black)
        canvas.drawString(15 * mm, 12 * mm, footer)
        canvas.drawRightString(A4[0] - 15 * mm, 12 * mm, _("Page %(n)s") % {"n": document.page})
        canvas.restoreState()

    label_classification, label_scope = _("Classification"), _("Scope")
    label_generated, label_for = _("Generated"), _("for")
    story: list[Any] = [
        Paragraph(_("coordcell briefing"), h1),
        Paragraph(f"<b>{label_classification}:</b> {marking}", body),
        Paragraph(f"<b>{label_scope}:</b> {scope.describe()}", body),
        Paragraph(
            f"<b>{label_generated}:</b> {generated:%Y-%m-%d %H:%M} UTC · "
            f"{label_for} {user.get_username()} ({user.get_role_display()})",
            body,
        ),
        Paragraph(
            _(
                "Quantities of different stages are counted separately; values are added "
                "up only within one valuation basis and one currency."
            ),
            small,
        ),
        Spacer(1, 4 * mm),
    ]
    story += _summary(charts, h2, small, colors, Paragraph, Table, TableStyle)
    width = doc.width - 12  # the frame's padding
    max_height = doc.height - 80  # room for the title and legend above the chart
    for chart in charts:
        block: list[Any] = [Paragraph(chart.title, h2)]
        if chart.note:
            block.append(Paragraph(chart.note, small))
        if chart.empty:
            block.append(Paragraph(_("Nothing to show for this scope yet."), body))
            story.append(KeepTogether(block))
            continue
        legend = " · ".join(
            f'<font color="{COLOURS[i % len(COLOURS)]}">■</font> {name}'
            for i, name in enumerate(chart.series)
        )
        if chart.marker_label:
            legend += f' · <font color="#c62828">|</font> {chart.marker_label}'
        block += [Paragraph(legend, small), drawing(chart, width, max_height)]
        story.append(KeepTogether(block))
        rows = [[Paragraph(f"<b>{h}</b>", small) for h in chart.table.headers]]
        for row in chart.table.rows[:TABLE_ROWS_MAX]:
            rows.append([Paragraph(_cell(v), small) for v in row])
        table = Table(rows, repeatRows=1, hAlign="LEFT")
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
                Paragraph(
                    _("%(more)s more rows in the workbook (XLSX).")
                    % {"more": len(chart.table.rows) - TABLE_ROWS_MAX},
                    small,
                )
            )
    if not charts:
        story.append(Paragraph(_("Nothing to show for this scope yet."), body))
    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()


def _summary(
    charts: list[Chart],
    h2: Any,
    small: Any,
    colors: Any,
    paragraph: Any,
    table_class: Any,
    style_class: Any,
) -> list[Any]:
    """The first page: units at each stage in total, and the list of charts that follow."""
    out: list[Any] = []
    by_donor = next((c for c in charts if c.slug == "by-donor"), None)
    if by_donor is not None and by_donor.table.rows:
        totals = [sum(float(row[i] or 0) for row in by_donor.table.rows) for i in range(1, 5)]
        rows = [
            [paragraph(f"<b>{h}</b>", small) for h in by_donor.table.headers[1:5]],
            [paragraph(_cell(v), small) for v in totals],
        ]
        table = table_class(rows, hAlign="LEFT")
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


def _sheet_title(title: str, taken: set[str]) -> str:
    clean = "".join(ch for ch in title if ch not in "[]:*?/\\")[:28].strip() or "Chart"
    name, n = clean, 2
    while name.lower() in taken:
        name = f"{clean[:25]} {n}"
        n += 1
    taken.add(name.lower())
    return name


def xlsx(user: Any, scope: Scope, *, today: dt.date | None = None) -> bytes:
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference
    from openpyxl.styles import Font, PatternFill

    marking = settings.COORDCELL_CLASSIFICATION
    generated = timezone.now()
    charts = picture(user, scope, today=today)
    wb = Workbook()
    cover = wb.active
    cover.title = _sheet_title(_("Briefing"), set())
    taken = {cover.title.lower()}
    bold = Font(bold=True)
    mark_font = Font(bold=True, color="FFFFFF")
    mark_fill = PatternFill("solid", fgColor="0B6623")

    def mark(ws: Any) -> None:
        ws["A1"] = marking
        ws["A1"].font = mark_font
        ws["A1"].fill = mark_fill
        ws.oddHeader.center.text = marking
        ws.oddFooter.center.text = marking

    mark(cover)
    cover["A2"] = _("coordcell briefing")
    cover["A2"].font = Font(bold=True, size=14)
    cover.append([_("Scope"), scope.describe()])
    cover.append([_("Generated (UTC)"), generated.strftime("%Y-%m-%d %H:%M")])
    cover.append([_("For"), f"{user.get_username()} ({user.get_role_display()})"])
    cover.append([_("Values are added up only within one valuation basis and one currency.")])
    cover.append([])
    cover.append([_("Sheet"), _("Chart")])
    for cell in cover[cover.max_row]:
        cell.font = bold
    cover.column_dimensions["A"].width = 32
    cover.column_dimensions["B"].width = 60
    for chart in charts:
        ws = wb.create_sheet(_sheet_title(chart.title, taken))
        cover.append([ws.title, chart.title])
        mark(ws)
        ws["A2"] = chart.title
        ws["A2"].font = Font(bold=True, size=12)
        if chart.note:
            ws["A3"] = chart.note
        header_row = 4
        for col, header in enumerate(chart.table.headers, start=1):
            ws.cell(row=header_row, column=col, value=header).font = bold
        for r, row in enumerate(chart.table.rows, start=header_row + 1):
            for col, value in enumerate(row, start=1):
                cell = ws.cell(
                    row=r,
                    column=col,
                    value=value if not isinstance(value, dt.date) else value.isoformat(),
                )
                if isinstance(value, str) and value.startswith("="):
                    cell.data_type = "s"  # a name, never a formula the spreadsheet would run
        ws.column_dimensions["A"].width = 28
        n_rows = len(chart.table.rows)
        if n_rows and chart.series:
            bar = BarChart()
            bar.type = "bar"
            bar.title = chart.title
            bar.height = max(7.5, 0.5 * n_rows * max(1, len(chart.series)) / 2)
            bar.width = 18
            n_series = len(chart.series) + (1 if chart.marker_label else 0)
            data = Reference(
                ws, min_col=2, max_col=1 + n_series, min_row=header_row, max_row=header_row + n_rows
            )
            cats = Reference(ws, min_col=1, min_row=header_row + 1, max_row=header_row + n_rows)
            bar.add_data(data, titles_from_data=True)
            bar.set_categories(cats)
            bar.y_axis.title = _("Units") if not chart.slug.startswith("value-") else _("Value")
            ws.add_chart(bar, f"{chr(ord('A') + len(chart.table.headers) + 1)}{header_row}")
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
