"""Reads of hub capacities: who sees and changes them, and a hub's capacity week by week.

A hub's throughput is route information (docs/security.md): the cell's coordinators keep it,
auditors read it, no other role sees it at all.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet

from .access import as_user
from .models import HubCapacity

WEEK = dt.timedelta(weeks=1)


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def hub_capacities_visible_to(user: Any) -> QuerySet[HubCapacity]:
    u = as_user(user)
    qs = HubCapacity.objects.select_related("hub", "created_by")
    return qs if u is not None and u.sees_everything else qs.none()


def can_see_hub_capacities(user: Any) -> bool:
    u = as_user(user)
    return bool(u and u.sees_everything)


def can_change_hub_capacity(user: Any, capacity: HubCapacity | None = None) -> bool:
    """Only the cell's coordinators keep hub capacities (auditors read them)."""
    u = as_user(user)
    return bool(u and u.is_coordinator)


def _width(row: HubCapacity) -> float:
    if row.valid_until is None:
        return float("inf")
    return float((monday_of(row.valid_until) - row.valid_from).days)


def precedence(row: HubCapacity) -> tuple[float, int, int]:
    """Sort key: the first row of a week's covering rows gives its capacity. The narrowest row
    wins; between rows as narrow, the later start, then the later-made row."""
    return (_width(row), -row.valid_from.toordinal(), -(row.pk or 0))


def covers(row: HubCapacity, monday: dt.date) -> bool:
    return row.valid_from <= monday and (row.valid_until is None or monday <= row.valid_until)


def hub_capacity_by_week(
    *, start: dt.date, weeks: int, hub_ids: Iterable[int] | None = None
) -> dict[tuple[int, str], list[int]]:
    """(hub id, domain) -> the capacity of each of the ``weeks`` weeks from the Monday
    ``start`` (a later day stands for its week's Monday).

    Only hubs and domains with a capacity row appear; a week no row covers has capacity 0, like
    a missing key (the allocation solver's rule)."""
    start = monday_of(start)
    end = start + weeks * WEEK
    rows = HubCapacity.objects.filter(valid_from__lt=end).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=start)
    )
    keys = HubCapacity.objects.all()
    if hub_ids is not None:
        ids = list(hub_ids)
        rows, keys = rows.filter(hub_id__in=ids), keys.filter(hub_id__in=ids)
    by_key: dict[tuple[int, str], list[HubCapacity]] = defaultdict(list)
    for row in rows.order_by():
        by_key[(row.hub_id, row.domain)].append(row)
    result: dict[tuple[int, str], list[int]] = {
        key: [0] * weeks for key in keys.order_by().values_list("hub_id", "domain").distinct()
    }
    mondays = [start + n * WEEK for n in range(weeks)]
    for key, candidates in by_key.items():
        candidates.sort(key=precedence)
        figures = result.setdefault(key, [0] * weeks)
        for n, monday in enumerate(mondays):
            winner = next((r for r in candidates if covers(r, monday)), None)
            figures[n] = winner.weekly_capacity if winner is not None else 0
    return result


def capacity_ids_of_hub_ever(hub_id: int) -> set[str]:
    """A hub's capacity rows, those deleted since included (their creation names the hub):
    whose history the hub's page shows."""
    from coordcell.audit.models import AuditEvent

    created = AuditEvent.objects.filter(
        target_type=HubCapacity._meta.label_lower, data__after__hub_id=hub_id
    ).values_list("target_id", flat=True)
    current = HubCapacity.objects.filter(hub_id=hub_id).values_list("pk", flat=True)
    return {*created, *(str(pk) for pk in current)}


def capacity_rows_of_hub(hub_id: int) -> dict[str, list[HubCapacity]]:
    """A hub's capacity rows per domain, the standing row first, then by first week."""
    rows: dict[str, list[HubCapacity]] = defaultdict(list)
    for row in (
        HubCapacity.objects.filter(hub_id=hub_id)
        .select_related("created_by")
        .order_by("domain", "valid_from", "pk")
    ):
        rows[row.domain].append(row)
    return dict(rows)
