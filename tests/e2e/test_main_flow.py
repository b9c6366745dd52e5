"""Each role's main flow end to end in a real browser: pledge → allocation → shipment → receipt,
with the dashboards following along."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from playwright.sync_api import expect

from coordcell.allocation.services import default_planning_start
from coordcell.registry.models import Role
from coordcell.requirements.tests.factories import RequirementFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SIGNATURES = {"#id_handed_over_by": "Sgt. Weber", "#id_taken_over_by": "Capt. Shevchenko"}


@pytest.fixture
def situation(world: Any) -> Any:
    start = default_planning_start()
    RequirementFactory(
        reference="R-000001",
        priority=1,
        quantity=100,
        category=world.category,
        capability=world.capability,
        delivery_point=world.delivery_point,
        need_by=start + dt.timedelta(weeks=6),
    )
    world.extra["start"] = start
    return world


def _record_event(page: Any, status: str, quantity: int) -> None:
    page.select_option("#id_status", status)
    page.fill("#id_quantity", str(quantity))
    for selector, value in SIGNATURES.items():
        page.fill(selector, value)
    page.click("form[action$='/event/'] button[type=submit]")
    page.wait_for_selector(".message.success")


def test_pledge_to_receipt_with_dashboards_following(situation: Any, login: Any) -> None:
    world = situation
    donor = login(world.users[Role.DONOR_LIAISON].username)
    assert donor.figure("Units pledged") == "0"

    # The donor offers a pledge (the cell confirms it); a missing field is reported next to it.
    page = donor.page
    page.goto("/pledges/new/")
    page.select_option("#id_category", label=world.category.name)
    page.fill("#id_available_from", world.extra["start"].isoformat())
    page.select_option("#id_origin", label=world.depots["DE"].name)
    page.select_option("#id_status", "offered")
    page.fill("#id_value", "1000000")
    page.fill("#id_currency", "EUR")
    page.select_option("#id_valuation_basis", "replacement_cost")
    page.click("main form button[type=submit]")
    assert page.locator("#id_quantity_error").is_visible()
    page.fill("#id_quantity", "100")
    page.click("main form button[type=submit]")
    page.wait_for_selector(".message.success")
    assert donor.figure("Units pledged") == "100\xa0round"  # per unit of measure
    assert donor.figure("Units allocated") == "0\xa0round"
    donor.screenshot("donor-dashboard-pledged")

    # The coordinator sees it waiting, confirms it, runs the allocation and commits it.
    coordinator = login(world.users[Role.COORDINATOR].username)
    assert coordinator.figure("Pledges offered, awaiting confirmation") == "1"
    page = coordinator.page
    page.goto("/pledges/?status=offered")
    page.click("main table a[href*='/pledges/']")
    page.click("a[role=button]:has-text('Edit')")
    page.select_option("#id_status", "confirmed")
    page.click("main form button[type=submit]")
    page.wait_for_selector(".message.success")
    assert coordinator.figure("Confirmed pledges not yet fully allocated") == "1"
    coordinator.screenshot("coordinator-dashboard-before")
    page.goto("/allocation/")
    page.click("summary:has-text('New allocation run')")
    page.click("button:has-text('Run the allocation')")
    page.wait_for_selector("#commit-link")
    page.click("#commit-link")  # the confirmation says what it creates
    page.click("#commit-confirm")
    page.wait_for_selector(".message.success")
    assert coordinator.figure("Confirmed pledges not yet fully allocated") == "0"
    assert donor.figure("Units allocated") == "100\xa0round"

    # The shipment the commit planned moves to the delivery point ...
    page.goto("/logistics/")
    page.click("table a[href*='/logistics/shipments/']:not([href$='/load/'])")
    for status in ("ready_at_origin", "departed", "at_hub", "departed_hub", "handed_over"):
        _record_event(page, status, 100)
    coordinator.screenshot("coordinator-dashboard-after")

    # The shipment list filters as soon as a status is chosen (no inline script: the CSP).
    page.goto("/logistics/")
    page.select_option("select[name=status]", "planned")
    expect(page).to_have_url(re.compile(r"status=planned"))
    expect(page.locator("main table tbody")).to_contain_text("No shipment matches these filters.")
    # The swapped-in form listens for changes only once htmx has settled it.
    page.wait_for_function(
        "() => !document.querySelector("
        "'.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')"
    )
    page.select_option("select[name=status]", "handed_over")
    expect(page).to_have_url(re.compile(r"status=handed_over"))
    references = "main table tbody a[href*='/logistics/shipments/']:not([href$='/load/'])"
    expect(page.locator(references)).to_have_count(1)

    # ... and the recipient confirms receipt from its dashboard.
    recipient = login(world.users[Role.RECIPIENT_LIAISON].username)
    assert recipient.figure("Handed over, awaiting your receipt") == "1"
    recipient.screenshot("recipient-dashboard")
    page = recipient.page
    page.click("a.figure:has-text('Handed over, awaiting your receipt')")
    page.click("table a[href*='/logistics/shipments/']:not([href$='/load/'])")
    _record_event(page, "received", 100)
    assert recipient.figure("Handed over, awaiting your receipt") == "0"

    assert donor.figure("Units shipped") == "100\xa0round"
    assert donor.figure("Units received") == "100\xa0round"
    donor.screenshot("donor-dashboard-received")

    auditor = login(world.users[Role.AUDITOR].username)
    assert int(auditor.figure("Audit events")) > 5
    auditor.screenshot("auditor-dashboard")
    trainer = login(world.users[Role.TRAINING_SITE_OFFICER].username)
    trainer.page.goto("/")
    assert "empty seats" in trainer.page.inner_text("h1")
    trainer.screenshot("training-officer-dashboard")


def test_reports_charts_tables_and_briefing(situation: Any, login: Any) -> None:
    from coordcell.pledges.tests.factories import PledgeFactory

    world = situation
    PledgeFactory(donor=world.nations["DE"], origin=world.depots["DE"], category=world.category)
    PledgeFactory(donor=world.nations["PL"], origin=world.depots["PL"], category=world.category)
    coordinator = login(world.users[Role.COORDINATOR].username)
    page = coordinator.page
    page.goto("/reports/")
    chart = page.locator("figure#by-donor")
    assert chart.locator("svg rect").count() == 8  # two donors × four stages
    table = chart.locator("details.data-table table")
    assert not table.is_visible()
    chart.locator("summary").click()  # one click to the data behind the chart
    assert table.is_visible()
    assert "Poland" in table.inner_text()
    coordinator.screenshot("reports-coordinator", "")
    # Narrow the scope without a reload: htmx swaps the charts.
    page.select_option("#id_donor", "PL")
    expect(page.locator("figure#by-donor svg rect")).to_have_count(4)
    with page.expect_download() as download:
        page.click("a[role=button]:has-text('Briefing (PDF)')")
    assert download.value.suggested_filename.endswith(".pdf")

    donor = login(world.users[Role.DONOR_LIAISON].username)
    donor.page.goto("/reports/")
    rows = donor.page.locator("figure#by-donor details table tbody tr")
    assert rows.count() == 1 and "Germany" in (rows.text_content() or "")
    donor.screenshot("reports-donor", "")


def test_language_switch_and_keyboard_use(situation: Any, login: Any) -> None:
    coordinator = login(situation.users[Role.COORDINATOR].username)
    page = coordinator.page
    page.goto("/")
    page.click("button[name=language][value=uk]")
    page.wait_for_selector("html[lang=uk]")
    assert "Головна" in page.inner_text("header nav")
    assert "Що запізнюється" in page.inner_text("h1")
    coordinator.screenshot("coordinator-dashboard-uk", "")
    page.goto("/pledges/")
    assert "Пошук" in page.inner_text("main")
    page.click("button[name=language][value=en]")
    page.wait_for_selector("html[lang=en]")
    # The skip link is the first stop for the keyboard; Enter moves focus to the content.
    page.goto("/")
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(page.locator("main :focus")).to_have_count(1)
