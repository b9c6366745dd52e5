"""The summary that leads the reports page and opens the briefing: pledged vs delivered by donor
(per unit of measure), how much priority-1 demand the committed plan meets on time, and the five
top risks with their cause in words.

Every figure starts from the access functions (``pledges_visible_to``, ``shipments_visible_to``,
``discrepancies_visible_to``, ``packages_visible_to``...), so the summary says nothing its reader
could not find in the lists behind it. Quantities are never added up across units of measure, and
an undisclosed quantity is counted apart, never as 0.

**How risks are ranked** (docs/reports.md): a risk is a late shipment, a capability package that
will be ready after its requirements are needed (or has no readiness date), or a discrepancy not
yet resolved. They are ordered by the most urgent priority they touch (priority 1 first; a risk
touching no requirement last), then by how many days late they are (a shipment's days late, a
package's days between its earliest need-by date and its readiness date, a discrepancy's days past
its due date), then late shipments before packages before discrepancies, then by reference. The
first ``TOP_RISKS`` are shown.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Min, Q, Sum
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from coordcell.pledges.models import PledgeDelivery
from coordcell.registry.access import as_user
from coordcell.registry.models import ItemCategory
from coordcell.registry.templatetags.figures import day, number, qty
from coordcell.requirements.selectors import requirements_visible_to

from . import figures
from .scope import Scope

TOP_RISKS = 5
NO_PRIORITY = 99  # a risk that touches no requirement the reader sees ranks after priority 5
KIND_ORDER = {"shipment": 0, "package": 1, "discrepancy": 2}


def unit_label(unit: str) -> str:
    return str(ItemCategory.Unit(unit).label) if unit in ItemCategory.Unit.values else unit


def no_pledges(unit: str) -> str:
    if not unit:
        return _("No pledge in this scope yet: donors register pledges first (Pledges, New).")
    return _(
        "No pledge counted in %(unit)s in this scope: choose another unit of measure above."
    ) % {"unit": unit_label(unit)}


@dataclass
class DonorUnit:
    """One donor's pledges in one unit of measure: pledged and delivered, never mixed with
    another unit's."""

    donor_id: int
    donor: str
    unit: str
    pledges: int = 0
    pledged: int = 0  # disclosed quantities only
    undisclosed: int = 0  # pledges whose quantity is undisclosed
    delivered_before: int = 0  # the pledges' delivered history (disclosed)
    delivered_undisclosed: int = 0  # history entries without a number
    received: int = 0  # delivered through coordcell's shipments

    @property
    def unit_label(self) -> str:
        return unit_label(self.unit)

    @property
    def delivered(self) -> int:
        return self.delivered_before + self.received

    @property
    def share(self) -> float | None:
        """Delivered as a share of the disclosed pledged quantity (None: nothing disclosed)."""
        return self.delivered / self.pledged if self.pledged else None

    @property
    def share_percent(self) -> str:
        return "\u2014" if self.share is None else percent(self.share)


def pledged_vs_delivered(user: Any, scope: Scope) -> list[DonorUnit]:
    """Per donor nation the user sees and unit of measure, in the scope: pledges, pledged and
    delivered units (the pledges' delivered history plus received shipment lines: the ledger's
    *delivered*, logistics/ledger.py)."""
    pledges = figures.scoped_pledges(user, scope)
    rows: dict[tuple[int, str], DonorUnit] = {}
    for r in (
        pledges.values("donor_id", "donor__name", "category__unit")
        .annotate(
            n=Count("pk"),
            pledged=Sum("quantity"),
            undisclosed=Count("pk", filter=Q(quantity__isnull=True)),
        )
        .order_by("donor__name", "category__unit")
    ):
        rows[(r["donor_id"], r["category__unit"])] = DonorUnit(
            r["donor_id"],
            r["donor__name"],
            r["category__unit"],
            pledges=r["n"],
            pledged=r["pledged"] or 0,
            undisclosed=r["undisclosed"],
        )
    add_delivered(rows, user, scope, pledges, ("pledge__donor_id", "pledge__category__unit"))
    return list(rows.values())


