"""How a shipment's legs are planned: the transport mode per leg and the days in transit.

Plausible, not precise: the cell plans in weeks; a leg departs on the Monday of its planned week
(or the day after it reaches the hub, if later) and takes a mode's typical transit time.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from coordcell.registry.models import Location

from .lifecycle import HUB_CHECK_DAYS
from .models import Leg

Mode = Leg.Mode

# Rough bounding box of Europe: outside it goods cross an ocean (sea, or air when sensitive).
EUROPE_LATITUDE = (34.0, 72.0)
EUROPE_LONGITUDE = (-25.0, 45.0)
RAIL_FROM_KM = 900  # beyond this, a European origin sends by rail rather than by road


def in_europe(location: Location) -> bool:
    lat, lon = float(location.latitude), float(location.longitude)
    return (
        EUROPE_LATITUDE[0] <= lat <= EUROPE_LATITUDE[1]
        and EUROPE_LONGITUDE[0] <= lon <= EUROPE_LONGITUDE[1]
    )


def distance_km(a: Location, b: Location) -> float:
    """Great-circle distance (haversine)."""
    lat1, lon1, lat2, lon2 = map(
        math.radians, map(float, (a.latitude, a.longitude, b.latitude, b.longitude))
    )
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def first_leg_mode(origin: Location, hub: Location, *, sensitive: bool) -> Leg.Mode:
    if not in_europe(origin):
        return Mode.AIR if sensitive else Mode.SEA
    return Mode.RAIL if distance_km(origin, hub) > RAIL_FROM_KM else Mode.ROAD


def transit_days(mode: str, km: float) -> int:
    if mode == Mode.AIR:
        return 2  # flight plus handling at both airports
    if mode == Mode.SEA:
        return 5 + math.ceil(km / 700)  # port handling plus ~15 knots, inland to the hub
    if mode == Mode.RAIL:
        return 1 + math.ceil(km / 400)
    return max(1, math.ceil(km / 600))  # road: a driving day covers ~600 km


@dataclass(frozen=True)
class PlannedLeg:
    origin: Location
    destination: Location
    mode: str
    departure: dt.date
    arrival: dt.date


def plan_legs(
    *,
    origin: Location,
    hub: Location,
    delivery_point: Location,
    departure: dt.date,
    hub_departure: dt.date | None,
    sensitive: bool,
) -> list[PlannedLeg]:
    """Origin -> hub, hub -> delivery point. The hub leg leaves no earlier than the check allows."""
    mode1 = first_leg_mode(origin, hub, sensitive=sensitive)
    arrival1 = departure + dt.timedelta(days=transit_days(mode1, distance_km(origin, hub)))
    departure2 = arrival1 + dt.timedelta(days=HUB_CHECK_DAYS)
    if hub_departure is not None:
        departure2 = max(departure2, hub_departure)
    mode2 = Mode.ROAD
    arrival2 = departure2 + dt.timedelta(days=transit_days(mode2, distance_km(hub, delivery_point)))
    return [
        PlannedLeg(origin, hub, mode1, departure, arrival1),
        PlannedLeg(hub, delivery_point, mode2, departure2, arrival2),
    ]
