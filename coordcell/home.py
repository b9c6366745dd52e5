"""The home page: for each role, the registers it works with and the figures it acts on."""

from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from coordcell.pledges.models import Pledge
from coordcell.pledges.selectors import pledges_visible_to
from coordcell.registry.access import ROLE_SUMMARY, as_user
from coordcell.registry.models import Role
from coordcell.requirements.models import Requirement
from coordcell.requirements.selectors import requirements_visible_to


def home(request: HttpRequest) -> HttpResponse:
    user = as_user(request.user)
    pledges = pledges_visible_to(user)
    requirements = requirements_visible_to(user)
    figures = []
    if requirements.exists():
        open_p1 = requirements.filter(status=Requirement.Status.OPEN, priority=1)
        figures.append(
            (
                "Open priority-1 requirements",
                open_p1.count(),
                "/requirements/?status=open&priority=1",
            )
        )
        figures.append(
            (
                "Open requirements",
                requirements.filter(status=Requirement.Status.OPEN).count(),
                "/requirements/?status=open",
            )
        )
    if pledges.exists():
        figures.append(
            (
                "Pledges offered, awaiting confirmation",
                pledges.filter(status=Pledge.Status.OFFERED).count(),
                "/pledges/?status=offered",
            )
        )
        totals = pledges.exclude(status=Pledge.Status.WITHDRAWN).aggregate(
            pledged=Sum("quantity"), allocated=Sum("allocated_quantity")
        )
        figures.append(
            ("Units pledged (not withdrawn)", totals["pledged"] or 0, "/pledges/?status=confirmed")
        )
        figures.append(("Units allocated", totals["allocated"] or 0, "/pledges/"))
    role = Role(user.role) if user and user.role else None
    return render(
        request,
        "home.html",
        {
            "figures": figures,
            "role": role,
            "role_summary": ROLE_SUMMARY.get(role) if role else "",
        },
    )
