"""What the recipient received — not what was planned or shipped — fulfils a requirement."""

import datetime as dt

import pytest
from django.utils import timezone

from coordcell.logistics.lifecycle import S
from coordcell.logistics.models import Discrepancy
from coordcell.logistics.selectors import (
    quantities_by_requirement,
    received_quantity_by_requirement,
)
from coordcell.logistics.tests.factories import SIGNED, event, ingest, make_shipment
from coordcell.registry.models import Role
from coordcell.requirements.models import Requirement

pytestmark = pytest.mark.django_db


def _deliver(world, shipment, *, shipped, handed_over, received=None):
    at = timezone.now() - dt.timedelta(days=3)
    steps = [
        (S.READY, {}),
        (S.DEPARTED, {"quantity": shipped}),
        (S.AT_HUB, {"quantity": shipped}),
        (S.DEPARTED_HUB, {}),
        (S.HANDED_OVER, {"quantity": handed_over, **SIGNED}),
    ]
    result = ingest(
        world,
        [
            event(shipment, status, at + dt.timedelta(hours=n), **fields)
            for n, (status, fields) in enumerate(steps)
        ],
    )
    assert not result.rejected, result.rejected
    if received is not None:
        result = ingest(
            world,
            [event(shipment, S.RECEIVED, at + dt.timedelta(hours=9), quantity=received, **SIGNED)],
            role=Role.RECIPIENT_LIAISON,
        )
        assert not result.rejected, result.rejected


def test_planned_shipped_and_handed_over_do_not_fulfil_a_requirement(world):
    shipment = make_shipment(world, quantity=100)
    requirement = shipment.lines.get().requirement
    assert requirement.status == Requirement.Status.ALLOCATED
    _deliver(world, shipment, shipped=100, handed_over=100)
    requirement.refresh_from_db()
    assert requirement.status == Requirement.Status.ALLOCATED
    assert received_quantity_by_requirement([requirement.pk]) == {}


def test_received_quantity_fulfils_the_requirement(world):
    shipment = make_shipment(world, quantity=100)
    requirement = shipment.lines.get().requirement
    _deliver(world, shipment, shipped=100, handed_over=100, received=100)
    requirement.refresh_from_db()
    assert requirement.status == Requirement.Status.FULFILLED
    assert received_quantity_by_requirement([requirement.pk]) == {requirement.pk: 100}


def test_a_short_receipt_leaves_the_requirement_partly_fulfilled(world):
    shipment = make_shipment(world, quantity=100)
    requirement = shipment.lines.get().requirement
    assert requirement.status == Requirement.Status.ALLOCATED
    _deliver(world, shipment, shipped=100, handed_over=95, received=90)
    requirement.refresh_from_db()
    assert requirement.status == Requirement.Status.PARTLY_FULFILLED
    assert quantities_by_requirement([requirement.pk])[requirement.pk].__dict__ == {
        "allocated": 100,
        "on_shipments": 100,
        "shipped": 100,
        "handed_over": 95,
        "received": 90,
    }
    shorts = Discrepancy.objects.filter(kind=Discrepancy.Kind.SHORT).order_by("stage")
    assert [(d.stage, d.quantity) for d in shorts] == [(S.HANDED_OVER, 5), (S.RECEIVED, 10)]
