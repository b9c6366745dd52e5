"""The briefing: the current picture for a scope as a PDF (ReportLab) and an XLSX workbook.

Both carry the classification marking on every page or sheet, the generation time, the scope,
the summary (``summary.py``: pledged vs delivered by donor per unit, priority-1 demand met, the
top risks), every chart the user may see and its data table. The PDF's first page is the summary
in words and figures; the charts follow, each scaled to the page width with every label at least
``LABEL_PT`` points on paper. The PDF embeds DejaVu Sans, which covers Ukrainian Cyrillic
(Debian's fonts-dejavu-core, installed by ``make test``/``make demo``).
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
from django.utils.translation import ngettext

from coordcell.escaping import (
    ReportLabMarkup,
    paragraph,
    printable,
    reportlab_bold,
    reportlab_colour,
    reportlab_join,
)
from coordcell.workbook import Workbook

from .charts import BAR_H, COLOURS, Chart
from .picture import report
from .scope import Scope
from .summary import Summary

FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/local/share/fonts/dejavu"),
)
FONT = "CoordcellSans"
FONT_BOLD = "CoordcellSans-Bold"
TABLE_ROWS_MAX = 25  # per chart in the PDF; the workbook has every row
SUMMARY_ROWS_MAX = 12  # donor and unit rows on the summary page; the chart below has them all
LABEL_PT = 8.5  # every text of a chart drawing, in points on paper after scaling (at least 8)
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
    """The chart's geometry as a ReportLab drawing, scaled to fit ``width``.

    Its texts are sized so that they print at ``LABEL_PT`` points whatever the scale. A chart
    taller than ``max_height`` is cut after the last row that fits (its table has every row),
    instead of being shrunk until its labels cannot be read."""
    from reportlab.graphics.shapes import Drawing, Line, Rect, String
    from reportlab.lib import colors

    scale = width / chart.width
    font = LABEL_PT / scale
    axis_y = _cut(chart, scale, max_height)
    h = axis_y + (chart.height - chart.axis_y)
    d = Drawing(chart.width * scale, h * scale)
    d.scale(scale, scale)

    def y(v: float) -> float:
        return h - v

    for t in chart.ticks:
        d.add(
            Line(t.x, y(0), t.x, y(axis_y), strokeColor=colors.HexColor("#dddddd"), strokeWidth=0.5)
        )
        d.add(
            String(
                t.x, y(axis_y) - font, t.label, fontName=FONT, fontSize=font, textAnchor="middle"
            )
        )
    for label in chart.labels:
        if label.y > axis_y:
            continue
        text = printable(label.text)
        text = text if len(text) <= 24 else text[:23] + "…"
        d.add(
            String(
                chart.plot_x - 4,
                y(label.y) - font * 0.35,
                text,
                fontName=FONT,
                fontSize=font,
                textAnchor="end",
            )
        )
    for b in chart.bars:
        if b.y + b.h > axis_y:
            continue
        colour = colors.HexColor(COLOURS[b.series % len(COLOURS)])
        # types-reportlab: Rect's **kw lacks its Unpack[...] (the other shapes have it).
        rect = Rect(b.x, y(b.y + b.h), max(b.w, 0.01), b.h, fillColor=colour, strokeColor=None)  # type: ignore[arg-type]
        d.add(rect)
    for m in chart.markers:
        if m.y2 > axis_y + 4:
            continue
        d.add(
            Line(
                m.x, y(m.y1), m.x, y(m.y2), strokeColor=colors.HexColor("#c62828"), strokeWidth=1.5
            )
        )
    return d


def _half_row(chart: Chart) -> float:
    return (BAR_H if chart.kind == "gantt" else len(chart.series) * BAR_H) / 2


def _cut(chart: Chart, scale: float, max_height: float | None) -> float:
    """Where the drawing's axis goes: the chart's own, or after the last whole row that fits."""
    if not max_height or chart.height * scale <= max_height:
        return chart.axis_y
    limit = max_height / scale - (chart.height - chart.axis_y)
    half = _half_row(chart)
    fitting = [label.y + half for label in chart.labels if label.y + half <= limit]
    return max(fitting, default=0.0) + 2


def drawn_rows(chart: Chart, width: float, max_height: float) -> int:
    """How many of the chart's rows its drawing shows (the rest are in its table)."""
    axis_y = _cut(chart, width / chart.width, max_height)
    return sum(1 for label in chart.labels if label.y <= axis_y)


