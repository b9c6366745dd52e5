"""The readiness page: each package's date, critical path and bottleneck, and what moved it.
Every word about a package comes from ``wording.Wording`` for the viewer."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from coordcell.registry.access import as_user, get_visible_or_404, refuse
from coordcell.requirements.selectors import requirements_visible_to

from . import selectors, services
from .facts import Cause
from .wording import Wording

# History rows a viewer may read are fewer than those kept (wording.Wording.change): read more.
CHANGES_READ = 200


def readiness(request: HttpRequest) -> HttpResponse:
    if as_user(request.user) is None:
        raise refuse("not an active user")
    packages = list(selectors.packages_visible_to(request.user).order_by("ready_on", "reference"))
    changes = list(selectors.changes_visible_to(request.user)[:CHANGES_READ])
    words = Wording.for_page(request.user, packages, changes)
    rows: list[dict[str, Any]] = [
        {
            "package": p,
            "bottleneck": words.bottleneck(p),
            "parts": words.part_dates(p),
            "trained": words.crews_trained(p),
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
            "changes": words.changes(changes)[:30],
            "can_recompute": selectors.can_recompute(request.user),
        },
    )


def package_detail(request: HttpRequest, pk: int) -> HttpResponse:
    package = get_visible_or_404(selectors.packages_visible_to(request.user), pk=pk)
    changes = list(package.changes.all()[:CHANGES_READ])
    words = Wording.for_page(request.user, [package], changes)
    items = package.items.select_related("requirement", "requirement__category").filter(
        requirement__in=requirements_visible_to(request.user)
    )
    return render(
        request,
        "readiness/detail.html",
        {
            "package": package,
            "bottleneck": words.bottleneck(package),
            "components": words.components(package),
            "critical_path": words.critical_path(package),
            "trained": words.crews_trained(package),
            "items": items,
            "changes": words.changes(changes)[:50],
        },
    )


@require_POST
def recompute(request: HttpRequest) -> HttpResponse:
    u = as_user(request.user)
    if u is None or not selectors.can_recompute(u):
        raise refuse("only coordinators recompute readiness")
    changes = services.recompute_all(
        cause=Cause(f"recomputed by {u.username}", "recomputed"), actor=u
    )
    messages.success(request, f"Readiness recomputed: {len(changes)} packages moved.")
    return HttpResponseRedirect(reverse("readiness:list"))
