"""The summary that leads the reports page and opens the briefing, on a small built scenario
(``scenario`` in conftest.py)."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.utils import timezone

from coordcell.logistics.models import Discrepancy
from coordcell.registry.models import Role
from coordcell.reports.scope import Scope
from coordcell.reports.summary import summary_for

TODAY = timezone.now().date()


def test_pledged_and_delivered_are_counted_per_donor_and_unit(scenario: Any) -> None:
    summary = summary_for(scenario.users[Role.COORDINATOR], Scope(), TODAY)
    rows = {(r.donor, r.unit): r for r in summary.by_donor}
    rounds = rows[("Germany", "round")]
    # The undisclosed pledge is counted apart, never as 0 units.
    assert (rounds.pledges, rounds.pledged, rounds.undisclosed) == (3, 200, 1)
    assert rounds.delivered == 100
    litres = rows[("Germany", "litre")]
    assert (litres.pledged, litres.delivered, litres.share_percent) == (5000, 0, "0%")
    assert rows[("Poland", "round")].pledged == 100
    # 5,000 litres and 200 rounds are never one figure.
    assert sorted(rows) == [("Germany", "litre"), ("Germany", "round"), ("Poland", "round")]


def test_a_donor_sees_only_its_own_nation_in_the_summary(scenario: Any) -> None:
    summary = summary_for(scenario.users[Role.DONOR_LIAISON], Scope(), TODAY)
    assert {r.donor for r in summary.by_donor} == {"Germany"}
    assert summary.p1.own_lines
    # Of its own lines: R1 in full on time; PL's late line is not its to count.
    assert (summary.p1.on_time_percent, summary.p1.late_percent) == ("25%", "0%")
    # Its own shipment's discrepancy; not PL's late shipment, nor a package it does not serve.
    assert [r.kind for r in summary.risks] == ["discrepancy"]


def test_p1_met_gives_on_time_late_and_not_covered_shares(scenario: Any) -> None:
    p1 = summary_for(scenario.users[Role.COORDINATOR], Scope(), TODAY).p1
    # R1 in full on time, R2 60% late, R3 and the package's requirement not at all: each
    # requirement weighs the same.
    assert p1.requirements == 4
    assert (p1.on_time_percent, p1.late_percent, p1.not_covered_percent) == ("25%", "15%", "60%")
    assert "25% of priority-1 demand on time and 15% late" in p1.sentence


def test_top_risks_are_ranked_by_priority_then_days_late_and_say_why(scenario: Any) -> None:
    risks = summary_for(scenario.users[Role.COORDINATOR], Scope(), TODAY).risks
    # The package touches priority 1; the discrepancy (10 days overdue) and the shipment (5 days
    # late) priority 2: the longer delay first.
    assert [r.kind for r in risks] == ["package", "discrepancy", "shipment"]
    package, discrepancy, shipment = (r.text for r in risks)
    assert "Battery one" in package and "3 days after it is needed" in package
    assert "launchers arrive late" in package
    assert "overdue by 10 days" in discrepancy and "3" in discrepancy
    assert f"{scenario.extra['pl'].reference} (Poland) is 5 days late" in shipment


def test_the_recipient_is_not_told_which_shipments_run_late(scenario: Any) -> None:
    risks = summary_for(scenario.users[Role.RECIPIENT_LIAISON], Scope(), TODAY).risks
    assert "shipment" not in {r.kind for r in risks}
    assert not any("late shipment" in r.text.lower() for r in risks)


def test_only_five_risks_are_shown(scenario: Any) -> None:
    Discrepancy.objects.bulk_create(
        Discrepancy(
            shipment=scenario.extra["de"],
            kind=Discrepancy.Kind.DAMAGED,
            stage="received",
            due_on=TODAY - dt.timedelta(days=n),
            recorded_at=timezone.now(),
        )
        for n in range(6)
    )
    assert len(summary_for(scenario.users[Role.COORDINATOR], Scope(), TODAY).risks) == 5


def test_reports_page_leads_with_the_summary(scenario: Any, client_for: Any) -> None:
    response = client_for(scenario.users[Role.COORDINATOR]).get("/reports/")
    page = response.content.decode()
    assert response.status_code == 200
    assert page.index('id="summary"') < page.index('class="chart"')
    assert "5,000\xa0litre" in page and "200\xa0round" in page
    assert "Battery one" in page


def test_the_briefings_first_page_is_the_summary(scenario: Any, client_for: Any) -> None:
    from pypdf import PdfReader

    response = client_for(scenario.users[Role.COORDINATOR]).get("/reports/briefing.pdf")
    reader = PdfReader(io.BytesIO(response.content))
    first = " ".join(reader.pages[0].extract_text().split())
    assert "Summary" in first
    assert "25% of priority-1 demand on time and 15% late" in first
    assert "Battery one" in first and "overdue by 10 days" in first
    assert "5,000 litre" in first and "200 round" in first
    # The charts start on the next page.
    assert "Units by donor" in " ".join(reader.pages[1].extract_text().split())


def test_the_workbook_has_the_summary_sheet(scenario: Any, client_for: Any) -> None:
    from openpyxl import load_workbook

    response = client_for(scenario.users[Role.COORDINATOR]).get("/reports/briefing.xlsx")
    book = load_workbook(io.BytesIO(response.content))
    assert book.worksheets[1].title == "Summary"
    cells = [c.value for row in book["Summary"].iter_rows() for c in row if c.value is not None]
    assert any("25% of priority-1 demand on time" in str(c) for c in cells)
    assert any("Battery one" in str(c) for c in cells)
    rows = [
        r
        for r in book["Summary"].iter_rows(values_only=True)
        if r and r[0] in ("Germany", "Poland")
    ]
    assert ("Germany", "litre", 1, 5000, 0, 0, 0) in rows
