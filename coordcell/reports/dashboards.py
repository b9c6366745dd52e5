"""The home dashboard of each role: the few figures it acts on, each linked to the list behind it.

coordinator          what is late, and what it puts at risk
donor liaison        what happened to what we gave
recipient liaison    what arrives this week, and which capabilities are getting ready
training-site officer  sessions with empty seats
auditor              recent audit events and the chain head
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db.models import Count, F, IntegerField, Q, Sum
from django.utils.translation import gettext as _

from coordcell.allocation.models import AllocationRun
from coordcell.allocation.selectors import runs_visible_to
from coordcell.audit.selectors import audit_events_visible_to
from coordcell.audit.services import current_head
from coordcell.pledges.models import Pledge
from coordcell.pledges.selectors import pledges_visible_to
from coordcell.registry.models import ItemCategory, Role, User
from coordcell.requirements.models import Requirement
from coordcell.requirements.selectors import requirements_visible_to

from . import figures
from .picture import _flow_chart
from .scope import Scope

LOOKAHEAD_WEEKS = 4


@dataclass
class Figure:
    label: str
    value: int | str
    url: str
    tone: str = ""  # "alert" draws the eye; "" is neutral
    hint: str = ""


@dataclass
class Panel:
    """A short table under the figures, with a link to the full list."""

    title: str
    headers: list[str]
    rows: list[list[Any]]
    urls: list[str] = field(default_factory=list)
    more_url: str = ""
    empty: str = ""

    @property
    def items(self) -> list[tuple[str, list[Any]]]:
        urls = self.urls or [""] * len(self.rows)
        return list(zip(urls, self.rows, strict=False))


@dataclass
class Dashboard:
    question: str
    figures: list[Figure] = field(default_factory=list)
    panels: list[Panel] = field(default_factory=list)
    charts: list[Any] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _monday(today: dt.date) -> dt.date:
    return today - dt.timedelta(days=today.weekday())


def _late(user: User, today: dt.date) -> Any:
    from coordcell.logistics.selectors import late_shipments, shipments_visible_to

    return late_shipments(shipments_visible_to(user), today)


def coordinator(user: User, today: dt.date) -> Dashboard:
    board = Dashboard(_("What is late, and what does it put at risk?"))
    reqs = requirements_visible_to(user)
    soon = today + dt.timedelta(weeks=LOOKAHEAD_WEEKS)
    p1 = reqs.filter(status__in=Requirement.UNMET, priority=1).aggregate(
        n=Count("pk"), soon=Count("pk", filter=Q(need_by__lte=soon))
    )
    board.figures.append(
        Figure(
            _("Unmet priority-1 requirements"),
            p1["n"],
            "/requirements/?unmet=true&priority=1",
            "alert" if p1["n"] else "",
        )
    )
    board.figures.append(
        Figure(
            _("… of them needed within %(weeks)s weeks") % {"weeks": LOOKAHEAD_WEEKS},
            p1["soon"],
            f"/requirements/?unmet=true&priority=1&need_by_before={soon.isoformat()}",
            "alert" if p1["soon"] else "",
        )
    )
    pledges = pledges_visible_to(user).filter(status=Pledge.Status.CONFIRMED)
    unallocated = pledges.filter(allocated_quantity__lt=F("quantity")).aggregate(
        n=Count("pk"), units=Sum(F("quantity") - F("allocated_quantity"))
    )
    board.figures.append(
        Figure(
            _("Confirmed pledges not yet fully allocated"),
            unallocated["n"],
            "/reports/lists/unallocated-pledges/",
            hint=_("%(units)s units") % {"units": unallocated["units"] or 0},
        )
    )
    offered = pledges_visible_to(user).filter(status=Pledge.Status.OFFERED).count()
    board.figures.append(
        Figure(_("Pledges offered, awaiting confirmation"), offered, "/pledges/?status=offered")
    )
    solved = (
        runs_visible_to(user)
        .filter(status=AllocationRun.Status.SOLVED, kind=AllocationRun.Kind.PLAN)
        .count()
    )
    board.figures.append(Figure(_("Allocation plans awaiting review"), solved, "/allocation/"))
    if figures.logistics_installed():
        _coordinator_logistics(user, today, board)
        _discrepancy_figures(user, today, board)
    else:
        board.notes.append(_("Shipments are not tracked in this installation."))
    _readiness_figures(user, today, board)
    top = reqs.filter(status__in=Requirement.UNMET, priority=1).order_by("need_by", "pk")[:8]
    board.panels.append(
        Panel(
            _("Unmet priority-1 requirements, soonest first"),
            [_("Requirement"), _("Category"), _("Quantity"), _("Need by"), _("Capability")],
            [
                [
                    r.reference,
                    r.category.name,
                    r.get_quantity_display(),
                    r.need_by,
                    r.capability.name,
                ]
                for r in top
            ],
            [f"/requirements/{r.pk}/" for r in top],
            "/requirements/?unmet=true&priority=1&sort=need_by",
            _("No unmet priority-1 requirement."),
        )
    )
    return board


def _coordinator_logistics(user: User, today: dt.date, board: Dashboard) -> None:
    from coordcell.logistics.models import ShipmentLine
    from coordcell.logistics.selectors import days_late

    late = _late(user, today)
    at_risk = ShipmentLine.objects.filter(shipment__in=late.values("pk")).aggregate(
        reqs=Count("requirement", distinct=True),
        p1=Count("requirement", distinct=True, filter=Q(requirement__priority=1)),
    )
    count = late.count()
    board.figures.insert(
        0, Figure(_("Late shipments"), count, "/logistics/delays/", "alert" if count else "")
    )
    board.figures.insert(
        1,
        Figure(
            _("Requirements they put at risk"),
            at_risk["reqs"],
            "/logistics/delays/",
            "alert" if at_risk["p1"] else "",
            _("%(n)s of priority 1") % {"n": at_risk["p1"]},
        ),
    )
    worst = list(late.select_related("donor", "delivery_point").order_by("next_due", "pk")[:8])
    p1_by_shipment = dict(
        ShipmentLine.objects.filter(shipment__in=[s.pk for s in worst], requirement__priority=1)
        .values("shipment_id")
        .annotate(n=Count("requirement", distinct=True))
        .values_list("shipment_id", "n")
    )
    board.panels.insert(
        0,
        Panel(
            _("Late shipments"),
            [_("Shipment"), _("Donor"), _("Status"), _("Days late"), _("Priority-1 requirements")],
            [
                [
                    s.reference,
                    s.donor.code,
                    s.get_status_display(),
                    days_late(s, today),
                    p1_by_shipment.get(s.pk, 0),
                ]
                for s in worst
            ],
            [f"/logistics/shipments/{s.pk}/" for s in worst],
            "/logistics/delays/",
            _("Nothing is late."),
        ),
    )


def _discrepancy_figures(user: User, today: dt.date, board: Dashboard) -> None:
    """Discrepancies not yet resolved, and those past their due date, that the user may see."""
    from coordcell.logistics.selectors import discrepancy_counts

    counts = discrepancy_counts(user, today)
    board.figures += [
        Figure(
            _("Open discrepancies"), counts["open"], "/discrepancies/?state=unresolved&sort=due_on"
        ),
        Figure(
            _("… of them overdue"),
            counts["overdue"],
            "/discrepancies/?overdue=1&sort=due_on",
            "alert" if counts["overdue"] else "",
        ),
    ]


def _readiness_figures(user: User, today: dt.date, board: Dashboard) -> None:
    """Readiness dates that moved this week (when coordcell.readiness is installed)."""
    from . import readiness_chart

    if not readiness_chart.installed():
        return
    moved = readiness_chart.moved_since(user, _monday(today))
    board.figures.append(
        Figure(_("Readiness dates moved this week"), moved, "/readiness/", "alert" if moved else "")
    )


def _totals_by_unit(user: User, scope: Scope) -> list[str]:
    """Pledged, allocated, shipped and received, each summed within one unit of measure only
    ("1,200 round · 4 system"): rounds, litres and tanks never add up."""
    from coordcell.registry.templatetags.figures import qty

    per_unit = figures.flow_by_unit(user, scope)
    units = sorted(per_unit)
    return [
        " · ".join(qty(int(per_unit[u][i]), u) for u in units) if units else "0" for i in range(4)
    ]


def donor(user: User, today: dt.date) -> Dashboard:
    nation = user.nation
    assert nation is not None  # dashboard_for gives none to a liaison without a nation
    board = Dashboard(_("What happened to what we gave?"))
    scope = Scope(donor=nation)
    totals = _totals_by_unit(user, scope)
    board.figures += [
        Figure(_("Units pledged"), totals[0], "/pledges/"),
        Figure(_("Units allocated"), totals[1], "/allocation/committed/"),
    ]
    if figures.logistics_installed():
        board.figures += [
            Figure(_("Units shipped"), totals[2], "/logistics/"),
            Figure(_("Units received"), totals[3], "/logistics/?status=received"),
        ]
        late = _late(user, today).filter(donor_id=user.nation_id).count()
        board.figures.append(
            Figure(
                _("Late shipments"),
                late,
                f"/logistics/donors/{nation.code}/late/",
                "alert" if late else "",
            )
        )
        _discrepancy_figures(user, today, board)
    unallocated = (
        pledges_visible_to(user)
        .filter(status=Pledge.Status.CONFIRMED, allocated_quantity__lt=F("quantity"))
        .count()
    )
    board.figures.append(
        Figure(
            _("Confirmed pledges not yet fully allocated"),
            unallocated,
            "/reports/lists/unallocated-pledges/",
        )
    )
    offered = pledges_visible_to(user).filter(status=Pledge.Status.OFFERED).count()
    board.figures.append(
        Figure(_("Pledges offered, awaiting confirmation"), offered, "/pledges/?status=offered")
    )
    unit = figures.main_unit(user, scope)  # one unit per chart: rounds and litres never add up
    rows = figures.flow_by(user, scope, "domain", unit=unit)
    title = _("Our units by category domain")
    if unit:
        title = f"{title} ({ItemCategory.Unit(unit).label})"
    board.charts.append(_flow_chart("home-by-domain", title, rows, _("Domain")))
    for group in figures.value_groups(user, scope):
        total = [sum(r.values()[i] for r in group.rows) for i in range(4)]
        board.panels.append(
            Panel(
                _("Value: %(basis)s, %(currency)s")
                % {"basis": group.basis_label, "currency": group.currency},
                [_("Pledged"), _("Allocated"), _("Shipped"), _("Received")],
                [[figures.money(v) for v in total]],
                [""],
                "/reports/",
            )
        )
    return board


def recipient(user: User, today: dt.date) -> Dashboard:
    board = Dashboard(_("What arrives this week, and which capabilities are getting ready?"))
    monday = _monday(today)
    sunday = monday + dt.timedelta(days=6)
    if figures.logistics_installed():
        from coordcell.logistics.lifecycle import IN_PROGRESS, S
        from coordcell.logistics.selectors import eta_window, shipments_visible_to

        shipments = shipments_visible_to(user)
        arriving = shipments.filter(status__in=IN_PROGRESS, eta__range=(monday, sunday))
        handed = shipments.filter(status=S.HANDED_OVER).count()
        board.figures += [
            Figure(
                _("Shipments arriving this week"),
                arriving.count(),
                "/reports/lists/arriving-this-week/",
            ),
            Figure(
                _("Handed over, awaiting your receipt"),
                handed,
                "/logistics/?status=handed_over",
                "alert" if handed else "",
            ),
        ]
        _discrepancy_figures(user, today, board)
        # By reference, not by ETA: the order would rank them by the exact plan the window hides.
        first = list(arriving.order_by("reference", "pk")[:8])
        board.panels.append(
            Panel(
                _("Arriving this week"),
                [_("Shipment"), _("Delivery point"), _("Status"), _("Expected (window)")],
                [
                    [
                        s.reference,
                        s.delivery_point.name,
                        s.get_status_display(),
                        " – ".join(d.isoformat() for d in (eta_window(s) or ())),
                    ]
                    for s in first
                ],
                [f"/logistics/shipments/{s.pk}/" for s in first],
                "/reports/lists/arriving-this-week/",
                _("Nothing is expected this week."),
            )
        )
    reqs = requirements_visible_to(user)
    open_p1 = reqs.filter(status__in=Requirement.UNMET, priority=1).count()
    board.figures.append(
        Figure(
            _("Open priority-1 requirements"),
            open_p1,
            "/requirements/?unmet=true&priority=1",
            "alert" if open_p1 else "",
        )
    )
    board.panels.append(_capability_panel(user))
    _readiness_figures(user, today, board)
    _readiness_panel(user, board)
    return board


def _readiness_panel(user: User, board: Dashboard) -> None:
    """The next capability packages to become ready (when coordcell.readiness is installed)."""
    from . import readiness_chart

    if not readiness_chart.installed():
        return
    from coordcell.readiness.selectors import packages_visible_to
    from coordcell.readiness.wording import Wording

    packages = list(
        packages_visible_to(user).filter(ready_on__isnull=False).order_by("ready_on", "pk")[:8]
    )
    words = Wording.for_page(user, packages)
    board.panels.insert(
        0,
        Panel(
            _("Capabilities getting ready, soonest first"),
            [_("Package"), _("Capability"), _("Ready on"), _("Bottleneck")],
            [[p.name, p.capability.name, p.ready_on, words.bottleneck(p)] for p in packages],
            [f"/readiness/{p.pk}/" for p in packages],
            "/readiness/",
            _("No capability package has a readiness date yet."),
        ),
    )


def _capability_panel(user: User) -> Panel:
    """Per capability: how much of what it needs is received; nearest need first."""
    reqs = requirements_visible_to(user).exclude(status=Requirement.Status.CANCELLED)
    rows = list(
        reqs.values("capability_id", "capability__name")
        .annotate(
            required=Sum("quantity"),
            done=Count("pk", filter=Q(status=Requirement.Status.FULFILLED)),
            total=Count("pk"),
        )
        .order_by("capability__name")[:12]
    )
    received: dict[int, int] = {}
    if figures.logistics_installed():
        lines = figures.scoped_shipment_lines(user, Scope())
        if lines is not None:
            received = dict(
                figures.requirement_rows(lines, user, Scope())
                .values("requirement__capability_id")
                .annotate(n=Sum("received_quantity"))
                .values_list("requirement__capability_id", "n")
            )
    table = []
    for r in rows:
        got = received.get(r["capability_id"]) or 0
        share = got / r["required"] if r["required"] else 0
        table.append(
            [r["capability__name"], f"{r['done']}/{r['total']}", r["required"], got, f"{share:.0%}"]
        )
    return Panel(
        _("Capabilities: requirements fulfilled and units received"),
        [
            _("Capability"),
            _("Requirements fulfilled"),
            _("Units required"),
            _("Units received"),
            _("Received"),
        ],
        table,
        [f"/requirements/?capability={r['capability_id']}" for r in rows],
        "/reports/#fulfilment",
        _("No requirements yet."),
    )


def training_officer(user: User, today: dt.date) -> Dashboard:
    board = Dashboard(_("Which sessions still have empty seats?"))
    if not apps.is_installed("coordcell.training"):
        board.notes.append(_("Course sessions are not scheduled in this installation yet."))
        return board
    from django.db.models.functions import Least

    from coordcell.training.models import Session
    from coordcell.training.selectors import sessions_visible_to

    open_sessions = (
        sessions_visible_to(user)
        .filter(status=Session.Status.PLANNED, start_date__gte=_monday(today))
        .annotate(
            capacity_now=Least("seats", "course__max_class_size", output_field=IntegerField())
        )
        .filter(booked_trainees__lt=F("capacity_now"))
    )
    totals = open_sessions.aggregate(
        n=Count("pk"),
        empty=Sum(F("capacity_now") - F("booked_trainees"), output_field=IntegerField()),
    )
    soon = open_sessions.filter(start_date__lt=today + dt.timedelta(weeks=LOOKAHEAD_WEEKS))
    board.figures += [
        Figure(
            _("Sessions with empty seats"),
            totals["n"],
            "/training/sessions/",
            hint=_("%(n)s empty seats") % {"n": totals["empty"] or 0},
        ),
        Figure(
            _("… starting within %(weeks)s weeks") % {"weeks": LOOKAHEAD_WEEKS},
            soon.count(),
            "/training/sessions/?sort=start_date",
            "alert" if soon.exists() else "",
        ),
    ]
    first = list(open_sessions.order_by("start_date", "pk")[:8])
    board.panels.append(
        Panel(
            _("Sessions with empty seats, soonest first"),
            [_("Session"), _("Course"), _("Site"), _("Starts"), _("Booked / seats")],
            [
                [
                    s.reference,
                    s.course.code,
                    s.site.location.name if s.site.location_id else s.site,
                    s.start_date,
                    f"{s.booked_trainees} / {s.capacity_now}",
                ]
                for s in first
            ],
            [f"/training/sessions/{s.pk}/" for s in first],
            "/training/sessions/",
            _("Every session is full."),
        )
    )
    return board


def auditor(user: User, today: dt.date) -> Dashboard:
    board = Dashboard(_("What changed, and is the trail intact?"))
    events = audit_events_visible_to(user)
    seq, head = current_head()
    since = dt.datetime.combine(today, dt.time(), tzinfo=dt.UTC)
    today_count = events.filter(at__gte=since).count()
    board.figures += [
        Figure(_("Audit events"), seq, "/audit/"),
        Figure(_("Events today (UTC)"), today_count, f"/audit/?after={today.isoformat()}"),
        Figure(_("Chain head"), head[:12] + "…", "/audit/", hint=_("record it elsewhere")),
    ]
    recent = list(events.order_by("-seq")[:10])
    board.panels.append(
        Panel(
            _("Recent audit events"),
            ["#", _("When (UTC)"), _("Who"), _("What"), _("Object")],
            [
                [e.seq, e.at.strftime("%Y-%m-%d %H:%M"), e.actor_name, e.verb, e.target_repr]
                for e in recent
            ],
            [f"/audit/?target_type={e.target_type}&target_id={e.target_id}" for e in recent],
            "/audit/",
            _("No events yet."),
        )
    )
    rows = figures.flow_by(user, Scope(), "donor")
    totals = [sum(r.values()[i] for r in rows) for i in range(4)]
    board.figures += [
        Figure(_("Units pledged"), int(totals[0]), "/pledges/"),
        Figure(_("Units allocated"), int(totals[1]), "/allocation/committed/"),
    ]
    if figures.logistics_installed():
        _discrepancy_figures(user, today, board)
    return board


BUILDERS = {
    Role.COORDINATOR: coordinator,
    Role.DONOR_LIAISON: donor,
    Role.RECIPIENT_LIAISON: recipient,
    Role.TRAINING_SITE_OFFICER: training_officer,
    Role.AUDITOR: auditor,
}


def dashboard_for(user: User | None, today: dt.date | None = None) -> Dashboard | None:
    if user is None or not user.role:
        return None
    if (
        user.role in (Role.DONOR_LIAISON, Role.RECIPIENT_LIAISON, Role.TRAINING_SITE_OFFICER)
        and user.nation_id is None
    ):
        return None
    return BUILDERS[Role(user.role)](user, today or dt.date.today())
