"""A small picture: German and Polish pledges with values, committed lines, shipments moving."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from coordcell.logistics.services import events_ingest
from coordcell.logistics.tests.factories import SIGNED, event, make_shipment
from coordcell.pledges.models import Pledge
from coordcell.registry.models import Role


@pytest.fixture
def picture_world(world: Any) -> Any:
    """DE: 100 units shipped and received (EUR, replacement cost); PL: 40 units planned (USD)."""
    de = make_shipment(world, donor="DE", quantity=100)
    pl = make_shipment(world, donor="PL", quantity=40)
    Pledge.objects.filter(pk=de.lines.get().pledge_id).update(
        value=Decimal("1000000"),
        currency="EUR",
        valuation_basis="replacement_cost",
        allocated_quantity=100,
    )
    Pledge.objects.filter(pk=pl.lines.get().pledge_id).update(
        value=Decimal("500000"),
        currency="EUR",
        valuation_basis="depreciated_book_value",
        allocated_quantity=40,
    )
    now = timezone.now() - dt.timedelta(days=1)
    coordinator = world.users[Role.COORDINATOR]
    steps = ["ready_at_origin", "departed", "at_hub", "departed_hub", "handed_over"]
    result = events_ingest(
        actor=coordinator,
        events=[
            event(de, status, now + dt.timedelta(hours=i), quantity=100, **SIGNED)
            for i, status in enumerate(steps)
        ],
    )
    assert not result.rejected, result.rejected
    result = events_ingest(
        actor=world.users[Role.RECIPIENT_LIAISON],
        events=[event(de, "received", now + dt.timedelta(hours=6), quantity=100, **SIGNED)],
    )
    assert not result.rejected, result.rejected
    world.extra.update(de=de, pl=pl)
    return world
