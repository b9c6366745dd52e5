"""Loads: how a commit packs plan lines into shipments, and each transport mode's limits.

The one place the limits live (docs/logistics.md, "Loads, not lines"). A load is one shipment:
one donor, origin depot, hub, departure week and delivery point, carrying several lines (each
line keeps its own serial numbers). A group over its mode's limits is split into several loads.

The limits are deliberately simple, per load and per unit of measure (never summed across
units: rounds and litres do not add up):

* at most ``max_lines`` lines, so a load stays checkable at the hub in one sitting;
* per unit of measure, at most ``per_unit[unit]`` of that unit (a road truck takes 33 pallets,
  not 33 tonnes of them in kilograms and litres at the same time: each unit is bounded by
  itself, which is what one vehicle of that mode carries of goods counted that way).

A line larger than a limit travels in several loads: its quantity is cut into parts that fit.
Plain functions over plain values: tested without a database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeVar


@dataclass(frozen=True)
class ModeLimit:
    max_lines: int
    per_unit: dict[str, int] = field(default_factory=dict)

    def cap(self, unit: str) -> int | None:
        return self.per_unit.get(unit)


# Per first-leg mode (planning.first_leg_mode: road, rail, air, sea), what one load may carry.
# Units: registry.models.ItemCategory.Unit. A unit not listed is unbounded (lines still count).
LOAD_LIMITS: dict[str, ModeLimit] = {
    # One road convoy: a handful of articulated trucks (33 euro pallets, ~24 t or ~30,000 l
    # of fuel each) or four heavy transporters (one armoured vehicle each).
    "road": ModeLimit(
        max_lines=20,
        per_unit={
            "pallet": 132,
            "kg": 96_000,
            "litre": 120_000,
            "round": 40_000,
            "each": 5_000,
            "set": 2_000,
            "system": 4,
        },
    ),
    # One block train of ~20 wagons.
    "rail": ModeLimit(
        max_lines=40,
        per_unit={
            "pallet": 660,
            "kg": 480_000,
            "litre": 600_000,
            "round": 400_000,
            "each": 100_000,
            "set": 40_000,
            "system": 20,
        },
    ),
    # One strategic airlifter (C-17 class: 18 pallet positions, ~70 t).
    "air": ModeLimit(
        max_lines=15,
        per_unit={
            "pallet": 18,
            "kg": 70_000,
            "litre": 40_000,
            "round": 30_000,
            "each": 2_000,
            "set": 1_000,
            "system": 1,
        },
    ),
    # One ro-ro sailing: large, but a load still has to be checked at the hub.
    "sea": ModeLimit(
        max_lines=60,
        per_unit={
            "pallet": 2_000,
            "kg": 2_000_000,
            "litre": 2_000_000,
            "round": 2_000_000,
            "each": 100_000,
            "set": 10_000,
            "system": 60,
        },
    ),
}

T = TypeVar("T")


@dataclass(frozen=True)
class Piece[T]:
    """A line (or a part of it) with the unit and quantity it adds to a load."""

    line: T
    unit: str
    quantity: int


def pack[T](pieces: Sequence[Piece[T]], limit: ModeLimit) -> list[list[Piece[T]]]:
    """The pieces, in order, packed into as few loads as a first-fit pass gives, each within
    ``limit``. A piece above a unit's cap is cut into parts of at most that cap first."""
    parts: list[Piece[T]] = []
    for piece in pieces:
        cap = limit.cap(piece.unit)
        remaining = piece.quantity
        while cap is not None and remaining > cap:
            parts.append(Piece(piece.line, piece.unit, cap))
            remaining -= cap
        parts.append(Piece(piece.line, piece.unit, remaining))
    loads: list[list[Piece[T]]] = []
    totals: list[dict[str, int]] = []
    for part in parts:
        cap = limit.cap(part.unit)
        for load, total in zip(loads, totals, strict=True):
            fits_lines = len(load) < limit.max_lines
            fits_unit = cap is None or total.get(part.unit, 0) + part.quantity <= cap
            if fits_lines and fits_unit:
                load.append(part)
                total[part.unit] = total.get(part.unit, 0) + part.quantity
                break
        else:
            loads.append([part])
            totals.append({part.unit: part.quantity})
    return loads
