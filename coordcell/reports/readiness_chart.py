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
    from coordcell.readiness.selectors import packages_visible_to
    from coordcell.readiness.wording import Wording

    visible = packages_visible_to(user)
    if scope.coalition:
        visible = visible.filter(capability__coalition_id=scope.coalition.pk)
    packages = list(visible.order_by("ready_on", "reference")[:MAX_PACKAGES])
    words = Wording.for_page(user, packages)
    names = [_("End items"), _("Crews"), _("Sustainment")]
    spans: list[Span] = []
    rows: list[list[object]] = []
    for p in packages:
        # The component dates as this user may read them (another donor's delivery: none, the
        # recipient's: a week), never the stored ones.
        shown = words.part_dates(p)
        if p.ready_on:
            deciding = _deciding(p, shown)
            spans.append(Span(p.name, min(today, p.ready_on), p.ready_on, deciding, "/readiness/"))
        rows.append(
            [
                p.name,
                p.ready_on or _("no date"),
                *[d or "–" for d in shown],
                words.bottleneck(p),
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
            empty_message=_empty_message(packages),
        )
    ]


def _empty_message(packages: list[Any]) -> str:
    """Why the timeline has no bar: no package, or none with a readiness date yet."""
    if not packages:
        return _(
            "No capability package to show: the cell defines capability packages on the "
            "Readiness page, and each gets a date once a committed plan covers it."
        )
    return _(
        "No capability package has a readiness date yet: commit an allocation plan that "
        "covers their requirements and book their crews on courses."
    )


def _deciding(package: Any, shown: list[str]) -> int:
    """Which part the bar is coloured by: the one whose date is the package's (the readiness date
    is shown to all who see the package, so this names no hidden date)."""
    parts = package.components or {}
    ready = package.ready_on.isoformat()
    for i, name in enumerate(PARTS):
        if (parts.get(name) or {}).get("date") == ready:
            return i
    return 0


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