def add_delivered(
    rows: dict[Any, Any], user: Any, scope: Scope, pledges: Any, fields: tuple[str, ...]
) -> None:
    """Add to each row what was delivered of ``pledges``: their delivery history
    (``delivered_before``, ``delivered_undisclosed``) and the lines of received shipments
    (``received``), grouped by ``fields`` (of the pledge: ``pledge__donor_id``...) and matched
    to ``rows`` by their values (one field: the value itself)."""

    def key(values: dict[str, Any]) -> Any:
        return values[fields[0]] if len(fields) == 1 else tuple(values[f] for f in fields)

    history = PledgeDelivery.objects.filter(pledge__in=pledges.values("pk"))
    for h in (
        history.values(*fields)
        .annotate(n=Sum("quantity"), undisclosed=Count("pk", filter=Q(quantity__isnull=True)))
        .order_by()
    ):
        row = rows.get(key(h))
        if row is not None:
            row.delivered_before += h["n"] or 0
            row.delivered_undisclosed += h["undisclosed"]
    lines = figures.scoped_shipment_lines(user, scope)
    if lines is not None:
        from coordcell.logistics.lifecycle import S

        for line in (
            lines.filter(shipment__status=S.RECEIVED)
            .values(*fields)
            .annotate(n=Sum("received_quantity"))
            .order_by()
        ):
            row = rows.get(key(line))
            if row is not None:
                row.received += line["n"] or 0


@dataclass
class PriorityMet:
    """How much of priority-1 demand the committed plan meets on time and late, as shares.

    Each requirement weighs the same (its share met on time, late, not covered), so that rounds
    and litres are never added up; requirements whose quantity is undisclosed are counted apart.
    For a donor liaison the plan is its own nation's committed lines only (``own_lines``)."""

    requirements: int = 0
    undisclosed: int = 0
    on_time: float = 0.0
    late: float = 0.0
    planned: bool = False  # a committed plan exists that the reader may count
    own_lines: bool = False

    @property
    def not_covered(self) -> float:
        return max(0.0, 1.0 - self.on_time - self.late)

    @property
    def on_time_percent(self) -> str:
        return percent(self.on_time)

    @property
    def late_percent(self) -> str:
        return percent(self.late)

    @property
    def not_covered_percent(self) -> str:
        return percent(self.not_covered)

    @property
    def sentence(self) -> str:
        return p1_sentence(self)


def p1_met(user: Any, scope: Scope) -> PriorityMet:
    u = as_user(user)
    reqs = scope.requirements(requirements_visible_to(user)).filter(
        priority=1, cancelled_at__isnull=True
    )
    result = PriorityMet(own_lines=bool(u and u.is_donor_liaison))
    result.undisclosed = reqs.filter(quantity__isnull=True).count()
    required = dict(reqs.filter(quantity__gt=0).values_list("pk", "quantity").order_by("pk"))
    result.requirements = len(required)
    lines = figures.requirement_rows(figures.committed_lines_for(user), user, scope)
    if scope.donor:
        lines = lines.filter(pledge__donor_id=scope.donor.pk)
    result.planned = lines.exists()
    if not required:
        return result
    on_time: dict[int, int] = defaultdict(int)
    late: dict[int, int] = defaultdict(int)
    for r in (
        lines.filter(requirement__priority=1)
        .values("requirement_id")
        .annotate(
            on_time=Sum("quantity", filter=Q(weeks_late=0)),
            late=Sum("quantity", filter=Q(weeks_late__gt=0)),
        )
        .order_by()
    ):
        on_time[r["requirement_id"]] = r["on_time"] or 0
        late[r["requirement_id"]] = r["late"] or 0
    share_on_time = share_late = 0.0
    for pk, need in required.items():
        met = min(need, on_time[pk])
        share_on_time += met / need
        share_late += min(need - met, late[pk]) / need
    result.on_time = share_on_time / len(required)
    result.late = share_late / len(required)
    return result


@dataclass(frozen=True)
class Risk:
    kind: str  # "shipment", "package" or "discrepancy"
    reference: str
    text: str  # the cause in words, as this reader may read it
    url: str
    priority: int = NO_PRIORITY
    days: int = 0

    @property
    def rank_key(self) -> tuple[int, int, int, str]:
        return (self.priority, -self.days, KIND_ORDER[self.kind], self.reference)


def _requirements_phrase(n: int, priority: int) -> str:
    if not n:
        return _("no requirement you see")
    return ngettext(
        "%(n)s requirement of priority %(p)s",
        "%(n)s requirements of priority %(p)s",
        n,
    ) % {"n": n, "p": priority}


