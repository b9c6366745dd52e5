"""Bulk events carry counts both databases store (issue 23): a quantity beyond the bound, or
one that is not a whole number, is refused with its reason; JSON nested without end is a 400."""

import datetime as dt

import pytest
from django.utils import timezone

from coordcell.logistics.lifecycle import S
from coordcell.logistics.models import ShipmentEvent
from coordcell.logistics.tests.factories import event, ingest, make_shipment
from coordcell.registry.models import Role

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "fields",
    [
        {"quantity": 9223372036854775807},
        {"quantity": 10**9 + 1},
        {"quantity": True},
        {"quantity": 1.5},
        {"lines": {"1": 2**40}},
        {"lines": {str(n): 1 for n in range(1001)}},
    ],
)
def test_a_count_beyond_the_bound_is_refused_with_its_reason(world, fields):
    shipment = make_shipment(world)
    at = timezone.now() - dt.timedelta(hours=1)
    result = ingest(world, [event(shipment, S.READY, at, **fields)])
    assert result.accepted == 0
    assert "1000000000" in result.rejected[0].error
    assert not ShipmentEvent.objects.exists()


def test_the_largest_count_is_taken(world):
    shipment = make_shipment(world)
    at = timezone.now() - dt.timedelta(hours=1)
    result = ingest(world, [event(shipment, S.READY, at, quantity=10**9)])
    assert result.accepted == 1, result.rejected


def test_json_nested_without_end_is_a_400(world, client_for):
    client = client_for(world.users[Role.COORDINATOR])
    response = client.post(
        "/logistics/events/bulk", "[" * 100_000 + "]" * 100_000, content_type="application/json"
    )
    assert response.status_code == 400
