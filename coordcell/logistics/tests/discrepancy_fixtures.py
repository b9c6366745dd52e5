"""Discrepancies found at a given stage of a shipment, made the way production makes them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from coordcell.logistics.discrepancies import discrepancy_record
from coordcell.logistics.lifecycle import STAGES, S
from coordcell.logistics.models import Discrepancy, Shipment
from coordcell.logistics.tests.factories import SIGNED, event, ingest, make_shipment
from coordcell.registry.models import Role

STEPS: list[tuple[str, dict[str, Any]]] = [
    (S.READY, {}),
    (S.DEPARTED, {"quantity": 10}),
    (S.AT_HUB, {"quantity": 10}),
    (S.DEPARTED_HUB, {}),
    (S.HANDED_OVER, {"quantity": 10, **SIGNED}),
]


def shipment_at(world: Any, stage: str, *, donor: str = "DE") -> Shipment:
    """A shipment of 10 units of ``donor`` that has reached ``stage`` (up to handed over)."""
    shipment = make_shipment(world, donor=donor, quantity=10)
    at = timezone.now() - dt.timedelta(days=2)
    steps = [s for s in STEPS if STAGES.index(S(s[0])) <= STAGES.index(S(stage))]
    if steps:
        result = ingest(
            world,
            [
                event(shipment, status, at + dt.timedelta(hours=n), **fields)
                for n, (status, fields) in enumerate(steps)
            ],
        )
        assert not result.rejected, result.rejected
    shipment.refresh_from_db()
    assert shipment.status == stage
    return shipment


def discrepancy_at(
    world: Any,
    stage: str = S.AT_HUB,
    *,
    donor: str = "DE",
    kind: str = Discrepancy.Kind.DAMAGED,
    quantity: int = 2,
    serial: str = "",
    description: str = "Crate crushed",
) -> Discrepancy:
    shipment = shipment_at(world, stage, donor=donor)
    return discrepancy_record(
        actor=world.users[Role.COORDINATOR],
        shipment=shipment,
        kind=kind,
        quantity=quantity,
        serial=serial,
        description=description,
    )
