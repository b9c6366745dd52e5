"""A commit builds loads: one shipment per donor, origin, hub, week and delivery point with
several lines, split where a transport mode's limits are reached (logistics/loads.py)."""

import datetime as dt

import pytest

from coordcell.logistics.loads import LOAD_LIMITS, ModeLimit, Piece, pack
from coordcell.logistics.models import Leg, Shipment
from coordcell.logistics.services import shipments_create_for_lines
from coordcell.logistics.tests.factories import make_line, make_run
from coordcell.registry.models import Role
from coordcell.registry.tests.factories import ItemCategoryFactory

MONDAY = dt.date(2027, 1, 4)


def test_a_load_holds_lines_of_several_units_each_bounded_by_itself():
    limit = ModeLimit(max_lines=10, per_unit={"round": 1000, "litre": 500})
    loads = pack([Piece("a", "round", 900), Piece("b", "litre", 500)], limit)
    assert [[p.line for p in load] for load in loads] == [["a", "b"]]


def test_a_load_over_a_units_limit_is_split_and_a_big_line_is_cut():
    limit = ModeLimit(max_lines=10, per_unit={"system": 2})
    loads = pack([Piece("a", "system", 5)], limit)
    assert [[p.quantity for p in load] for load in loads] == [[2], [2], [1]]


def test_a_load_has_at_most_its_modes_lines():
    limit = ModeLimit(max_lines=3)
    loads = pack([Piece(n, "each", 1) for n in range(7)], limit)
    assert [len(load) for load in loads] == [3, 3, 1]


def test_nothing_is_lost_in_packing():
    pieces = [Piece(n, unit, q) for n, (unit, q) in enumerate([("kg", 30_000), ("each", 2_500)])]
    loads = pack(pieces, LOAD_LIMITS["road"])
    carried = {}
    for load in loads:
        for piece in load:
            carried[piece.line] = carried.get(piece.line, 0) + piece.quantity
    assert carried == {0: 30_000, 1: 2_500}


def test_every_mode_has_limits():
    assert set(LOAD_LIMITS) == {m.value for m in Leg.Mode}


@pytest.mark.django_db
def test_a_commit_makes_one_load_with_several_lines(world):
    run = make_run(start=MONDAY)
    diesel = ItemCategoryFactory(code="diesel", name="Diesel", unit="litre", domain="fuel")
    lines = [
        make_line(world, run=run, quantity=100),
        make_line(world, run=run, quantity=20, category=diesel),
        make_line(world, run=run, quantity=30),
    ]
    shipments = shipments_create_for_lines(actor=world.users[Role.COORDINATOR], lines=lines)
    assert len(shipments) == 1
    assert sorted(shipments[0].lines.values_list("quantity", flat=True)) == [20, 30, 100]


@pytest.mark.django_db
def test_a_group_over_the_trucks_limit_travels_as_several_loads(world):
    run = make_run(start=MONDAY)
    tanks = ItemCategoryFactory(code="mbt", name="Main battle tank", unit="system", domain="armour")
    line = make_line(world, run=run, quantity=9, category=tanks)  # road: 4 systems a load
    shipments = shipments_create_for_lines(actor=world.users[Role.COORDINATOR], lines=[line])
    quantities = sorted(
        Shipment.objects.filter(pk__in=[s.pk for s in shipments]).values_list(
            "lines__quantity", flat=True
        )
    )
    assert quantities == [1, 4, 4]
    # Committing again ships nothing twice.
    assert shipments_create_for_lines(actor=world.users[Role.COORDINATOR], lines=[line]) == []
