"""The readiness timeline (Gantt-like) of capability packages, through the readiness selectors."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.apps import apps
from django.utils.translation import gettext as _

from .charts import Chart, Span, gantt_chart
from .scope import Scope

MAX_PACKAGES = 40
PARTS = ("end items", "crews", "sustainment")


def installed() -> bool:
    return apps.is_installed("coordcell.readiness")


def charts(user: Any, scope: Scope, today: dt.date) -> list[Chart]:
    if not installed():
        return []
    from coordcell.readiness.selectors import bottleneck_for, packages_visible_to

    packages = packages_visible_to(user)
    if scope.coalition:
        packages = packages.filter(capability__coalition_id=scope.coalition.pk)
    packages = list(packages.order_by("ready_on", "reference")[:MAX_PACKAGES])
    if not packages:
        return []
    names = [_("End items"), _("Crews"), _("Sustainment")]
    spans, rows = [], []
    for p in packages:
        parts = p.components or {}
        dates = [_date((parts.get(name) or {}).get("date")) for name in PARTS]
        if p.ready_on:
            deciding = max((i for i, d in enumerate(dates) if d), key=lambda i: dates[i], default=0)
            spans.append(Span(p.name, min(today, p.ready_on), p.ready_on, deciding, "/readiness/"))
        rows.append(
            [
                p.name,
                p.ready_on or _("no date"),
                *[d or "–" for d in dates],
                bottleneck_for(user, p),
            ]
        )
    return [
        gantt_chart(
            slug="readiness",
            title=_("Readiness timeline"),
            spans=spans,
            series=names,
            headers=[_("Package"), _("Ready on"), *names, _("Bottleneck")],
            rows=rows,
            today=today,
        )
    ]


def _date(value: Any) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def moved_since(user: Any, since: dt.date) -> int:
    """Packages whose readiness date changed since ``since`` (a Monday)."""
    if not installed():
        return 0
    from coordcell.readiness.selectors import changes_visible_to

    return (
        changes_visible_to(user)
        .filter(at__date__gte=since)
        .exclude(before_date=None, after_date=None)
        .values("package_id")
        .distinct()
        .count()
    )
