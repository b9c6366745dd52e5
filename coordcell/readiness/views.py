"""The readiness page: each package's date, critical path and bottleneck, and what moved it."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from coordcell.registry.access import as_user, get_visible_or_404, refuse

from . import selectors, services

PARTS = ("end items", "crews", "sustainment")


def readiness(request: HttpRequest) -> HttpResponse:
    packages = selectors.packages_visible_to(request.user).order_by("ready_on", "reference")
    if as_user(request.user) is None:
        raise refuse("not an active user")
    rows = [
        {
            "package": p,
            "bottleneck": selectors.bottleneck_for(request.user, p),
            "parts": [
                (p.components.get(name) or {}).get("date")
                or ("no date" if name in p.components else "")
                for name in PARTS
            ],
        }
        for p in packages
    ]
    undated = [r for r in rows if r["package"].ready_on is None]
    dated = [r for r in rows if r["package"].ready_on is not None]
    return render(
        request,
        "readiness/list.html",
        {
            "rows": undated + dated,
            "changes": selectors.changes_visible_to(request.user)[:30],
            "can_recompute": selectors.can_recompute(request.user),
            # Causes name pledges and shipments: a donor reads only dates in the history.
            "hide_causes": getattr(as_user(request.user), "is_donor_liaison", False),
        },
    )


def package_detail(request: HttpRequest, pk: int) -> HttpResponse:
    package = get_visible_or_404(selectors.packages_visible_to(request.user), pk=pk)
    u = as_user(request.user)
    hide = selectors.bottleneck_for(u, package) != package.bottleneck
    return render(
        request,
        "readiness/detail.html",
        {
            "package": package,
            "bottleneck": selectors.bottleneck_for(u, package),
            "critical_path": [] if hide else package.critical_path,
            "items": package.items.select_related("requirement", "requirement__category"),
            "changes": package.changes.all()[:50],
            "hide": hide,
            "hide_history": bool(u and u.is_donor_liaison),
        },
    )


@require_POST
def recompute(request: HttpRequest) -> HttpResponse:
    u = as_user(request.user)
    if not selectors.can_recompute(u):
        raise refuse("only coordinators recompute readiness")
    changes = services.recompute_all(cause=f"recomputed by {u.username}", actor=u)  # type: ignore[union-attr]
    messages.success(request, f"Readiness recomputed: {len(changes)} packages moved.")
    return HttpResponseRedirect(reverse("readiness:list"))
