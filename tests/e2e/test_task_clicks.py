"""Two roles' main tasks done as a person would, counting the clicks and the forms posted (printed,
run with -s to see them): a donor registers three pledges; a training-site officer records the
attendance of the cohorts on a session under way at its site."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from coordcell.pledges.models import Pledge
from coordcell.registry.models import Role
from coordcell.training import services as training_services
from coordcell.training.models import Booking, monday
from coordcell.training.tests.factories import make_cohort, make_courses, make_session, make_site

from .pages import Tally

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Three pledges a German donor liaison offers in one sitting.
PLEDGES = [("120", "2500000"), ("60", "1250000"), ("24", "500000")]


def test_donor_registers_three_pledges(world: Any, login: Any) -> None:
    donor = login(world.users[Role.DONOR_LIAISON].username)
    page = donor.page
    tally = Tally(page)
    start = (monday(dt.date.today()) + dt.timedelta(weeks=2)).isoformat()
    tally.click("header nav a:has-text('Pledges')")
    for quantity, value in PLEDGES:
        tally.click("main a[role=button]:has-text('New')")
        tally.select("#id_category", label=world.category.name)
        for selector, text in (
            ("#id_quantity", quantity),
            ("#id_available_from", start),
            ("#id_value", value),
            ("#id_currency", "EUR"),
        ):
            tally.click(selector)
            page.fill(selector, text)
        tally.select("#id_origin", label=world.depots["DE"].name)
        tally.select("#id_valuation_basis", value="replacement_cost")
        tally.click("main form button[type=submit]")
        page.wait_for_selector(".message.success")
        if quantity != PLEDGES[-1][0]:
            tally.click("main a:has-text('Pledges')")  # back to the list for the next one
    print("\n" + tally.summary("donor registers three pledges"))
    pledges = Pledge.objects.filter(donor=world.nations["DE"]).order_by("pk")
    assert [str(p.quantity) for p in pledges] == [q for q, _ in PLEDGES]
    assert tally.posts == 3  # one form post per pledge: nothing to correct, nothing re-sent


def test_site_officer_records_attendance(world: Any, login: Any) -> None:
    op, _mnt = make_courses(world)
    site = make_site(world, "GB", "salisbury-plain", [op])
    session = make_session(op, site, monday(dt.date.today()))  # under way this week
    coordinator = world.users[Role.COORDINATOR]
    cohorts = [make_cohort(world, [op], trainees=n) for n in (8, 6, 4)]
    for cohort in cohorts:
        training_services.booking_create(actor=coordinator, cohort=cohort, session=session)

    officer = login(world.users[Role.TRAINING_SITE_OFFICER].username)
    page = officer.page
    tally = Tally(page)
    tally.click("header nav a:has-text('Training')")
    tally.click(f"main a:has-text('{session.reference}')")
    tally.click("main a:has-text('Attendance and results')")
    outcomes = [("completed", "8"), ("completed", "5"), ("absent", "")]
    for cohort, (outcome, attended) in zip(cohorts, outcomes, strict=True):
        booking = Booking.objects.get(cohort=cohort, session=session)
        card = f"article#booking-{booking.pk}"
        tally.select(f"{card} select[name$=outcome]", value=outcome)
        if attended:
            tally.click(f"{card} input[name$=attended]")
            page.fill(f"{card} input[name$=attended]", attended)
        tally.click(f"{card} button[type=submit]")
        page.wait_for_selector(".message.success")
    print("\n" + tally.summary("site officer records attendance of three cohorts"))
    recorded = {
        b.cohort_id: (b.outcome, b.attended) for b in Booking.objects.filter(session=session)
    }
    assert recorded == {
        cohorts[0].pk: ("completed", 8),
        cohorts[1].pk: ("completed", 5),
        cohorts[2].pk: ("absent", None),
    }
    assert tally.posts == 3
