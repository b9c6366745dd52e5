"""The reports page in a real browser: the summary first, a chart's unit chosen in the form (htmx
redraws the summary and charts), and the briefing downloaded with its summary on page one."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from coordcell.registry.models import Role
from coordcell.reports.tests.conftest import picture_world, scenario  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_coordinator_reads_the_summary_then_the_charts(
    scenario: Any,  # noqa: F811
    login: Any,
) -> None:
    session = login(scenario.users[Role.COORDINATOR].username)
    page = session.page
    page.goto("/reports/")
    summary = page.locator("#summary")
    assert summary.is_visible()
    # The summary comes before the first chart on the page.
    summary_top = summary.bounding_box()["y"]
    chart_top = page.locator("figure.chart").first.bounding_box()["y"]
    assert summary_top < chart_top
    assert page.locator("#summary ol.risks li").count() == 3
    assert "Battery one" in page.locator("#summary ol.risks li").first.inner_text()
    session.screenshot("reports-coordinator", "/reports/")

    page.select_option("#id_unit", "litre")
    page.wait_for_selector("figcaption:has-text('Units by donor (litre)')")
    assert "unit=litre" in page.url

    with page.expect_download() as info:
        page.click("a[role=button]:has-text('Briefing (PDF)')")
    from pypdf import PdfReader

    pdf = PdfReader(io.BytesIO(Path(info.value.path()).read_bytes()))
    first = " ".join(pdf.pages[0].extract_text().split())
    assert "Summary" in first and "Top risks" in first
