"""The incident loop in a real browser: commit a plan → ship → a short receipt and a damaged item
→ another shipment cancelled → the next run's downloaded input holds exactly the residual →
commit it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from coordcell.allocation.tests.scenario import urgent_and_routine
from coordcell.logistics.models import Shipment
from coordcell.registry.models import Role

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SIGNATURES = {"#id_handed_over_by": "Sgt. Weber", "#id_taken_over_by": "Capt. Shevchenko"}


@pytest.fixture
def situation(world: Any) -> Any:
    urgent_and_routine(world)
    return world


def _record_event(page: Any, status: str, quantity: int | None = None) -> None:
    page.select_option("#id_status", status)
    if quantity is not None:
        page.fill("#id_quantity", str(quantity))
    for selector, value in SIGNATURES.items():
        page.fill(selector, value)
    page.click("form[action$='/event/'] button[type=submit]")
    page.wait_for_selector(".message.success")


def _run_allocation(page: Any) -> None:
    page.goto("/allocation/")
    page.click("summary:has-text('New allocation run')")
    page.click("button:has-text('Run the allocation')")
    page.wait_for_selector("#commit-link")


def _downloaded_input(page: Any) -> dict[str, Any]:
    page.click("#solver-details > summary")  # the input is among the solver's details
    with page.expect_download() as info:
        page.click("#instance-download")
    return dict(json.loads(Path(info.value.path()).read_text()))


def test_the_incident_loop_in_the_browser(situation: Any, login: Any) -> None:
    world = situation
    coordinator = login(world.users[Role.COORDINATOR].username)
    page = coordinator.page
    _run_allocation(page)
    page.click("#commit-link")  # the confirmation says what it creates
    page.click("#commit-confirm")
    page.wait_for_selector(".message.success")
    german = Shipment.objects.get(donor=world.nations["DE"])
    polish = Shipment.objects.get(donor=world.nations["PL"])

    # The German shipment leaves with 200 rounds; 198 are handed over.
    page.goto(f"/logistics/shipments/{german.pk}/")
    _record_event(page, "ready_at_origin")
    for status in ("departed", "at_hub"):
        _record_event(page, status, 200)
    _record_event(page, "departed_hub")
    _record_event(page, "handed_over", 198)

    # The recipient confirms 198 and reports 3 of them damaged.
    recipient = login(world.users[Role.RECIPIENT_LIAISON].username)
    page = recipient.page
    page.goto(f"/logistics/shipments/{german.pk}/")
    _record_event(page, "received", 198)
    page.click("summary:has-text('Record a discrepancy')")
    form = page.locator("form[action$='/discrepancy/']")
    form.locator("[name=kind]").select_option("damaged")
    form.locator("[name=line]").fill(str(german.lines.get().pk))
    form.locator("[name=quantity]").fill("3")
    form.locator("[name=description]").fill("Three rounds with dented casings.")
    form.locator("button[type=submit]").click()
    page.wait_for_selector(".message.success")

    # The coordinator cancels the Polish shipment before it leaves.
    page = coordinator.page
    page.goto(f"/logistics/shipments/{polish.pk}/")
    page.click("details:has(form[action$='/cancel/']) > summary")
    form = page.locator("form[action$='/cancel/']")
    form.locator("[name$=reason]").fill("Convoy withdrawn for force protection.")
    form.locator("button[type=submit]").click()
    page.wait_for_selector(".message.success")

    # The Polish donor is told in its inbox; the German one is not.
    polish_donor = login("donor-pl")
    polish_donor.page.goto("/inbox/")
    assert f"Shipment {polish.reference} cancelled" in polish_donor.page.inner_text("main")
    german_donor = login(world.users[Role.DONOR_LIAISON].username)
    german_donor.page.goto("/inbox/")
    assert polish.reference not in german_donor.page.inner_text("main")

    # The requirement's page says where its units stand.
    requirement = world.category.requirements.get(reference="R-000001")
    page.goto(f"/requirements/{requirement.pk}/")
    ledger = page.locator("#ledger")
    assert "195" in ledger.locator("tr", has_text="Received serviceable").inner_text()
    assert "3" in ledger.locator("tr", has_text="Received damaged").inner_text()
    assert "105" in ledger.locator("tr", has_text="Open").inner_text()

    # The next run's input holds exactly the residual.
    _run_allocation(page)
    instance = _downloaded_input(page)
    assert {d["id"]: d["quantity"] for d in instance["demands"]} == {
        "R-000001": 105,
        "R-000002": 400,
    }
    assert {s["id"]: s["quantity"] for s in instance["supplies"]} == {"P-000002": 250}
    page.click("#commit-link")  # the confirmation says what it creates
    page.click("#commit-confirm")
    page.wait_for_selector(".message.success")
    page.goto(f"/requirements/{requirement.pk}/")
    assert "105" in page.locator("#ledger tr", has_text="Allocated").inner_text()
    coordinator.screenshot("incident-loop-requirement-ledger", f"/requirements/{requirement.pk}/")
