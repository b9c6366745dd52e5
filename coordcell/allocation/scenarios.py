"""What-if changes applied to a solver instance: pure functions, no database.

A change is a small JSON object, so a scenario can be stored with its run, shown, and replayed:

    {"type": "close_hub", "hub": "rzeszow-jasionka", "from_week": 3, "to_week": 6}
    {"type": "extra_capacity", "hub": "lublin", "domain": "artillery", "per_week": 5000}
    {"type": "slip_pledge", "pledge": "P-000123", "weeks": 4}
    {"type": "withdraw_pledge", "pledge": "P-000123"}
    {"type": "raise_priority", "requirement": "R-000042", "priority": 1}
    {"type": "hub_capacity", "hub": "lublin", "domain": "artillery", "from_week": 3,
     "to_week": 6, "per_week": 2000}
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from coordcell.bounds import QUANTITY_MAX, WEEKS_MAX, whole_number

from .solver import Instance

CHANGE_TYPES = {
    "close_hub": "Close a hub for weeks",
    "extra_capacity": "Add weekly capacity at a hub",
    "slip_pledge": "A pledge slips by weeks",
    "withdraw_pledge": "A pledge is withdrawn",
    "raise_priority": "Change a requirement's priority",
    "hub_capacity": "A hub's capacity for one domain in some weeks",
}


class ChangeError(ValueError):
    """A what-if change that cannot be applied; the message says which and why."""


def describe(change: Mapping[str, Any]) -> str:
    kind = change.get("type")
    if kind == "close_hub":
        return f"hub {change['hub']} closed in weeks {change['from_week']}-{change['to_week']}"
    if kind == "extra_capacity":
        return f"+{change['per_week']}/week {change['domain']} capacity at {change['hub']}"
    if kind == "slip_pledge":
        return f"pledge {change['pledge']} slips {change['weeks']} week(s)"
    if kind == "withdraw_pledge":
        return f"pledge {change['pledge']} withdrawn"
    if kind == "raise_priority":
        return f"requirement {change['requirement']} becomes priority {change['priority']}"
    if kind == "hub_capacity":
        return (
            f"hub {change['hub']} passes {change['per_week']}/week {change['domain']} "
            f"in weeks {change['from_week']}-{change['to_week']}"
        )
    return str(dict(change))


def _int(change: Mapping[str, Any], key: str, low: int, high: int) -> int:
    value = whole_number(change.get(key), low, high)
    if value is None:
        raise ChangeError(
            f"{change.get('type')}: '{key}' must be a whole number between {low} and {high}, "
            f"not {str(change.get(key))[:20]!r}"
        )
    return value


# What each kind of change holds: its names (codes and references) and its whole numbers with
# the widest range they can have before the run's own horizon narrows them (apply_changes).
_NAMES = {
    "close_hub": ("hub",),
    "extra_capacity": ("hub", "domain"),
    "slip_pledge": ("pledge",),
    "withdraw_pledge": ("pledge",),
    "raise_priority": ("requirement",),
    "hub_capacity": ("hub", "domain"),
}
_NUMBERS = {
    "close_hub": {"from_week": (0, WEEKS_MAX), "to_week": (0, WEEKS_MAX)},
    "extra_capacity": {"per_week": (1, QUANTITY_MAX)},
    "slip_pledge": {"weeks": (1, WEEKS_MAX)},
    "withdraw_pledge": {},
    "raise_priority": {"priority": (1, 5)},
    "hub_capacity": {
        "from_week": (0, WEEKS_MAX),
        "to_week": (0, WEEKS_MAX),
        "per_week": (0, QUANTITY_MAX),
    },
}
MAX_CHANGES = 100


def check_changes(changes: Any) -> list[Mapping[str, Any]]:
    """The changes if each is a change of a known type whose names are short texts and whose
    numbers are whole and within range; a ChangeError naming the first that is not.

    Run when a scenario is queued, so that a bad change is refused at once, not in the job."""
    if not isinstance(changes, list) or len(changes) > MAX_CHANGES:
        raise ChangeError(f"the changes are a list of at most {MAX_CHANGES} change objects")
    for number, change in enumerate(changes, start=1):
        if not isinstance(change, Mapping) or change.get("type") not in CHANGE_TYPES:
            raise ChangeError(
                f"change {number}: give an object with a 'type' among {', '.join(CHANGE_TYPES)}"
            )
        kind = change["type"]
        allowed = {"type", *_NAMES[kind], *_NUMBERS[kind]}
        unknown = sorted(str(k) for k in change if k not in allowed)
        if unknown:
            raise ChangeError(f"change {number}: {kind} has no {', '.join(unknown)}")
        for name in _NAMES[kind]:
            value = change.get(name)
            if not isinstance(value, str) or not 0 < len(value) <= 60 or not value.isprintable():
                raise ChangeError(f"change {number}: '{name}' must be a code or reference")
        for name, (low, high) in _NUMBERS[kind].items():
            _int(change, name, low, high)
    return changes


def apply_changes(instance: Instance, changes: Sequence[Mapping[str, Any]]) -> Instance:
    """The instance as it would be with the changes; refuses an unknown hub, pledge, etc."""
    hubs = {h.id: h for h in instance.hubs}
    supplies = {s.id: s for s in instance.supplies}
    demands = {d.id: d for d in instance.demands}
    domains = {c.domain for c in instance.categories}
    last = instance.horizon - 1
    check_changes(list(changes))
    for number, change in enumerate(changes, start=1):
        kind = change.get("type")
        if kind not in CHANGE_TYPES:
            raise ChangeError(
                f"change {number}: unknown type {kind!r}; use one of {', '.join(CHANGE_TYPES)}"
            )
        if kind in {"close_hub", "extra_capacity", "hub_capacity"}:
            hub = hubs.get(change.get("hub", ""))
            if hub is None:
                raise ChangeError(f"change {number}: no hub {change.get('hub')!r}")
            if kind == "close_hub":
                first = _int(change, "from_week", 0, last)
                until = _int(change, "to_week", first, last)
                hubs[hub.id] = dataclasses.replace(
                    hub, closed_periods=hub.closed_periods | frozenset(range(first, until + 1))
                )
            elif kind == "hub_capacity":
                domain = change.get("domain")
                if domain not in domains:
                    raise ChangeError(f"change {number}: unknown domain {domain!r}")
                first = _int(change, "from_week", 0, last)
                until = _int(change, "to_week", first, last)
                per_week = _int(change, "per_week", 0, QUANTITY_MAX)
                # The figure the plan may use in those weeks: it replaces the capacity record's
                # (a shared hub's one figure when the hub shares its capacity across domains).
                key = "*" if hub.shared_capacity is not None else str(domain)
                periods = dict(hub.period_capacity)
                periods.update({(key, t): per_week for t in range(first, until + 1)})
                hubs[hub.id] = dataclasses.replace(hub, period_capacity=periods)
            else:
                domain = change.get("domain")
                if domain not in domains:
                    raise ChangeError(f"change {number}: unknown domain {domain!r}")
                extra = _int(change, "per_week", 1, 10**9)
                capacity = dict(hub.capacity)
                capacity[domain] = capacity.get(domain, 0) + extra
                hubs[hub.id] = dataclasses.replace(hub, capacity=capacity)
        elif kind in {"slip_pledge", "withdraw_pledge"}:
            supply = supplies.get(change.get("pledge", ""))
            if supply is None:
                raise ChangeError(
                    f"change {number}: pledge {change.get('pledge')!r} is not "
                    "among the unallocated, confirmed pledges of this run"
                )
            if kind == "withdraw_pledge":
                del supplies[supply.id]
            else:
                weeks = _int(change, "weeks", 1, instance.horizon)
                supplies[supply.id] = dataclasses.replace(
                    supply, available_period=supply.available_period + weeks
                )
        else:
            demand = demands.get(change.get("requirement", ""))
            if demand is None:
                raise ChangeError(
                    f"change {number}: requirement {change.get('requirement')!r} "
                    "is not among the open requirements of this run"
                )
            demands[demand.id] = dataclasses.replace(
                demand, priority=_int(change, "priority", 1, 5)
            )
    return dataclasses.replace(
        instance,
        hubs=tuple(hubs[h.id] for h in instance.hubs),
        supplies=tuple(s for s in (supplies.get(s.id) for s in instance.supplies) if s),
        demands=tuple(demands[d.id] for d in instance.demands),
    )
