"""Deterministic synthetic instances shaped like ``/work/shared/BENCHMARKS.md``.

``generate_instance(n, seed)``: n pledges x n requirements, 40 categories in 7 domains (each
requirement accepts 1-3 categories), ~40 donors with one or two depots (a quarter restrict hubs),
8 hubs, 20 delivery points, 26 weekly periods.  Pledges arrive early in the horizon and hub
capacities are sized at about the average weekly flow, so hubs bind in the busy weeks.
"""

from __future__ import annotations

import numpy as np

from .model import Category, Demand, Hub, Instance, Parameters, Supply

DOMAINS: tuple[str, ...] = (
    "air_defence",
    "artillery",
    "armour",
    "drones",
    "medical",
    "engineering",
    "sustainment",
)
_CATEGORIES_PER_DOMAIN: tuple[int, ...] = (6, 8, 6, 6, 5, 4, 5)
HUB_NAMES: tuple[str, ...] = (
    "Rzeszów-Jasionka",
    "Mielec",
    "Lublin",
    "Košice",
    "Suceava",
    "Constanța",
    "Bratislava",
    "Wrocław",
)
HORIZON = 26
N_DONORS = 40
N_POINTS = 20
N_BRIGADES = 30


def _quantities(rng: np.random.Generator, n: int, scale: float) -> np.ndarray:
    return np.clip(np.exp(rng.normal(np.log(scale), 0.9, n)), 1, 50 * scale).astype(np.int64)


