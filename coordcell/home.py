"""The home page: the dashboard of the user's role (see coordcell/reports/dashboards.py)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from coordcell.registry.access import ROLE_SUMMARY, as_user
from coordcell.registry.models import Role
from coordcell.reports.dashboards import dashboard_for


def home(request: HttpRequest) -> HttpResponse:
    user = as_user(request.user)
    role = Role(user.role) if user and user.role else None
    return render(
        request,
        "home.html",
        {
            "board": dashboard_for(user),
            "role": role,
            "role_summary": _(ROLE_SUMMARY[role]) if role in ROLE_SUMMARY else "",
        },
    )