def late_shipment_risks(user: Any, scope: Scope, today: dt.date) -> list[Risk]:
    """Late shipments whose times the reader may read (the cell, auditors, a donor its own): the
    recipient is told an ETA week, not whether a shipment runs late."""
    if not figures.logistics_installed():
        return []
    from coordcell.logistics.models import ShipmentLine
    from coordcell.logistics.selectors import (
        days_late,
        late_shipments,
        sees_routes_of_all,
        shipments_visible_to,
    )

    if not sees_routes_of_all(user):
        return []
    late = late_shipments(shipments_visible_to(user), today)
    if scope.donor:
        late = late.filter(donor_id=scope.donor.pk)
    shipments = list(late.order_by("next_due", "pk")[:200])
    touched: dict[int, tuple[int, int]] = {}
    for r in (
        figures.within(
            ShipmentLine.objects.filter(shipment__in=[s.pk for s in shipments]),
            "requirement",
            requirements_visible_to(user),
        )
        .values("shipment_id")
        .annotate(p=Min("requirement__priority"))
        .order_by()
    ):
        touched[r["shipment_id"]] = (r["p"], 0)
    counts = dict(
        ShipmentLine.objects.filter(shipment__in=[s.pk for s in shipments])
        .filter(requirement__priority=1)
        .values("shipment_id")
        .annotate(n=Count("requirement", distinct=True))
        .values_list("shipment_id", "n")
        .order_by()
    )
    risks = []
    for s in shipments:
        days = days_late(s, today)
        priority = touched.get(s.pk, (NO_PRIORITY, 0))[0]
        late_words = ngettext("%(n)s day late", "%(n)s days late", days) % {"n": days}
        if priority == NO_PRIORITY:
            carries = _("it carries nothing for a requirement you see")
        else:
            n = counts.get(s.pk, 0) if priority == 1 else 0
            carries = (
                _("it carries units for %(what)s") % {"what": _requirements_phrase(n, 1)}
                if n
                else _("its most urgent requirement is of priority %(p)s") % {"p": priority}
            )
        risks.append(
            Risk(
                "shipment",
                s.reference,
                _("Late shipment %(ref)s (%(donor)s) is %(late)s: %(carries)s.")
                % {
                    "ref": s.reference,
                    "donor": s.donor.name,
                    "late": late_words,
                    "carries": carries,
                },
                f"/logistics/shipments/{s.pk}/",
                priority,
                days,
            )
        )
    return risks


def package_risks(user: Any, scope: Scope, today: dt.date) -> list[Risk]:
    """Capability packages that will be ready after their earliest need-by date, or that have no
    readiness date while their requirements are needed; the cause as the reader may read it."""
    from . import readiness_chart

    if not readiness_chart.installed():
        return []
    from coordcell.readiness.selectors import packages_visible_to
    from coordcell.readiness.wording import Wording

    visible = packages_visible_to(user)
    if scope.coalition:
        visible = visible.filter(capability__coalition_id=scope.coalition.pk)
    packages = list(
        visible.annotate(
            need=Min("items__requirement__need_by"),
            priority=Min("items__requirement__priority"),
        )
        .filter(need__isnull=False)
        .order_by("pk")
    )
    at_risk = [
        p for p in packages if p.ready_on is None or (p.need is not None and p.ready_on > p.need)
    ]
    if not at_risk:
        return []
    words = Wording.for_page(user, at_risk)
    risks = []
    for p in at_risk:
        cause = words.bottleneck(p) or (
            _("its cause is not shown to your role")
            if p.bottleneck
            else _("nothing committed covers it yet")
        )
        if p.ready_on is None:
            days = max(0, (today - p.need).days)
            text = _(
                "Capability package %(name)s has no readiness date; needed from %(need)s: "
                "%(cause)s."
            ) % {"name": p.name, "need": day(p.need), "cause": cause}
        else:
            days = (p.ready_on - p.need).days
            text = _(
                "Capability package %(name)s will be ready on %(ready)s, %(late)s after it is "
                "needed (%(need)s): %(cause)s."
            ) % {
                "name": p.name,
                "ready": day(p.ready_on),
                "late": ngettext("%(n)s day", "%(n)s days", days) % {"n": days},
                "need": day(p.need),
                "cause": cause,
            }
        risks.append(
            Risk(
                "package", p.reference, text, f"/readiness/{p.pk}/", p.priority or NO_PRIORITY, days
            )
        )
    return risks


