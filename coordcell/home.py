"""The home page: the dashboard of the user's role (see coordcell/reports/dashboards.py)."""

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from coordcell.registry.access import ROLE_SUMMARY, as_user
from coordcell.registry.models import Role
from coordcell.reports.reuse import reuse_figures


def home(request: HttpRequest) -> HttpResponse:
    user = as_user(request.user)
    role = Role(user.role) if user and user.role else None
    board = figures = None
    if user is not None:
        today = dt.date.today()
        figures = reuse_figures("dashboard", user, today, refresh="refresh" in request.GET)
        board = figures.value
    return render(
        request,
        "home.html",
        {
            "board": board,
            "figures": figures,
            "role": role,
            "role_summary": _(ROLE_SUMMARY[role]) if role in ROLE_SUMMARY else "",
        },
    )
