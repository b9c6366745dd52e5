"""The triggers of the parts built beside notifications: a hub capacity cut, a discrepancy past
its due date, a cancelled session's rebooked cohorts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from coordcell.logistics.discrepancies import discrepancy_record, discrepancy_resolve
from coordcell.logistics.models import Discrepancy
from coordcell.logistics.tests.factories import make_shipment
from coordcell.notifications import services
from coordcell.notifications.models import Kind
from coordcell.registry.capacity import monday_of
from coordcell.registry.services import hub_capacity_close
from coordcell.training import execution
from coordcell.training import services as training_services
from coordcell.training.tests.factories import (
    make_cohort,
    make_courses,
    make_session,
    make_site,
    next_monday,
)

from .conftest import inbox

pytestmark = pytest.mark.django_db


def test_closing_a_hub_tells_the_cell_which_weeks_it_cuts(world, people):
    monday = monday_of(timezone.now().date()) + dt.timedelta(weeks=2)
    hub_capacity_close(
        people.coord, world.hub, "artillery", monday, monday + dt.timedelta(days=13), "Strike."
    )
    [notice] = inbox(people.auditor, Kind.CAPACITY_CUT)
    assert f"{monday:%Y-%m-%d}: 1000 → 0" in notice.body
    assert f"{monday + dt.timedelta(weeks=1):%Y-%m-%d}: 1000 → 0" in notice.body
    assert f"{monday + dt.timedelta(weeks=2):%Y-%m-%d}" not in notice.body
    assert not inbox(people.coord, Kind.CAPACITY_CUT)  # the actor knows
    for other in (people.donor_de, people.recipient, people.trainer_gb):
        assert not inbox(other, Kind.CAPACITY_CUT)


def test_a_discrepancy_past_its_due_date_is_told_once(world, people):
    shipment = make_shipment(world, quantity=10)
    discrepancy = discrepancy_record(
        actor=people.coord,
        shipment=shipment,
        kind=Discrepancy.Kind.DAMAGED,
        description="crate crushed",
        line_id=shipment.lines.get().pk,
        quantity=2,
    )
    due = discrepancy.due_on
    assert services.notify_overdue_discrepancies(due) == 0  # due today: not yet overdue
    assert services.notify_overdue_discrepancies(due + dt.timedelta(days=1)) == 1
    assert services.notify_overdue_discrepancies(due + dt.timedelta(days=2)) == 0  # told once
    assert len(inbox(people.auditor, Kind.DISCREPANCY_OVERDUE)) == 1
    assert not inbox(people.donor_pl, Kind.DISCREPANCY_OVERDUE)
    # A resolved one is never overdue.
    other = discrepancy_record(
        actor=people.coord,
        shipment=shipment,
        kind=Discrepancy.Kind.DAMAGED,
        description="second crate",
        line_id=shipment.lines.get().pk,
        quantity=1,
    )
    discrepancy_resolve(actor=people.coord, discrepancy=other, resolution="found")
    assert services.notify_overdue_discrepancies(due + dt.timedelta(days=30)) == 0


def test_a_cancelled_session_tells_where_its_cohorts_went(world, people):
    op, _mnt = make_courses(world)
    site = make_site(world, "GB", "salisbury-plain", [op])
    first = make_session(op, site, next_monday())
    make_session(op, site, next_monday() + dt.timedelta(weeks=2))
    cohort = make_cohort(world, [op], trainees=6)
    training_services.booking_create(actor=people.coord, cohort=cohort, session=first)
    result = execution.session_cancel(actor=people.coord, session=first)
    assert [r.cohort for r in result.rebooked] == [cohort]
    [notice] = inbox(people.auditor, Kind.SESSION_CANCELLED)
    assert cohort.reference in notice.body
