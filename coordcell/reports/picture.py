"""The current picture for a user and a scope: the summary and the charts of the reports page and
the briefing.

One chart per question, each with its choice where one is needed instead of a chart per variant:

==================  ====================================================  ===============
slug                question                                              choice
==================  ====================================================  ===============
by-donor            where do each donor's units stand?                    unit of measure
by-month            when do pledged units become available?               unit of measure
committed-delivered how much of what each donor pledged is delivered?     unit of measure
value               what is it worth, per donor?                          basis, currency
fulfilment          how far is each priority met?                         unit of measure
hub-load            will a hub's weekly capacity hold? (cell, auditors)   hub
readiness           when is each capability package ready?                –
==================  ====================================================  ===============

Quantities are never added up across units of measure, values never across bases or currencies.
An empty chart says why (``Chart.empty_message``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _

from coordcell.registry.access import as_user

from . import figures
from .charts import Chart, bar_chart
from .delivered import delivered_chart
from .scope import Scope
from .summary import Summary, no_pledges, summary_for, unit_label


def stage_names() -> list[str]:
    return [_("Pledged"), _("Allocated"), _("Shipped"), _("Received")]


def _flow_chart(
    slug: str,
    title: str,
    rows: list[figures.FlowRow],
    header: str,
    note: str = "",
    empty_message: str = "",
    choice: str = "",
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
        empty_message=empty_message,
        choice=choice,
    )


def flow_charts(user: Any, scope: Scope, unit: str) -> list[Chart]:
    label = unit_label(unit)
    return [
        _flow_chart(
            "by-donor",
            _("Units by donor (%(unit)s)") % {"unit": label} if unit else _("Units by donor"),
            figures.flow_by(user, scope, "donor", unit),
            _("Donor"),
            empty_message=no_pledges(unit),
            choice="unit",
        ),
        _flow_chart(
            "by-month",
            _("Units by month available (%(unit)s)") % {"unit": label}
            if unit
            else _("Units by month available"),
            figures.flow_by(user, scope, "month", unit),
            _("Month"),
            empty_message=no_pledges(unit),
            choice="unit",
        ),
    ]


def value_chart(user: Any, scope: Scope) -> Chart | None:
    """Values per donor in one valuation basis and currency: the chosen one, else the one with
    the most donors. None for a reader who may not read values (the recipient)."""
    groups = figures.value_groups(user, scope)
    if not groups and not figures.can_read_values(user):
        return None
    chosen = next((g for g in groups if f"{g.basis}:{g.currency}" == scope.valuation), None)
    if chosen is None and groups:
        chosen = max(groups, key=lambda g: (len(g.rows), -groups.index(g)))
    if chosen is None:
        return _flow_chart(
            "value",
            _("Value by donor"),
            [],
            _("Donor"),
            empty_message=_(
                "No pledge in this scope has a value yet: a value is entered with its "
                "valuation basis and currency on the pledge."
            ),
            choice="valuation",
        )
    return _flow_chart(
        "value",
        _("Value by donor: %(basis)s, %(currency)s")
        % {"basis": chosen.basis_label, "currency": chosen.currency},
        chosen.rows,
        _("Donor"),
        note=_(
            "Only values of one valuation basis and one currency are added up: choose another "
            "above (%(n)s in this scope)."
        )
        % {"n": len(groups)},
        choice="valuation",
    )


def fulfilment_chart(user: Any, scope: Scope, unit: str) -> Chart:
    rows = figures.fulfilment_by_priority(user, scope, unit)
    names = [_("Required"), _("Allocated"), _("Shipped"), _("Received")]
    values = [
        [r.required for r in rows],
        [r.allocated for r in rows],
        [r.shipped for r in rows],
        [r.received for r in rows],
    ]
    label = unit_label(unit)
    return bar_chart(
        slug="fulfilment",
        title=_("Requirement fulfilment by priority (%(unit)s)") % {"unit": label}
        if unit
        else _("Requirement fulfilment by priority"),
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
        empty_message=_(
            "No requirement counted in %(unit)s in this scope: choose another unit of measure "
            "above, or register requirements."
        )
        % {"unit": label}
        if unit
        else _("No requirement in this scope yet: the recipient registers requirements first."),
        choice="unit",
    )


def hub_chart(user: Any, scope: Scope, today: dt.date) -> Chart | None:
    """The load of one hub, week by week, against its capacity: the chosen hub, else the one
    closest to (or most over) its capacity. None for those who do not see hub schedules."""
    u = as_user(user)
    if u is None or not u.sees_everything:
        return None  # hub schedules are the cell's planning picture
    hubs = figures.hub_load(user, scope, today=today)

    def busiest(h: figures.HubLoad) -> tuple[float, int]:
        ratios = [w.load / w.capacity if w.capacity else (2.0 if w.load else 0.0) for w in h.weeks]
        return (max(ratios, default=0.0), sum(w.load for w in h.weeks))

    hub = next((h for h in hubs if h.hub_id == scope.hub), None)
    if hub is None and hubs:
        hub = max(hubs, key=busiest)
    if hub is None:
        return bar_chart(
            slug="hub-load",
            title=_("Hub load vs capacity"),
            categories=[],
            series=[(_("Units leaving the hub (committed)"), [])],
            empty_message=_(
                "No hub has a weekly capacity or a committed load in the next weeks: record hub "
                "capacities and commit an allocation plan."
            ),
            choice="hub",
        )
    rows: list[list[object]] = []
    for w in hub.weeks:
        detail = "; ".join(
            f"{domain}: {load}/{cap}" for domain, (load, cap) in w.by_domain.items() if load
        )
        rows.append([w.monday.isoformat(), w.load, w.capacity, _("over") if w.over else "", detail])
    over = [h.hub for h in hubs if any(w.over for w in h.weeks)]
    note = _("A week is over capacity when any one domain is.")
    if over:
        note += " " + _("Over capacity in some week: %(hubs)s.") % {"hubs": ", ".join(over)}
    return bar_chart(
        slug="hub-load",
        title=_("Hub load vs capacity: %(hub)s") % {"hub": hub.hub},
        categories=[formats.date_format(w.monday, "j M") for w in hub.weeks],
        series=[(_("Units leaving the hub (committed)"), [w.load for w in hub.weeks])],
        markers=[w.capacity for w in hub.weeks],
        marker_label=_("Weekly capacity"),
        urls=[f"/logistics/hubs/{hub.hub_id}/" for _w in hub.weeks],
        table_headers=[
            _("Week (Monday)"),
            _("Load"),
            _("Capacity"),
            _("Over capacity"),
            _("By domain (load/capacity)"),
        ],
        table_rows=rows,
        note=note,
        choice="hub",
    )


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
    unit = scope.unit or figures.main_unit(user, scope)
    charts: list[Chart] = []
    charts += flow_charts(user, scope, unit)
    charts.append(delivered_chart(user, scope, unit))
    value = value_chart(user, scope)
    if value is not None:
        charts.append(value)
    if u.sees_everything or u.is_donor_liaison or u.is_recipient_liaison:
        charts.append(fulfilment_chart(user, scope, unit))
    hub = hub_chart(user, scope, today)
    if hub is not None:
        charts.append(hub)
    charts += readiness_charts(user, scope, today)
    return charts


@dataclass
class Report:
    """What the reports page and the briefing show: the summary, then the charts."""

    summary: Summary
    charts: list[Chart] = field(default_factory=list)


def report(user: Any, scope: Scope, *, today: dt.date | None = None) -> Report:
    today = today or dt.date.today()
    return Report(summary_for(user, scope, today), picture(user, scope, today=today))
