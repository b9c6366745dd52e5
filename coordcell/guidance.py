"""What an empty list or chart says: how to begin, and a link to where the first record is made,
offered only to a role that may make it (issue 21, part 9).

``{% how_to_begin "pledges" %}`` (a built-in tag, no ``{% load %}``) renders it for the user of
the request. Each list names one key here; a register's key is its slug. Above every domain (like
``catalogue.py``): it asks each app's own ``can_*`` functions who may begin.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from coordcell.registry.access import as_user

register = template.Library()


@dataclass(frozen=True)
class Begin:
    """How to begin a list: what to do (for a role that may), how records come (for others)."""

    doer_text: Promise  # "No pledge yet: register the first one."
    others_text: Promise  # "No pledge yet: donors' liaison officers register them."
    label: Promise | None = None  # the link's words: "Register a pledge"
    url: str = ""  # a URL, or "<register slug>:create"
    allowed: Callable[[Any], bool] | None = None  # who may take the action (None: nobody)
    command: str = ""  # the command that does it on the server, shown to those who may


@dataclass(frozen=True)
class Shown:
    text: str
    label: str = ""
    url: str = ""
    command: str = ""


def _allocation_planner(user: Any) -> bool:
    from coordcell.allocation.selectors import can_create_run

    return can_create_run(user)


def _schedule_planner(user: Any) -> bool:
    from coordcell.training.selectors import can_create_schedule_run

    return can_create_schedule_run(user)


def _package_maker(user: Any) -> bool:
    from coordcell.readiness.selectors import can_save_package

    return can_save_package(user)


def _register_maker(slug: str) -> Callable[[Any], bool]:
    def allowed(user: Any) -> bool:
        from coordcell.catalogue import register_by_slug
        from coordcell.training.register_defs import REGISTERS as TRAINING

        registers = {**register_by_slug(), **{r.slug: r for r in TRAINING}}
        r = registers[slug]
        return bool(r.can_create(user)) and r.form_class is not None

    return allowed


def _reg(slug: str, doer: Promise, others: Promise, label: Promise) -> Begin:
    return Begin(doer, others, label, f"{slug}:create", _register_maker(slug))


GUIDES: dict[str, Begin] = {
    "pledges": _reg(
        "pledges",
        _("No pledge yet: register a pledge (or import a donor's spreadsheet)."),
        _(
            "No pledge you may see yet: donors' liaison officers register pledges, the cell "
            "confirms them."
        ),
        _("Register a pledge"),
    ),
    "requirements": _reg(
        "requirements",
        _("No requirement yet: register the first prioritised requirement."),
        _("No requirement yet: the recipient's liaison officers register them."),
        _("Register a requirement"),
    ),
    "nations": _reg(
        "nations",
        _("No nation yet: add the recipient and the donor nations."),
        _("No nation yet: the cell adds them."),
        _("Add a nation"),
    ),
    "organisations": _reg(
        "organisations",
        _("No organisation yet: add the ministries and commands that take part."),
        _("No organisation yet: the cell adds them."),
        _("Add an organisation"),
    ),
    "categories": _reg(
        "categories",
        _("No item category yet: add the categories requirements and pledges are made in."),
        _("No item category yet: the cell adds them."),
        _("Add an item category"),
    ),
    "locations": _reg(
        "locations",
        _("No location yet: add the depots, hubs, delivery points and training sites."),
        _("No location yet: the cell adds them."),
        _("Add a location"),
    ),
    "coalitions": _reg(
        "coalitions",
        _("No capability coalition yet: add one."),
        _("No capability coalition yet: the cell adds them."),
        _("Add a coalition"),
    ),
    "capabilities": _reg(
        "capabilities",
        _("No capability yet: add the capabilities requirements serve."),
        _("No capability yet: the cell adds them."),
        _("Add a capability"),
    ),
    "users": Begin(
        _("No user yet: create one on the server with coordcell createuser."),
        _("No user you may see yet."),
        command="coordcell createuser NAME --role ROLE",
        allowed=lambda user: bool(getattr(as_user(user), "is_coordinator", False)),
    ),
    "courses": _reg(
        "courses",
        _("No course yet: add the courses the training sites run."),
        _("No course yet: the cell adds them."),
        _("Add a course"),
    ),
    "training-sites": _reg(
        "training-sites",
        _("No training site yet: add one (its location first)."),
        _("No training site yet: the cell adds them."),
        _("Add a training site"),
    ),
    "training-sessions": _reg(
        "training-sessions",
        _("No course session yet: plan the first session."),
        _("No course session you may see yet: the cell plans them at your sites."),
        _("Plan a session"),
    ),
    "cohorts": _reg(
        "cohorts",
        _("No trainee cohort yet: register the first cohort and its course path."),
        _(
            "No trainee cohort you may see yet: the recipient registers cohorts, the cell books "
            "them on sessions."
        ),
        _("Register a cohort"),
    ),
    "bookings": _reg(
        "bookings",
        _("No booking yet: book a cohort on a session, or run the training schedule."),
        _("No booking you may see yet: the cell books cohorts on sessions."),
        _("Book a cohort"),
    ),
    "allocation-runs": Begin(
        _("No allocation run yet: start one with “New allocation run” above (or on the server)."),
        _("No allocation run yet: the cell's coordinators run them."),
        allowed=_allocation_planner,
        command="coordcell allocate",
    ),
    "committed-allocations": Begin(
        _("Nothing committed yet."),
        _(
            "Nothing committed yet: your nation's pledges appear here once the cell commits a "
            "plan that uses them."
        ),
        allowed=_allocation_planner,
    ),
    "shipments": Begin(
        _("No shipment yet: committing an allocation plan creates them."),
        _("No shipment you may see yet: the cell's committed plan creates them."),
        _("Go to the allocation runs"),
        "/allocation/",
        _allocation_planner,
    ),
    "late-shipments": Begin(
        _(
            "No late shipment: every shipment you may see is on plan (shipments come from a "
            "committed allocation plan)."
        ),
        _("No late shipment: every shipment you may see is on plan."),
        _("Go to the shipments"),
        "/logistics/",
        _allocation_planner,
    ),
    "discrepancies": Begin(
        _(
            "No discrepancy: the checks at hubs and at receipt record them when counts, serials "
            "or condition differ."
        ),
        _("No discrepancy you may see: the checks at hubs and at receipt record them."),
    ),
    "inventory": Begin(
        _(
            "No serial-numbered item yet: items appear once a shipment with serial numbers is "
            "ready at its origin."
        ),
        _(
            "No serial-numbered item you may see yet: items appear once a shipment with serial "
            "numbers is ready at its origin."
        ),
    ),
    "schedule-runs": Begin(
        _(
            "No training schedule run yet: start one with “New scheduler run” above (or on the "
            "server)."
        ),
        _("No training schedule run yet: the cell's coordinators run them."),
        allowed=_schedule_planner,
        command="coordcell schedule-training",
    ),
    "packages": Begin(
        _("No capability package yet: define one from a capability's requirements."),
        _("No capability package you may see yet: the cell defines them."),
        _("Define a capability package"),
        "/readiness/new/",
        _package_maker,
    ),
    "hubs": Begin(
        _("No hub yet: add a location of the kind “hub”, then its weekly capacity."),
        _("No hub yet: the cell adds them."),
        _("Add a location"),
        "locations:create",
        _register_maker("locations"),
    ),
    "charts": Begin(
        _(
            "Nothing to show yet: the charts fill as requirements, pledges and shipments are "
            "registered."
        ),
        _(
            "Nothing to show for you yet: the charts fill as requirements, pledges and "
            "shipments are registered."
        ),
    ),
}


def how_to_begin(user: Any, key: str) -> Shown:
    """What the empty list ``key`` tells ``user``: the action only for a role that may take it."""
    guide = GUIDES.get(key)
    if guide is None:
        return Shown(str(_("Nothing here yet.")))
    if guide.allowed is None or not guide.allowed(user):
        return Shown(str(guide.others_text))
    url = guide.url
    if url and not url.startswith("/"):
        try:
            url = reverse(url)
        except NoReverseMatch:
            url = ""
    return Shown(str(guide.doer_text), str(guide.label or "") if url else "", url, guide.command)


@register.inclusion_tag("_how_to_begin.html", takes_context=True, name="how_to_begin")
def how_to_begin_tag(context: template.Context, key: str) -> dict[str, Any]:
    request = context.get("request")
    return {"begin": how_to_begin(getattr(request, "user", None), key)}
