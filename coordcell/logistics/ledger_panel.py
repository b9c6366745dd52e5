"""The ledger on a requirement's and a pledge's page: where each unit stands, with the plan
lines, shipments and discrepancies behind the figures, each as the reader may see it."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from coordcell.allocation.selectors import can_see_runs, committed_lines_visible_to
from coordcell.pledges.models import Pledge
from coordcell.registry.access import as_user
from coordcell.requirements.models import Requirement

from .ledger import figure, pledge_ledgers, requirement_ledgers
from .selectors import discrepancies_visible_to, shipments_visible_to

TEMPLATE = "logistics/ledger_panel.html"

REQUIREMENT_ROWS = (
    ("required", _("Required")),
    ("received_serviceable", _("Received serviceable")),
    ("in_transit", _("In transit")),
    ("allocated", _("Allocated, not shipped")),
    ("open", _("Open (the next plan's demand)")),
    ("received_damaged", _("Received damaged")),
    ("lost", _("Lost on the way")),
    ("written_off", _("Written off")),
    ("over_covered", _("Covered beyond the need")),
)
PLEDGE_ROWS = (
    ("offered", _("Offered")),
    ("allocated", _("Allocated, not shipped")),
    ("shipped", _("Shipped, in transit")),
    ("delivered", _("Delivered")),
    ("delivered_before", _("of which delivered before handover (history)")),
    ("lost", _("Lost on the way")),
    ("withdrawn", _("Withdrawn")),
    ("free", _("Free (the next plan's supply)")),
    ("released", _("Released again (cancelled, not loaded, re-planned)")),
    ("over_allocated", _("Allocated beyond the offer")),
)


def _rows(ledger: Any, rows: Any, keep: frozenset[str] | None = None) -> list[tuple[Any, Any]]:
    # The figures that are zero are left out, but for the totals every reader expects; those
    # that follow from an undisclosed quantity say so rather than a number.
    out: list[tuple[Any, Any]] = []
    for name, label in rows:
        if keep is not None and name not in keep:
            continue
        value = figure(ledger, name)
        if value is None:
            if name in ALWAYS_SHOWN:
                out.append((label, _("undisclosed")))
        elif value or name in ALWAYS_SHOWN:
            out.append((label, value))
    return out


ALWAYS_SHOWN = frozenset({"required", "offered", "open", "free"})


def requirement_ledger_panel(user: Any, requirement: Requirement) -> dict[str, Any] | None:
    u = as_user(user)
    if u is None:
        return None
    ledger = requirement_ledgers([requirement.pk])[requirement.pk]
    # A donor reads the need, not how other nations' deliveries cover it.
    keep = frozenset(requirement_ledger_fields(u))
    shipments = (
        shipments_visible_to(u)
        .filter(lines__requirement=requirement)
        .distinct()
        .order_by("reference")
    )
    return {
        "template": TEMPLATE,
        "title": _("Where the units stand"),
        "rows": _rows(ledger, REQUIREMENT_ROWS, keep),
        "lines": committed_lines_visible_to(u).filter(requirement=requirement).order_by("pk"),
        "link_runs": can_see_runs(u),
        "shipments": shipments[:50],
        "discrepancies": discrepancies_visible_to(u)
        .filter(line__requirement=requirement)
        .order_by("-recorded_at")[:50],
    }


def pledge_ledger_panel(user: Any, pledge: Pledge) -> dict[str, Any] | None:
    u = as_user(user)
    if u is None or not (u.sees_everything or u.is_donor_liaison):
        return None
    ledger = pledge_ledgers([pledge.pk])[pledge.pk]
    return {
        "template": TEMPLATE,
        "title": _("Where the units stand"),
        "rows": _rows(ledger, PLEDGE_ROWS),
        "lines": committed_lines_visible_to(u).filter(pledge=pledge).order_by("pk"),
        "link_runs": can_see_runs(u),
        "shipments": shipments_visible_to(u)
        .filter(lines__pledge=pledge)
        .distinct()
        .order_by("reference")[:50],
        "discrepancies": discrepancies_visible_to(u)
        .filter(line__pledge=pledge)
        .order_by("-recorded_at")[:50],
    }


def requirement_ledger_fields(user: Any) -> list[str]:
    """The figures of a requirement's ledger ``user`` reads: a donor the need and what is open,
    not how other nations' deliveries cover it."""
    u = as_user(user)
    if u is not None and u.is_donor_liaison:
        return ["required", "open"]
    return [name for name, _label in REQUIREMENT_ROWS]


def requirement_ledger_figures(user: Any, ids: list[int]) -> dict[int, dict[str, Any]]:
    """The ``ledger`` of each requirement (API, exports), as the reader may see it."""
    keep = requirement_ledger_fields(user)
    return {
        pk: {k: figure(ledger, k) for k in keep} for pk, ledger in requirement_ledgers(ids).items()
    }


def pledge_ledger_fields(user: Any) -> list[str]:
    return [name for name, _label in PLEDGE_ROWS]


def pledge_ledger_figures(user: Any, ids: list[int]) -> dict[int, dict[str, Any]]:
    """The ``ledger`` of each pledge (its readers: the cell and its own donor)."""
    keep = pledge_ledger_fields(user)
    return {pk: {k: figure(ledger, k) for k in keep} for pk, ledger in pledge_ledgers(ids).items()}


def ledger_by_category(
    user: Any, requirements: Any
) -> tuple[list[str], list[tuple[str, list[int]]]]:
    """The ledger summed per category over ``requirements`` (a queryset the reader sees, e.g.
    a report's scope): the figure names the reader reads, and a row per category."""
    keep = requirement_ledger_fields(user)
    names = dict(requirements.values_list("pk", "category__name"))
    totals: dict[str, list[int]] = {}
    for pk, ledger in requirement_ledgers(names).items():
        row = totals.setdefault(names[pk], [0] * len(keep))
        for n, key in enumerate(keep):
            row[n] += int(getattr(ledger, key))
    return keep, sorted(totals.items())
