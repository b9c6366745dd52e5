"""The data migrations that bring numbers stored before the bounds back within them: a row the
probe of issue 23 wrote (a value SQLite cannot read back, a quantity that overflows every sum)
reads, sums and saves again, at the nearest bound."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection
from django.db.models import Sum

from coordcell.bounds import MONEY_MAX, QUANTITY_MAX, clamp_to_bounds
from coordcell.pledges.models import Pledge
from coordcell.pledges.tests.factories import PledgeFactory
from coordcell.registry.models import HubCapacity

# The data migration writes each table directly, as migrations do.
pytestmark = [pytest.mark.django_db, pytest.mark.allow_any_writer]


def _clamp(app_label: str) -> None:
    clamp_to_bounds(app_label)(apps, SimpleNamespace(connection=connection))


def _write_raw(table: str, column: str, value: str, pk: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {column} = {value} WHERE id = %s", [pk])  # noqa: S608


def test_rows_beyond_the_bounds_get_the_nearest_bound_and_read_again(world) -> None:
    # What the probe left behind: the largest numbers each database took before the bounds.
    huge = "9223372036854775807" if connection.vendor == "sqlite" else "2147483647"
    broken = [
        PledgeFactory(
            donor=world.nations["DE"],
            category=world.category,
            origin=world.depots["DE"],
            value=Decimal("1.00"),
            currency="EUR",
            valuation_basis="contract_price",
        )
        for _ in range(2)
    ]
    fine = PledgeFactory(
        donor=world.nations["DE"],
        category=world.category,
        origin=world.depots["DE"],
        quantity=7,
        value=Decimal("12.50"),
        currency="EUR",
        valuation_basis="contract_price",
    )
    for pledge in broken:
        _write_raw("pledges_pledge", "quantity", huge, pledge.pk)
        _write_raw("pledges_pledge", "allocated_quantity", huge, pledge.pk)
        _write_raw("pledges_pledge", "value", "99999999999999.99", pledge.pk)
    if connection.vendor == "sqlite":
        with pytest.raises(ArithmeticError):  # decimal.InvalidOperation: 17 digits in a 16
            list(Pledge.objects.filter(pk=broken[0].pk).values_list("value", flat=True))

    _clamp("pledges")

    for pledge in broken:
        pledge.refresh_from_db()
        assert (pledge.quantity, pledge.allocated_quantity) == (QUANTITY_MAX, QUANTITY_MAX)
        assert pledge.value == MONEY_MAX
        pledge.full_clean()  # it saves again through the forms, the API and the imports
    fine.refresh_from_db()
    assert (fine.quantity, fine.value) == (7, Decimal("12.50"))
    assert Pledge.objects.aggregate(n=Sum("quantity"))["n"] == 2 * QUANTITY_MAX + 7


def test_a_capacity_beyond_the_bound_is_clamped_and_other_fields_stay(world) -> None:
    capacity = HubCapacity.objects.get(hub=world.hub)
    _write_raw("registry_hubcapacity", "weekly_capacity", str(2**31 - 1), capacity.pk)
    _clamp("registry")
    capacity.refresh_from_db()
    assert capacity.weekly_capacity == QUANTITY_MAX
    world.hub.refresh_from_db()
    assert world.hub.latitude == Decimal("50.00000")
