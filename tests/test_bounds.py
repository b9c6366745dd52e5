"""Every numeric field of every model declares a range that both databases store.

A new field without ``validators=between(low, high)`` (coordcell/bounds.py), or with a range
SQLite or PostgreSQL cannot keep exactly, fails here: the API, the forms and the imports take
their limits from these validators."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.apps import apps

from coordcell.bounds import INTEGER, declared, number_fields, storable


def _numeric_fields() -> list[tuple[str, object]]:
    return [
        (f"{model._meta.label}.{field.name}", field)
        for model in apps.get_models()
        if model.__module__.startswith("coordcell.")
        for field in number_fields(model)
    ]


def test_the_walk_finds_the_fields_users_set() -> None:
    names = {name for name, _ in _numeric_fields()}
    assert {
        "pledges.Pledge.quantity",
        "pledges.Pledge.value",
        "requirements.Requirement.quantity",
        "registry.HubCapacity.weekly_capacity",
        "registry.Location.latitude",
        "logistics.ShipmentLine.received_quantity",
        "training.Session.seats",
        "allocation.AllocationRun.horizon_weeks",
    } <= names


@pytest.mark.parametrize(("name", "field"), _numeric_fields(), ids=lambda v: str(v))
def test_every_numeric_field_has_a_range_both_databases_store(name: str, field) -> None:
    low, high = declared(field)
    assert low is not None and high is not None, (
        f"{name} has no declared range: give it validators=between(low, high) (coordcell/bounds.py)"
    )
    can_low, can_high = storable(field)
    assert can_low <= low <= high <= can_high, (
        f"{name}: {low}..{high} is outside what both databases store ({can_low}..{can_high})"
    )


def test_a_decimal_keeps_at_most_fifteen_significant_digits() -> None:
    from coordcell.pledges.models import Pledge

    # numeric(16, 2) on PostgreSQL, but a REAL of 15 digits on SQLite.
    assert storable(Pledge._meta.get_field("value"))[1] == Decimal("9999999999999.99")


# 64-bit counters that nothing sums.
COUNTERS = {"audit.AuditEvent.seq", "audit.AuditHead.seq", "numbering.ReferenceCounter.last"}


def test_integer_columns_cannot_overflow_a_sum_of_four_billion_rows() -> None:
    for name, field in _numeric_fields():
        if isinstance(declared(field)[1], int):
            top = declared(field)[1]
            if top > INTEGER[1]:
                assert name in COUNTERS, f"{name} goes beyond 32 bits: {top}"
                continue
            assert top * 2**32 < 2**63, name
