"""Grouping of identical pledges/requirements (exact, deterministic).

A *commodity* is (supplied category, capability restriction of the pledge): units of one commodity
are interchangeable for every requirement, so the capability restriction stays exact under
grouping.  Pledges are grouped by (commodity, origin, available week, allowed hubs); requirements by
(category, delivery point, need-by week, priority, capability).  Every ordering is by sorted keys,
never by dict/set iteration or input order, so the same input gives the same groups.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from .model import Instance

SHARED = "*"  # capacity key of a hub whose capacity is shared by all domains

CapKey = tuple[str, ...] | None


def _cap_sort(c: CapKey) -> tuple[int, tuple[str, ...]]:
    return (0, ()) if c is None else (1, c)


@dataclass(frozen=True, slots=True)
class Groups:
    """Index tables for one instance (all lists sorted deterministically)."""

    hubs: tuple[str, ...]
    points: tuple[str, ...]
    origins: tuple[str, ...]
    domains: tuple[str, ...]
    commodities: tuple[tuple[str, CapKey], ...]
    commodity_domain: np.ndarray  # int, index into domains
    # supply groups
    sg_commodity: np.ndarray
    sg_origin: np.ndarray
    sg_period: np.ndarray
    sg_quantity: np.ndarray
    sg_hub_mask: np.ndarray  # bool [groups, hubs]
    sg_members: tuple[tuple[int, ...], ...]  # supply indices, sorted by id
    # demand groups
    dg_point: np.ndarray
    dg_need: np.ndarray
    dg_priority: np.ndarray
    dg_quantity: np.ndarray
    dg_commodities: tuple[tuple[int, ...], ...]  # compatible commodities
    dg_members: tuple[tuple[int, ...], ...]
    # stable 64-bit names of the commodities and groups (the same in any instance where they
    # exist), so that an LP solution of one instance can warm-start a changed one
    commodity_names: np.ndarray  # uint64
    sg_names: np.ndarray
    dg_names: np.ndarray


def stable_name(key: object) -> int:
    """A 64-bit name of ``key`` (by its repr), the same in every process and run."""
    return int.from_bytes(hashlib.blake2b(repr(key).encode(), digest_size=8).digest(), "little")


def stable_names(keys: list[object] | tuple[object, ...]) -> np.ndarray:
    return np.array([stable_name(k) for k in keys], dtype=np.uint64)


def build_groups(inst: Instance, aggregate: bool = True) -> Groups:
    """Group the instance's pledges and requirements (exact, deterministic).

    ``aggregate=False`` gives every pledge and requirement its own group (for comparisons).
    """
    dom_of = inst.domain_of()
    domains = tuple(sorted(set(dom_of.values())))
    dom_index = {d: i for i, d in enumerate(domains)}
    hubs = tuple(sorted(h.id for h in inst.hubs))
    hub_index = {h: i for i, h in enumerate(hubs)}
    points = tuple(
        sorted({d.delivery_point for d in inst.demands} | {p for (_, p) in inst.hub_to_point})
    )
    point_index = {p: i for i, p in enumerate(points)}
    origins = tuple(
        sorted({s.origin for s in inst.supplies} | {o for (o, _) in inst.origin_to_hub})
    )
    origin_index = {o: i for i, o in enumerate(origins)}

    def capkey(s_caps: frozenset[str] | None) -> CapKey:
        return None if s_caps is None else tuple(sorted(s_caps))

    comm_set = {(s.category, capkey(s.allowed_capabilities)) for s in inst.supplies}
    commodities = tuple(sorted(comm_set, key=lambda c: (c[0], _cap_sort(c[1]))))
    comm_index = {c: i for i, c in enumerate(commodities)}
    commodity_domain = np.array([dom_index[dom_of[c[0]]] for c in commodities], dtype=np.int64)

    all_hubs = tuple(range(len(hubs)))
    sg: dict[tuple[int, int, int, tuple[int, ...], str], list[int]] = {}
    for i, s in enumerate(inst.supplies):
        hk = (
            all_hubs
            if s.allowed_hubs is None
            else tuple(sorted(hub_index[h] for h in s.allowed_hubs if h in hub_index))
        )
        key = (
            comm_index[(s.category, capkey(s.allowed_capabilities))],
            origin_index[s.origin],
            s.available_period,
            hk,
            "" if aggregate else s.id,
        )
        sg.setdefault(key, []).append(i)
    sg_keys = sorted(sg)
    n_sg = len(sg_keys)
    sg_hub_mask = np.zeros((n_sg, len(hubs)), dtype=bool)
    for gi, key in enumerate(sg_keys):
        sg_hub_mask[gi, list(key[3])] = True
    sg_members = tuple(tuple(sorted(sg[k], key=lambda i: inst.supplies[i].id)) for k in sg_keys)

    # commodities able to serve (demand category, capability)
    by_cat: dict[str, list[int]] = {}
    for ci, (cat, _) in enumerate(commodities):
        by_cat.setdefault(cat, []).append(ci)
    serve_cache: dict[tuple[str, str | None], tuple[int, ...]] = {}

    def serving(cat: str, cap: str | None) -> tuple[int, ...]:
        key = (cat, cap)
        if key not in serve_cache:
            out = []
            for sc in sorted(inst.serving_categories(cat)):
                for ci in by_cat.get(sc, ()):
                    ck = commodities[ci][1]
                    if ck is None or (cap is not None and cap in ck):
                        out.append(ci)
            serve_cache[key] = tuple(sorted(out))
        return serve_cache[key]

    dg: dict[tuple[str, int, int, int, str, str], list[int]] = {}
    for i, d in enumerate(inst.demands):
        dkey = (
            d.category,
            point_index[d.delivery_point],
            d.need_by_period,
            d.priority,
            d.capability if d.capability is not None else "\x00",
            "" if aggregate else d.id,
        )
        dg.setdefault(dkey, []).append(i)
    dg_keys = sorted(dg)
    dg_members = tuple(tuple(sorted(dg[k], key=lambda i: inst.demands[i].id)) for k in dg_keys)
    return Groups(
        hubs=hubs,
        points=points,
        origins=origins,
        domains=domains,
        commodities=commodities,
        commodity_domain=commodity_domain,
        sg_commodity=np.array([k[0] for k in sg_keys], dtype=np.int64),
        sg_origin=np.array([k[1] for k in sg_keys], dtype=np.int64),
        sg_period=np.array([k[2] for k in sg_keys], dtype=np.int64),
        sg_quantity=np.array(
            [sum(inst.supplies[i].quantity for i in m) for m in sg_members], dtype=np.int64
        ),
        sg_hub_mask=sg_hub_mask,
        sg_members=sg_members,
        dg_point=np.array([k[1] for k in dg_keys], dtype=np.int64),
        dg_need=np.array([k[2] for k in dg_keys], dtype=np.int64),
        dg_priority=np.array([k[3] for k in dg_keys], dtype=np.int64),
        dg_quantity=np.array(
            [sum(inst.demands[i].quantity for i in m) for m in dg_members], dtype=np.int64
        ),
        dg_commodities=tuple(serving(k[0], None if k[4] == "\x00" else k[4]) for k in dg_keys),
        dg_members=dg_members,
        commodity_names=stable_names(commodities),
        sg_names=stable_names(
            [
                (commodities[k[0]], origins[k[1]], k[2], tuple(hubs[h] for h in k[3]), k[4])
                for k in sg_keys
            ]
        ),
        dg_names=stable_names([(k[0], points[k[1]], *k[2:]) for k in dg_keys]),
    )
