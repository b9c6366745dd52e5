"""Loads, not lines, in a real browser, counting what people do: the coordinator commits a plan
and dispatches a week's loads from the list (bulk advance); the recipient receives a 48-serial
shipment by pasting its list. Clicks and form posts are counted and printed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.utils import timezone

from coordcell.allocation.services import default_planning_start
from coordcell.logistics.lifecycle import S
from coordcell.logistics.models import Shipment
from coordcell.logistics.services import shipment_record_event, shipments_create_for_lines
from coordcell.logistics.tests.factories import make_line, make_run
from coordcell.pledges.tests.factories import PledgeFactory
from coordcell.registry.models import Role
from coordcell.registry.tests.factories import ItemCategoryFactory
from coordcell.requirements.tests.factories import RequirementFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@dataclass
class Effort:
    """Clicks made and forms posted by one person for one task."""

    task: str
    clicks: int = 0
    posts: list[str] = field(default_factory=list)

    def watch(self, page: Any) -> None:
        page.on("request", self._request)

    def _request(self, request: Any) -> None:
        if request.method == "POST" and request.resource_type == "document":
            self.posts.append(request.url)

    def click(self, page: Any, selector: str) -> None:
        self.clicks += 1
        page.click(selector)

    def report(self) -> str:
        line = f"{self.task}: {self.clicks} clicks, {len(self.posts)} form posts"
        print(line)
        return line


def test_the_coordinator_commits_a_plan_and_dispatches_a_weeks_loads(
    world: Any, login: Any
) -> None:
    start = default_planning_start()
    for n in range(3):  # three requirements one donor's pledge serves: one load, three lines
        RequirementFactory(
            reference=f"R-00000{n + 1}",
            priority=1,
            quantity=100,
            category=world.category,
            capability=world.capability,
            delivery_point=world.delivery_point,
            need_by=start + dt.timedelta(weeks=6),
        )
    for donor in ("DE", "PL"):
        PledgeFactory(
            donor=world.nations[donor],
            origin=world.depots[donor],
            category=world.category,
            quantity=150,
            available_from=start,
        )
    coordinator = login(world.users[Role.COORDINATOR].username)
    page = coordinator.page
    effort = Effort("coordinator: commit a plan and dispatch its loads")
    effort.watch(page)
    page.goto("/allocation/")
    effort.click(page, "summary:has-text('New allocation run')")
    effort.click(page, "button:has-text('Run the allocation')")
    page.wait_for_selector("#commit-link")
    effort.click(page, "#commit-link")  # the confirmation says what it will create
    effort.click(page, "#commit-confirm")
    page.wait_for_selector(".message.success")
    shipments = list(Shipment.objects.order_by("reference"))
    lines = sum(s.lines.count() for s in shipments)
    loads = {s.load for s in shipments}
    print(f"commit: {lines} plan lines travel as {len(loads)} loads ({len(shipments)} shipments)")
    assert len(loads) <= len(shipments) < lines

    page.goto("/logistics/")
    coordinator.screenshot("loads-coordinator-list", "")
    committed = len(effort.posts)
    week = min(s.planned_departure for s in shipments)
    this_week = [s for s in shipments if s.planned_departure == week]
    for step in (S.READY, S.DEPARTED):
        for shipment in this_week:
            effort.click(page, f"input[name=shipment][value='{shipment.pk}']")
        page.select_option("#id_bulk-status", step)
        effort.clicks += 1  # choosing the status
        effort.click(page, "#bulk-advance button[type=submit]")
        page.wait_for_selector(".message.success")
        assert "recorded for" in page.inner_text(".message.success")
    coordinator.screenshot("loads-coordinator-dispatched", "")
    assert {s.status for s in Shipment.objects.filter(planned_departure=week)} == {S.DEPARTED}
    effort.report()
    # Each load is ticked once per step: two posts dispatch the week, not two per load.
    assert len(effort.posts) - committed == 2


def test_the_recipient_receives_a_48_serial_shipment_by_pasting_its_list(
    world: Any, login: Any
) -> None:
    rifles = ItemCategoryFactory(code="rifle", name="Assault rifle", sensitive=True, unit="each")
    serials = [f"AR-{n:04d}" for n in range(1, 49)]
    line = make_line(world, run=make_run(), category=rifles, quantity=48)
    coordinator = world.users[Role.COORDINATOR]
    [shipment] = shipments_create_for_lines(actor=coordinator, lines=[line])
    at = timezone.now() - dt.timedelta(days=3)
    for n, status in enumerate([S.READY, S.DEPARTED, S.AT_HUB, S.DEPARTED_HUB, S.HANDED_OVER]):
        extra: dict[str, Any] = {}
        if status in (S.READY, S.AT_HUB, S.HANDED_OVER):
            extra["serials"] = serials
        if status == S.HANDED_OVER:
            extra.update(quantity=48, handed_over_by="Sgt. Weber", taken_over_by="Capt. Melnyk")
        shipment_record_event(
            actor=coordinator,
            shipment=shipment,
            status=status,
            occurred_at=at + dt.timedelta(hours=n),
            **extra,
        )

    recipient = login(world.users[Role.RECIPIENT_LIAISON].username)
    page = recipient.page
    effort = Effort("recipient: receive a 48-serial shipment")
    effort.watch(page)
    page.goto(f"/logistics/shipments/{shipment.pk}/")
    page.fill("#id_quantity", "48")
    page.fill("#id_handed_over_by", "Sgt. Weber")
    page.fill("#id_taken_over_by", "Capt. Melnyk")
    # Pasted from the scanner's export: spaces, commas and line breaks mixed.
    page.fill("#id_serials", ", ".join(serials[:24]) + "\n" + " ".join(serials[24:]))
    effort.click(page, "button[name=check]")
    page.wait_for_selector(".serial-check")
    assert "48 of 48 serials counted. All match the manifest." in page.inner_text(".serial-check")
    recipient.screenshot("loads-recipient-serials-checked", "")
    effort.click(page, "form[action$='/event/'] button[type=submit]:not([name])")
    page.wait_for_selector(".message.success")
    shipment.refresh_from_db()
    assert shipment.status == S.RECEIVED
    assert shipment.lines.get().received_quantity == 48
    recipient.screenshot("loads-recipient-received", "")
    effort.report()
    assert len(effort.posts) == 2  # the check and the receipt
