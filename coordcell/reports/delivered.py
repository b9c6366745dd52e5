"""Committed vs delivered per donor nation: the figures a donation tracker totals, so that a
cell that took one over can check that coordcell reproduces the source's own sums.

Committed units add up the disclosed quantities of the pledges in scope; pledges whose quantity
is undisclosed are counted apart ("n undisclosed"), never as 0 or 1. Delivered units are the
pledges' delivered history (delivered before handover) plus what coordcell's shipments
delivered (received quantities)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import figures
from .charts import Chart, bar_chart
from .scope import Scope
from .summary import add_delivered, no_pledges, pledged_vs_delivered, unit_label


@dataclass
class DonorDelivered:
    donor_id: int
    donor: str
    pledges: int = 0
    committed: int = 0  # disclosed quantities only
    undisclosed: int = 0  # pledges whose quantity is undisclosed
    delivered_before: int = 0  # the pledges' delivered history
    delivered_undisclosed: int = 0  # history entries without a number
    received: int = 0  # delivered through coordcell's shipments

    @property
    def delivered(self) -> int:
        return self.delivered_before + self.received


def committed_vs_delivered(user: Any, scope: Scope) -> list[DonorDelivered]:
    """Per donor nation the user sees (``pledges_visible_to``: a donor liaison its own), in
    the scope: pledges, committed and delivered units."""
    pledges = figures.scoped_pledges(user, scope)
    rows: dict[int, DonorDelivered] = {}
    for r in (
        pledges.values("donor_id", "donor__name")
        .annotate(
            n=Count("pk"),
            committed=Sum("quantity"),
            undisclosed=Count("pk", filter=Q(quantity__isnull=True)),
        )
        .order_by("donor__name")
    ):
        rows[r["donor_id"]] = DonorDelivered(
            r["donor_id"],
            r["donor__name"],
            pledges=r["n"],
            committed=r["committed"] or 0,
            undisclosed=r["undisclosed"],
        )
    add_delivered(rows, user, scope, pledges, ("pledge__donor_id",))
    return list(rows.values())


def headers() -> list[str]:
    # The chart's two series first: the workbook's chart reads the columns after the donor.
    return [
        _("Donor"),
        _("Committed units"),
        _("Delivered units"),
        _("Pledges"),
        _("Undisclosed quantities"),
        _("Delivered before handover"),
        _("Delivered through coordcell"),
    ]


def _undisclosed(n: int) -> str:
    if not n:
        return ""
    return ngettext("%(n)s row undisclosed", "%(n)s rows undisclosed", n) % {"n": n}


def delivered_chart(user: Any, scope: Scope, unit: str = "") -> Chart:
    """Committed vs delivered per donor, in one unit of measure (``unit``; all units only when
    the scope holds one)."""
    rows = [r for r in pledged_vs_delivered(user, scope) if not unit or r.unit == unit]
    label = unit_label(unit)
    return bar_chart(
        slug="committed-delivered",
        title=_("Committed vs delivered by donor (%(unit)s)") % {"unit": label}
        if unit
        else _("Committed vs delivered by donor"),
        categories=[r.donor for r in rows],
        series=[
            (_("Committed units"), [r.pledged for r in rows]),
            (_("Delivered units"), [r.delivered for r in rows]),
        ],
        urls=[f"/pledges/?donor={r.donor_id}" for r in rows],
        note=_(
            "Committed units add up disclosed quantities only; pledges whose quantity is "
            "undisclosed are counted apart. Delivered: the pledges' delivered history plus "
            "what coordcell's shipments delivered."
        ),
        table_headers=headers(),
        table_rows=[
            [
                r.donor,
                r.pledged,
                r.delivered,
                r.pledges,
                _undisclosed(r.undisclosed),
                r.delivered_before
                if not r.delivered_undisclosed
                else f"{r.delivered_before} (+{_undisclosed(r.delivered_undisclosed)})",
                r.received,
            ]
            for r in rows
        ],
        empty_message=no_pledges(unit),
        choice="unit",
    )