def generate_instance(
    n: int, seed: int = 0, shared_capacity: bool = False, parameters: Parameters | None = None
) -> Instance:
    """A synthetic instance with ``n`` pledges and ``n`` requirements (pure, deterministic).

    ``shared_capacity=True`` gives every hub one weekly throughput shared by all domains (equal to
    the sum of its per-domain capacities) instead of per-domain capacities.
    """
    rng = np.random.default_rng(seed)
    categories: list[Category] = []
    for dom, count in zip(DOMAINS, _CATEGORIES_PER_DOMAIN, strict=True):
        for i in range(count):
            categories.append(Category(f"{dom[:3].upper()}-{i + 1:02d}", dom))
    codes = [c.code for c in categories]
    by_domain = {d: [c.code for c in categories if c.domain == d] for d in DOMAINS}
    compatibility: dict[str, frozenset[str]] = {}
    for c in categories:
        others = [x for x in by_domain[c.domain] if x != c.code]
        k = int(rng.integers(0, 3))
        picked = rng.choice(len(others), size=min(k, len(others)), replace=False)
        compatibility[c.code] = frozenset({c.code} | {others[int(i)] for i in sorted(picked)})

    hubs_ids = [f"H{i + 1}" for i in range(len(HUB_NAMES))]
    points = [f"DP-{i + 1:02d}" for i in range(N_POINTS)]
    brigades = [f"BDE-{i + 1:02d}" for i in range(N_BRIGADES)]
    point_brigades = {
        p: [brigades[(2 * i) % N_BRIGADES], brigades[(2 * i + 1) % N_BRIGADES]]
        for i, p in enumerate(points)
    }

    # Donors: depots, specialities, hub restrictions.
    origins: list[str] = []
    donor_depots: list[list[str]] = []
    donor_cats: list[list[int]] = []
    donor_hubs: list[frozenset[str] | None] = []
    donor_caps: list[frozenset[str] | None] = []
    for d in range(N_DONORS):
        depots = [f"N{d + 1:02d}-{j + 1}" for j in range(1 + int(rng.random() < 0.4))]
        origins.extend(depots)
        donor_depots.append(depots)
        donor_cats.append(
            sorted(int(x) for x in rng.choice(len(codes), int(rng.integers(4, 9)), replace=False))
        )
        if rng.random() < 0.25:
            hs = rng.choice(len(hubs_ids), int(rng.integers(2, 4)), replace=False)
            donor_hubs.append(frozenset(hubs_ids[int(i)] for i in hs))
        else:
            donor_hubs.append(None)
        # a few donors earmark their pledges for the brigades they train
        if rng.random() < 0.15:
            bs = rng.choice(N_BRIGADES, int(rng.integers(2, 5)), replace=False)
            donor_caps.append(frozenset(brigades[int(i)] for i in bs))
        else:
            donor_caps.append(None)

    origin_to_hub: dict[tuple[str, str], int] = {}
    for o in origins:
        for hi, h in enumerate(hubs_ids):
            if hi < 2 or rng.random() < 0.85:  # the two main hubs are reachable from everywhere
                origin_to_hub[(o, h)] = int(rng.integers(1, 4))
    hub_to_point: dict[tuple[str, str], int] = {}
    for h in hubs_ids:
        for p in points:
            if h == hubs_ids[0] or rng.random() < 0.7:
                hub_to_point[(h, p)] = int(rng.integers(1, 3))

    # Pledges.
    donor_weight = rng.pareto(1.5, N_DONORS) + 0.2
    donor_of = rng.choice(N_DONORS, n, p=donor_weight / donor_weight.sum())
    avail = np.minimum(rng.triangular(0, 2, 20, n).astype(np.int64), HORIZON - 6)
    sq = _quantities(rng, n, 12.0)
    u_cat = rng.random(n)
    u_depot = rng.random(n)
    u_capr = rng.random(n)
    supplies: list[Supply] = []
    for i in range(n):
        d = int(donor_of[i])
        cats = donor_cats[d]
        cat = codes[cats[int(u_cat[i] * len(cats))]]
        depot = donor_depots[d][int(u_depot[i] * len(donor_depots[d]))]
        caps = donor_caps[d] if u_capr[i] < 0.5 else None
        supplies.append(
            Supply(f"P-{i + 1:06d}", cat, int(sq[i]), int(avail[i]), depot, donor_hubs[d], caps)
        )

    # Requirements: ~1.25x the pledged quantity in total, category mix not matching pledges.
    cat_weight = rng.random(len(codes)) + 0.3
    dcat = rng.choice(len(codes), n, p=cat_weight / cat_weight.sum())
    dq = _quantities(rng, n, 15.0)
    need = rng.integers(3, HORIZON, n)
    prio = rng.choice(5, n, p=[0.15, 0.25, 0.3, 0.2, 0.1]) + 1
    dpt = rng.integers(0, N_POINTS, n)
    u_cap = rng.random(n)
    demands: list[Demand] = []
    for i in range(n):
        p = points[int(dpt[i])]
        cap = None if u_cap[i] < 0.2 else point_brigades[p][int(u_cap[i] * 10) % 2]
        demands.append(
            Demand(
                f"R-{i + 1:06d}",
                codes[int(dcat[i])],
                int(dq[i]),
                int(need[i]),
                p,
                int(prio[i]),
                cap,
            )
        )

    # Hub capacity: about the average weekly pledged flow of each domain, unevenly split.
    dom_of = {c.code: c.domain for c in categories}
    dom_total = dict.fromkeys(DOMAINS, 0)
    for s in supplies:
        dom_total[dom_of[s.category]] += s.quantity
    share = np.array([3.0, 1.2, 1.0, 1.0, 0.8, 0.8, 0.6, 0.6])
    share = share / share.sum()
    hubs: list[Hub] = []
    for hi, h in enumerate(hubs_ids):
        hub_cap = {dom: max(1, int(dom_total[dom] / 32.0 * share[hi])) for dom in DOMAINS}
        if shared_capacity:
            hubs.append(Hub(h, HUB_NAMES[hi], {}, sum(hub_cap.values())))
        else:
            hubs.append(Hub(h, HUB_NAMES[hi], hub_cap))
    return Instance(
        horizon=HORIZON,
        categories=tuple(categories),
        compatibility=compatibility,
        supplies=tuple(supplies),
        demands=tuple(demands),
        hubs=tuple(hubs),
        origin_to_hub=origin_to_hub,
        hub_to_point=hub_to_point,
        parameters=parameters or Parameters(),
    )
