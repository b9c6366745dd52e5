"""Charts on paper: every label of every drawing of the briefing prints at 8 pt or more on A4,
and an empty chart says why instead of drawing a blank."""

from __future__ import annotations

import io
from typing import Any

import pytest

from coordcell.readiness.models import CapabilityPackage
from coordcell.registry.models import Role
from coordcell.registry.tests.factories import CapabilityFactory
from coordcell.reports import briefing
from coordcell.reports.charts import bar_chart
from coordcell.reports.picture import picture
from coordcell.reports.scope import Scope

A4_FRAME = 595.27 - 2 * 42.52 - 12  # the briefing's frame width, in points


def _strings(drawing: Any) -> list[tuple[float, str]]:
    """(size on paper in points, text) of every string of a drawing, after its scaling."""
    from reportlab.graphics.shapes import Group, String

    out: list[tuple[float, str]] = []

    def walk(node: Any, scale: float) -> None:
        if isinstance(node, String):
            out.append((node.fontSize * scale, node.text))
        elif isinstance(node, Group):
            inner = scale * (node.transform[0] if node.transform else 1)
            for child in node.contents:
                walk(child, inner)

    walk(drawing, 1.0)
    return out


@pytest.mark.parametrize("rows", [1, 8, 60])
def test_chart_labels_print_at_8_pt_or_more_after_scaling(rows: int) -> None:
    chart = bar_chart(
        slug="t",
        title="t",
        categories=[f"Donor nation number {n}" for n in range(rows)],
        series=[(s, [float(n * 1000) for n in range(rows)]) for s in "ABCD"],
    )
    drawing = briefing.drawing(chart, A4_FRAME, 600)
    sizes = _strings(drawing)
    assert sizes and min(size for size, _text in sizes) >= 8
    assert drawing.width <= A4_FRAME + 0.01 and drawing.height <= 600
    # A tall chart is cut after whole rows (its table has them all), not shrunk.
    assert briefing.drawn_rows(chart, A4_FRAME, 600) == len(
        [t for _s, t in sizes if t.startswith("Donor")]
    )


def test_every_chart_of_the_briefing_prints_its_labels_at_8_pt_or_more(
    picture_world: Any, monkeypatch: Any, client_for: Any
) -> None:
    drawn: list[Any] = []
    original = briefing.drawing

    def spy(*args: Any, **kwargs: Any) -> Any:
        drawn.append(original(*args, **kwargs))
        return drawn[-1]

    monkeypatch.setattr(briefing, "drawing", spy)
    response = client_for(picture_world.users[Role.COORDINATOR]).get("/reports/briefing.pdf")
    assert response.status_code == 200
    assert len(drawn) >= 4
    smallest = min(size for d in drawn for size, _t in _strings(d))
    assert smallest >= 8


def test_the_briefing_is_short(picture_world: Any, client_for: Any) -> None:
    from pypdf import PdfReader

    response = client_for(picture_world.users[Role.COORDINATOR]).get("/reports/briefing.pdf")
    assert len(PdfReader(io.BytesIO(response.content)).pages) <= 8


def test_an_empty_readiness_timeline_says_why(world: Any, client_for: Any) -> None:
    coordinator = world.users[Role.COORDINATOR]
    timeline = next(c for c in picture(coordinator, Scope()) if c.slug == "readiness")
    assert timeline.empty
    assert "No capability package to show" in timeline.empty_message

    CapabilityPackage.objects.create(
        reference="CP-9", name="Battery nine", capability=CapabilityFactory()
    )
    timeline = next(c for c in picture(coordinator, Scope()) if c.slug == "readiness")
    assert timeline.empty  # a package without a date draws no bar
    message = "No capability package has a readiness date yet: commit an allocation plan"
    assert message in timeline.empty_message
    page = client_for(coordinator).get("/reports/").content.decode()
    assert message in page
    from pypdf import PdfReader

    pdf = client_for(coordinator).get("/reports/briefing.pdf").content
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages)
    assert message in text


def test_an_empty_quantity_chart_says_how_to_begin(world: Any, client_for: Any) -> None:
    charts = picture(world.users[Role.COORDINATOR], Scope())
    by_donor = next(c for c in charts if c.slug == "by-donor")
    assert by_donor.empty
    assert "donors register pledges first" in by_donor.empty_message
    page = client_for(world.users[Role.COORDINATOR]).get("/reports/").content.decode()
    assert "Nothing to show for this scope yet." not in page
