"""The current situation in the database, as the solver's input (``solver.Instance``).

Ids in the instance are the cell's references and codes (P-000123, R-000042, rzeszow-jasionka),
so an exported instance and the explanations read the way staff officers talk.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from coordcell.pledges.models import Pledge
from coordcell.registry.capacity import hub_capacity_by_week
from coordcell.registry.models import ItemCategory, Location
from coordcell.requirements.models import Requirement

from . import solver


def distance_km(a: Location, b: Location) -> float:
    """Great-circle distance between two locations."""
    lat1, lon1, lat2, lon2 = map(
        math.radians, map(float, (a.latitude, a.longitude, b.latitude, b.longitude))
    )
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371 * math.asin(math.sqrt(h))


def origin_to_hub_weeks(km: float) -> int:
    # One week covers loading, the road or rail move within Europe and the hub's pyrotechnic and
    # counter-intelligence checks; sea freight from other continents adds about a week per 2,000 km.
    return 1 + int(km // 2000)


def hub_to_point_weeks(km: float) -> int:
    # Hubs near the border hand over within the week; one in Germany (Wiesbaden) is a week further.
    return int(km // 800)


def week_of(start: dt.date, day: dt.date) -> int:
    return (day - start).days // 7


def parameters_from(data: Mapping[str, Any]) -> solver.Parameters:
    defaults = solver.Parameters()
    weights = data.get("priority_weights")
    return solver.Parameters(
        priority_weights=(
            {int(k): float(v) for k, v in weights.items()} if weights else defaults.priority_weights
        ),
        lateness_penalty=float(data.get("lateness_penalty", defaults.lateness_penalty)),
        max_lateness=int(data.get("max_lateness", defaults.max_lateness)),
        transport_cost=float(data.get("transport_cost", defaults.transport_cost)),
        lexicographic=bool(data.get("lexicographic", defaults.lexicographic)),
        method=str(data.get("method", defaults.method)),
        threads=int(data.get("threads", defaults.threads)),
        time_limit=data.get("time_limit", defaults.time_limit),
        hub_share_cap=(None if data.get("hub_share_cap") is None else float(data["hub_share_cap"])),
    )


@dataclass
class HubCapacityLeft:
    standing: dict[str, int] = field(default_factory=dict)  # domain -> units a week
    by_week: dict[tuple[str, int], int] = field(default_factory=dict)  # where it differs


def hub_capacities(
    *,
    start: dt.date,
    horizon: int,
    hubs: Sequence[Location],
    releasing: Collection[int] = (),
) -> dict[int, HubCapacityLeft]:
    """Per hub: its standing weekly capacity per domain, and each week of the horizon whose
    capacity differs from it: a cut or closure recorded for that week
    (``registry.capacity.hub_capacity_by_week``), less what committed shipments (not cancelled,
    not released by a re-plan, not yet past the hub) take out of it then."""
    from coordcell.logistics.selectors import hub_use_by_week

    out: dict[int, HubCapacityLeft] = {h.pk: HubCapacityLeft() for h in hubs}
    by_week = hub_capacity_by_week(start=start, weeks=horizon, hub_ids=[h.pk for h in hubs])
    for (hub_id, domain), figures in by_week.items():
        # The figure most weeks have stands; the weeks a cut or closure changes are listed.
        standing = Counter(figures).most_common(1)[0][0]
        out[hub_id].standing[domain] = standing
        for week, units in enumerate(figures):
            if units != standing:
                out[hub_id].by_week[(domain, week)] = units
    use = hub_use_by_week(start=start, weeks=horizon, exclude_shipments=releasing)
    for (hub_id, domain, week), units in use.items():
        left = out.get(hub_id)
        if left is None or not units:
            continue
        base = left.by_week.get((domain, week), left.standing.get(domain, 0))
        left.by_week[(domain, week)] = max(0, base - units)
    return out


def undisclosed_left_out() -> dict[str, int]:
    """How many confirmed pledges and open requirements an allocation run leaves out because
    their quantity is undisclosed (the run page says so): they come in once disclosed."""
    return {
        "pledges": Pledge.objects.filter(
            status=Pledge.Status.CONFIRMED, quantity__isnull=True
        ).count(),
        "requirements": Requirement.objects.exclude(status=Requirement.Status.CANCELLED)
        .filter(quantity__isnull=True)
        .count(),
    }


def build_instance(
    *,
    start: dt.date,
    horizon: int,
    parameters: Mapping[str, Any],
    replan_from: dt.date | None = None,
) -> solver.Instance:
    """The residual situation, as of now: each confirmed pledge's free units, each requirement's
    open units (not covered by receipts, shipments in good standing or committed allocation),
    each hub's capacity net of what committed shipments pass through it.

    ``replan_from``: a re-plan also counts as free and open what the planned shipments leaving
    on or after that day carry (``logistics.ledger.replan_releases``): committing it cancels them.
    """
    from coordcell.logistics.ledger import all_ledgers, replan_releases

    releasing = replan_releases(replan_from) if replan_from else set()
    requirement_ledger, pledge_ledger = all_ledgers(releasing=releasing)
    categories = list(ItemCategory.objects.prefetch_related("served_by").order_by("code"))
    compatibility = {
        c.code: frozenset(s.code for s in c.served_by.all() if s.code != c.code) for c in categories
    }
    hubs = list(Location.objects.filter(kind=Location.Kind.HUB).order_by("code"))
    capacities = hub_capacities(start=start, horizon=horizon, hubs=hubs, releasing=releasing)
    points = {loc.id: loc for loc in Location.objects.filter(kind=Location.Kind.DELIVERY_POINT)}
    depots = {loc.id: loc for loc in Location.objects.filter(kind=Location.Kind.DEPOT)}
    category_code = {c.id: c.code for c in categories}

    supplies = []
    # An undisclosed quantity is left out until disclosed (``undisclosed_left_out``).
    pledges = (
        Pledge.objects.filter(status=Pledge.Status.CONFIRMED, quantity__isnull=False)
        .order_by("reference")
        .prefetch_related("allowed_hubs", "allowed_capabilities")
    )
    for p in pledges.iterator(chunk_size=5000):
        ledger = pledge_ledger.get(p.pk)
        remaining = ledger.free if ledger else (p.quantity or 0)
        if remaining <= 0:
            continue
        allowed_hubs = frozenset(h.code for h in p.allowed_hubs.all()) or None
        allowed_caps = frozenset(c.code for c in p.allowed_capabilities.all()) or None
        supplies.append(
            solver.Supply(
                id=p.reference,
                category=category_code[p.category_id],
                quantity=remaining,
                available_period=max(0, week_of(start, p.available_from)),
                origin=depots[p.origin_id].code,
                allowed_hubs=allowed_hubs,
                allowed_capabilities=allowed_caps,
            )
        )

    demands = []
    capability_code = dict(
        Requirement.objects.values_list("capability_id", "capability__code").distinct()
    )
    open_requirements = (
        Requirement.objects.exclude(status=Requirement.Status.CANCELLED)
        .filter(quantity__isnull=False)
        .order_by("reference")
        .values_list(
            "id",
            "reference",
            "category_id",
            "quantity",
            "need_by",
            "delivery_point_id",
            "priority",
            "capability_id",
        )
    )
    for rid, ref, cat_id, quantity, need_by, point_id, priority, cap_id in open_requirements:
        needs = requirement_ledger.get(rid)
        remaining = needs.open if needs else (quantity or 0)
        if remaining <= 0:
            continue
        # Needs beyond the horizon count as met when delivered by its last week.
        period = min(max(0, week_of(start, need_by)), horizon - 1)
        demands.append(
            solver.Demand(
                id=ref,
                category=category_code[cat_id],
                quantity=remaining,
                need_by_period=period,
                delivery_point=points[point_id].code,
                priority=priority,
                capability=capability_code.get(cap_id),
            )
        )

    used_origins = {s.origin for s in supplies}
    depot_by_code = {d.code: d for d in depots.values()}
    used_points = {d.delivery_point for d in demands}
    point_by_code = {p.code: p for p in points.values()}
    origin_to_hub = {
        (o, h.code): origin_to_hub_weeks(distance_km(depot_by_code[o], h))
        for o in sorted(used_origins)
        for h in hubs
    }
    hub_to_point = {
        (h.code, p): hub_to_point_weeks(distance_km(h, point_by_code[p]))
        for h in hubs
        for p in sorted(used_points)
    }
    return solver.Instance(
        horizon=horizon,
        categories=tuple(solver.Category(c.code, c.domain) for c in categories),
        compatibility={k: v for k, v in compatibility.items() if v},
        supplies=tuple(supplies),
        demands=tuple(demands),
        hubs=tuple(
            solver.Hub(
                id=h.code,
                name=h.name,
                capacity=dict(capacities[h.id].standing),
                period_capacity=dict(capacities[h.id].by_week),
            )
            for h in hubs
        ),
        origin_to_hub=origin_to_hub,
        hub_to_point=hub_to_point,
        parameters=parameters_from(parameters),
    )
