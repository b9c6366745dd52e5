"""The current picture for a user and a scope: the charts of the reports page and the briefing."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _

from coordcell.registry.access import as_user

from . import figures
from .charts import Chart, bar_chart
from .delivered import delivered_chart
from .scope import Scope


def stage_names() -> list[str]:
    return [_("Pledged"), _("Allocated"), _("Shipped"), _("Received")]


def _flow_chart(
    slug: str, title: str, rows: list[figures.FlowRow], header: str, note: str = ""
) -> Chart:
    names = stage_names()
    return bar_chart(
        slug=slug,
        title=title,
        categories=[r.label for r in rows],
        series=[(names[i], [r.values()[i] for r in rows]) for i in range(4)],
        urls=[r.url for r in rows],
        first_header=header,
        note=note,
    )


def flow_charts(user: Any, scope: Scope) -> list[Chart]:
    charts = [
        _flow_chart(
            "by-donor", _("Units by donor"), figures.flow_by(user, scope, "donor"), _("Donor")
        ),
        _flow_chart(
            "by-domain",
            _("Units by category domain"),
            figures.flow_by(user, scope, "domain"),
            _("Domain"),
        ),
        _flow_chart(
            "by-month",
            _("Units by month available"),
            figures.flow_by(user, scope, "month"),
            _("Month"),
        ),
    ]
    for group in figures.value_groups(user, scope):
        charts.append(
            _flow_chart(
                f"value-{group.basis}-{group.currency}".lower(),
                _("Value by donor: %(basis)s, %(currency)s")
                % {"basis": group.basis_label, "currency": group.currency},
                group.rows,
                _("Donor"),
                note=_("Only values of one valuation basis and one currency are added up."),
            )
        )
    return charts


def fulfilment_chart(user: Any, scope: Scope) -> Chart:
    rows = figures.fulfilment_by_priority(user, scope)
    names = [_("Required"), _("Allocated"), _("Shipped"), _("Received")]
    values = [
        [r.required for r in rows],
        [r.allocated for r in rows],
        [r.shipped for r in rows],
        [r.received for r in rows],
    ]
    return bar_chart(
        slug="fulfilment",
        title=_("Requirement fulfilment by priority"),
        categories=[_("Priority %(p)s") % {"p": r.priority} for r in rows],
        series=list(zip(names, values, strict=True)),
        urls=[r.url for r in rows],
        table_headers=[_("Priority"), *names, _("Requirements"), _("Received share")],
        table_rows=[
            [
                _("Priority %(p)s") % {"p": r.priority},
                r.required,
                r.allocated,
                r.shipped,
                r.received,
                r.requirements,
                f"{r.received_share:.0%}",
            ]
            for r in rows
        ],
    )


def hub_charts(user: Any, scope: Scope, today: dt.date) -> list[Chart]:
    charts = []
    for hub in figures.hub_load(user, scope, today=today):
        weeks = hub.weeks
        rows: list[list[object]] = []
        for w in weeks:
            detail = "; ".join(
                f"{domain}: {load}/{cap}" for domain, (load, cap) in w.by_domain.items() if load
            )
            rows.append(
                [w.monday.isoformat(), w.load, w.capacity, _("over") if w.over else "", detail]
            )
        charts.append(
            bar_chart(
                slug=f"hub-{hub.hub_id}",
                title=_("Hub load vs capacity: %(hub)s") % {"hub": hub.hub},
                categories=[w.monday.strftime("%d %b") for w in weeks],
                series=[(_("Units leaving the hub (committed)"), [w.load for w in weeks])],
                markers=[w.capacity for w in weeks],
                marker_label=_("Weekly capacity"),
                urls=[f"/logistics/hubs/{hub.hub_id}/" for _w in weeks],
                table_headers=[
                    _("Week (Monday)"),
                    _("Load"),
                    _("Capacity"),
                    _("Over capacity"),
                    _("By domain (load/capacity)"),
                ],
                table_rows=rows,
                note=_("A week is over capacity when any one domain is."),
            )
        )
    return charts


def readiness_charts(user: Any, scope: Scope, today: dt.date) -> list[Chart]:
    """The readiness timeline, once coordcell.readiness provides its selectors."""
    from . import readiness_chart

    return readiness_chart.charts(user, scope, today)


def picture(user: Any, scope: Scope, *, today: dt.date | None = None) -> list[Chart]:
    """Every chart this user may see, in the order of the page and the briefing."""
    today = today or dt.date.today()
    u = as_user(user)
    if u is None:
        return []
    charts: list[Chart] = []
    charts += flow_charts(user, scope)
    charts.append(delivered_chart(user, scope))
    if u.sees_everything or u.is_donor_liaison or u.is_recipient_liaison:
        charts.append(fulfilment_chart(user, scope))
    charts += hub_charts(user, scope, today)
    charts += readiness_charts(user, scope, today)
    return charts