def pdf(user: Any, scope: Scope, *, today: dt.date | None = None) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        KeepInFrame,
        KeepTogether,
        PageBreak,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    register_fonts()
    marking = settings.COORDCELL_CLASSIFICATION
    generated = timezone.now()
    picture = report(user, scope, today=today)
    charts = picture.charts
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
        canvas.setFont(FONT, 8)
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
    first_page: list[Any] = [
        paragraph(_("coordcell briefing"), h1),
        paragraph(_labelled(label_classification, marking), body),
        paragraph(_labelled(label_scope, scope.describe()), body),
        paragraph(reportlab_join("", [reportlab_bold(f"{label_generated}:"), generated_for]), body),
        Spacer(1, 2 * mm),
    ]
    width = doc.width - 12  # the frame's padding
    styles = {"body": body, "small": small, "h2": h2}
    first_page += _summary(picture.summary, styles, colors, Table, TableStyle, width)
    if charts:
        first_page.append(
            paragraph(_labelled(_("Charts that follow"), "; ".join(c.title for c in charts)), small)
        )
    # The summary is one page: what would not fit (very long names) is cut, never spread.
    story: list[Any] = [KeepInFrame(doc.width, doc.height - 6, first_page, mode="truncate")]
    if charts:
        story.append(PageBreak())
    max_height = doc.height - 80  # room for the title and legend above the chart
    for chart in charts:
        block: list[Any] = [paragraph(chart.title, h2)]
        if chart.note:
            block.append(paragraph(chart.note, small))
        if chart.empty:
            block.append(
                paragraph(chart.empty_message or _("Nothing to show for this scope yet."), body)
            )
            story.append(KeepTogether(block))
            continue
        block += [paragraph(_legend(chart), small), drawing(chart, width, max_height)]
        drawn = drawn_rows(chart, width, max_height)
        if drawn < len(chart.labels):
            block.append(
                paragraph(
                    _("The first %(n)s of %(total)s rows are drawn; the table has them all.")
                    % {"n": drawn, "total": len(chart.labels)},
                    small,
                )
            )
        story.append(KeepTogether(block))
        story += _table(
            chart.table.headers, chart.table.rows, small, colors, Table, TableStyle, width
        )
    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()