def discrepancy_risks(user: Any, scope: Scope, today: dt.date) -> list[Risk]:
    """Discrepancies not yet resolved that the reader sees; where they were found is left out
    (it is the route)."""
    if not figures.logistics_installed():
        return []
    from coordcell.logistics.selectors import UNRESOLVED, discrepancies_visible_to

    qs = discrepancies_visible_to(user).filter(status__in=UNRESOLVED)
    if scope.donor:
        qs = qs.filter(shipment__donor_id=scope.donor.pk)
    found = list(
        qs.select_related("line__requirement", "line__category").order_by("due_on", "pk")[:200]
    )
    ids = {d.line.requirement_id for d in found if d.line is not None}
    visible = set(
        requirements_visible_to(user).filter(pk__in=sorted(ids)).values_list("pk", flat=True)
    )
    risks = []
    for d in found:
        priority = NO_PRIORITY
        if d.line is not None and d.line.requirement_id in visible:
            priority = d.line.requirement.priority
        days = max(0, (today - d.due_on).days)
        what = d.get_kind_display()
        if d.quantity and d.line is not None:
            what = _("%(kind)s, %(qty)s of %(category)s") % {
                "kind": what,
                "qty": qty(d.quantity, d.line.category.unit),
                "category": d.line.category.name,
            }
        due = (
            ngettext("overdue by %(n)s day", "overdue by %(n)s days", days) % {"n": days}
            if days
            else _("due on %(date)s") % {"date": day(d.due_on)}
        )
        risks.append(
            Risk(
                "discrepancy",
                d.shipment.reference,
                _("Open discrepancy on shipment %(ref)s (%(what)s), %(due)s.")
                % {"ref": d.shipment.reference, "what": what, "due": due},
                f"/discrepancies/{d.pk}/",
                priority,
                days,
            )
        )
    return risks


def top_risks(user: Any, scope: Scope, today: dt.date, n: int = TOP_RISKS) -> list[Risk]:
    """The ``n`` first risks by the rule in this module's docstring."""
    risks = [
        *late_shipment_risks(user, scope, today),
        *package_risks(user, scope, today),
        *discrepancy_risks(user, scope, today),
    ]
    return sorted(risks, key=lambda r: r.rank_key)[:n]


@dataclass
class Summary:
    by_donor: list[DonorUnit] = field(default_factory=list)
    p1: PriorityMet = field(default_factory=PriorityMet)
    risks: list[Risk] = field(default_factory=list)

    @property
    def units(self) -> list[str]:
        """The units of measure the summary counts in, in order of first appearance."""
        return list(dict.fromkeys(r.unit for r in self.by_donor))


def summary_for(user: Any, scope: Scope, today: dt.date) -> Summary:
    if as_user(user) is None:
        return Summary()
    return Summary(
        by_donor=pledged_vs_delivered(user, scope),
        p1=p1_met(user, scope),
        risks=top_risks(user, scope, today),
    )


def percent(share: float) -> str:
    """A share as a whole percentage in the language's number format ("93%")."""
    return f"{number(round(share * 100))}%"


def p1_sentence(p1: PriorityMet) -> str:
    """The P1 figure in words, the same on the page and in the briefing."""
    if not p1.requirements:
        return _("No priority-1 requirement with a known quantity in this scope.")
    if not p1.planned:
        return _(
            "No committed plan yet: commit an allocation plan to see how much priority-1 "
            "demand it meets on time."
        )
    template = (
        _(
            "Your nation's committed plan lines meet %(on_time)s of priority-1 demand on time "
            "and %(late)s late; %(open)s is not covered by them (%(n)s requirements, each "
            "weighing the same)."
        )
        if p1.own_lines
        else _(
            "The committed plan meets %(on_time)s of priority-1 demand on time and %(late)s "
            "late; %(open)s is not covered (%(n)s requirements, each weighing the same)."
        )
    )
    return template % {
        "on_time": percent(p1.on_time),
        "late": percent(p1.late),
        "open": percent(p1.not_covered),
        "n": p1.requirements,
    }
