"""A hub's coming weeks: inbound and outbound per domain against its weekly capacity."""

import datetime as dt

import pytest
from django.utils import timezone

from coordcell.logistics.selectors import hub_outlook
from coordcell.logistics.tests.factories import make_run, make_shipment
from coordcell.registry.models import Role

pytestmark = pytest.mark.django_db


def test_the_hub_view_shows_weeks_over_capacity(world, client_for):
    today = timezone.now().date()
    run = make_run(start=today - dt.timedelta(days=today.weekday()) + dt.timedelta(weeks=1))
    make_shipment(world, run=run, quantity=700)
    make_shipment(world, run=run, quantity=600)
    outlook = hub_outlook(world.hub, today=today)
    inbound = {week: cell.inbound for (domain, week), cell in outlook.cells.items()}
    assert sum(inbound.values()) == 1300
    week = next(w for w, n in inbound.items() if n)
    cell = outlook.cells[("artillery", week)]
    assert cell.capacity == 1000 and cell.over_capacity
    page = client_for(world.users[Role.COORDINATOR]).get(f"/logistics/hubs/{world.hub.pk}/")
    assert page.status_code == 200 and b"1300 /" in page.content