def _table(
    headers: list[str],
    all_rows: list[list[Any]],
    small: Any,
    colors: Any,
    table_class: Any,
    style_class: Any,
    width: float,
    limit: int = TABLE_ROWS_MAX,
) -> list[Any]:
    """A data table of at most ``limit`` rows, and how many more the workbook has."""
    shown = all_rows[:limit]
    rows = [[paragraph(reportlab_bold(h), small) for h in headers]]
    for row in shown:
        rows.append([paragraph(_cell(v), small) for v in row])
    widths = _column_widths([list(headers), *shown], width)
    table = table_class(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(
        style_class(
            [
                ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#bbbbbb")),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    out: list[Any] = [table]
    if len(all_rows) > limit:
        out.append(
            paragraph(
                _("%(more)s more rows in the workbook (XLSX).") % {"more": len(all_rows) - limit},
                small,
            )
        )
    return out


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


RISK_CHARS_MAX = 400  # of a risk's words on the summary page; the page links to the record


def summary_rows(summary: Summary) -> tuple[list[str], list[list[Any]]]:
    """Pledged vs delivered by donor and unit: the headers and rows of the page, the briefing
    and the workbook alike."""
    from coordcell.registry.templatetags.figures import qty

    headers = [
        _("Donor"),
        _("Pledges"),
        _("Pledged"),
        _("Delivered"),
        _("Delivered share"),
        _("Undisclosed"),
    ]
    rows: list[list[Any]] = []
    for r in summary.by_donor:
        apart = []
        if r.undisclosed:
            apart.append(
                ngettext("%(n)s pledge", "%(n)s pledges", r.undisclosed) % {"n": r.undisclosed}
            )
        if r.delivered_undisclosed:
            apart.append(
                ngettext("%(n)s delivery", "%(n)s deliveries", r.delivered_undisclosed)
                % {"n": r.delivered_undisclosed}
            )
        rows.append(
            [
                r.donor,
                r.pledges,
                qty(r.pledged, r.unit),
                qty(r.delivered, r.unit),
                r.share_percent,
                "; ".join(apart),
            ]
        )
    return headers, rows


def _summary(
    summary: Summary,
    styles: dict[str, Any],
    colors: Any,
    table_class: Any,
    style_class: Any,
    width: float,
) -> list[Any]:
    """The first page: the summary in words and figures (the reports page's)."""
    body, small, h2 = styles["body"], styles["small"], styles["h2"]
    out: list[Any] = [paragraph(_("Summary"), h2)]
    p1 = summary.p1
    out.append(
        paragraph(
            reportlab_join(" ", [reportlab_bold(_("Priority-1 demand met:")), p1.sentence]), body
        )
    )
    if p1.undisclosed:
        out.append(
            paragraph(
                ngettext(
                    "%(n)s priority-1 requirement whose quantity is undisclosed is counted apart.",
                    "%(n)s priority-1 requirements whose quantity is undisclosed are counted "
                    "apart.",
                    p1.undisclosed,
                )
                % {"n": p1.undisclosed},
                small,
            )
        )
    out.append(paragraph(_("Top risks"), h2))
    if summary.risks:
        for n, risk in enumerate(summary.risks, start=1):
            text = (
                risk.text
                if len(risk.text) <= RISK_CHARS_MAX
                else risk.text[: RISK_CHARS_MAX - 1] + "…"
            )
            out.append(paragraph(f"{n}. {text}", body))
    else:
        out.append(
            paragraph(
                _(
                    "No late shipment, capability package at risk or open discrepancy that you "
                    "can see."
                ),
                body,
            )
        )
    out.append(
        paragraph(
            _(
                "Ranked by the most urgent priority they touch, then by days late (a shipment's "
                "delay, a package's days past its need-by date, a discrepancy's days past due), "
                "then late shipments before packages before discrepancies."
            ),
            small,
        )
    )
    out.append(paragraph(_("Pledged vs delivered by donor"), h2))
    headers, rows = summary_rows(summary)
    if rows:
        out += _table(
            headers, rows, small, colors, table_class, style_class, width, SUMMARY_ROWS_MAX
        )
        out.append(
            paragraph(
                _(
                    "Quantities are counted per unit of measure, never added up across units. "
                    "Pledged adds up disclosed quantities; pledges and deliveries whose quantity "
                    "is undisclosed are counted apart. Delivered: the pledges' delivered history "
                    "plus what coordcell's shipments delivered."
                ),
                small,
            )
        )
    else:
        out.append(
            paragraph(
                _("No pledge in this scope yet: donors register pledges first (Pledges, New)."),
                body,
            )
        )
    return out


def xlsx(user: Any, scope: Scope, *, today: dt.date | None = None) -> bytes:
    """The picture as a workbook: a cover sheet, then a sheet per chart with its data table and
    the chart itself; the marking on top of each sheet and on every printed page."""
    marking = settings.COORDCELL_CLASSIFICATION
    generated = timezone.now()
    picture = report(user, scope, today=today)
    charts = picture.charts
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
        _summary_sheet(book, picture.summary, mark)
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


def _summary_sheet(book: Any, summary: Summary, mark: Any) -> None:
    """The summary as a sheet: P1 met, the top risks, pledged vs delivered by donor and unit."""
    ws = book.sheet(_("Summary"))
    mark(ws)
    ws.write(1, 0, _("Summary"), "heading")
    ws.write_row(2, [_("Priority-1 demand met"), summary.p1.sentence])
    row = 4
    ws.write(row, 0, _("Top risks"), "bold")
    for n, risk in enumerate(summary.risks, start=1):
        ws.write_row(row + n, [f"{n}. {risk.reference}", risk.text])
    if not summary.risks:
        ws.write(
            row + 1,
            0,
            _("No late shipment, capability package at risk or open discrepancy that you can see."),
        )
    row += max(1, len(summary.risks)) + 2
    ws.write(row, 0, _("Pledged vs delivered by donor"), "bold")
    ws.write_row(
        row + 1,
        [
            _("Donor"),
            _("Unit of measure"),
            _("Pledges"),
            _("Pledged"),
            _("Delivered"),
            _("Undisclosed pledges"),
            _("Undisclosed deliveries"),
        ],
        "bold",
    )
    for n, r in enumerate(summary.by_donor, start=row + 2):
        ws.write_row(
            n,
            [
                r.donor,
                r.unit_label,
                r.pledges,
                r.pledged,
                r.delivered,
                r.undisclosed,
                r.delivered_undisclosed,
            ],
        )
    ws.column_width(0, 0, 28)
    ws.column_width(1, 1, 60)
