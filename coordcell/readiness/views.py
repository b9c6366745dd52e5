"""The readiness page: each package's date, critical path and bottleneck, and what moved it.
Every word about a package comes from ``wording.Wording`` for the viewer."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from coordcell.audit.selectors import history_visible_to
from coordcell.audit.services import StaleEditError
from coordcell.registry.access import as_user, get_visible_or_404, refuse
from coordcell.requirements.selectors import requirements_visible_to

from . import selectors, services
from .facts import Cause
from .forms import PackageForm, PackageItemsForm
from .models import CapabilityPackage
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
            "can_change": selectors.can_save_package(request.user),
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
            "can_change": selectors.can_save_package(request.user, package),
            "history": history_visible_to(
                request.user, CapabilityPackage._meta.label_lower, [package.pk]
            ),
        },
    )


def package_new(request: HttpRequest) -> HttpResponse:
    return _package_form(request, CapabilityPackage())


def package_edit(request: HttpRequest, pk: int) -> HttpResponse:
    package = get_visible_or_404(selectors.packages_visible_to(request.user), pk=pk)
    return _package_form(request, package)


def _package_form(request: HttpRequest, package: CapabilityPackage) -> HttpResponse:
    """Create a package (name, capability), or change it and which of its capability's
    requirements it holds; all errors at once, the input kept."""
    user = as_user(request.user)
    if user is None or not selectors.can_save_package(user, package):
        raise refuse("only coordinators define capability packages")
    creating = package.pk is None
    data = request.POST if request.method == "POST" else None
    form = PackageForm(data, instance=package)
    items_form = None
    if not creating:
        requirements = list(
            package.capability.requirements.select_related("category").order_by("reference")
        )
        items_form = PackageItemsForm(
            data, requirements=requirements, items=list(package.items.all())
        )
    status = 200
    if data is not None:
        if form.is_valid() and (items_form is None or items_form.is_valid()):
            try:
                saved = services.package_save(
                    actor=user,
                    package=form.instance,
                    items=items_form.items() if items_form is not None else None,
                    expected_version=_int(data.get("version")),
                )
            except StaleEditError:
                form.add_error(
                    None,
                    _("Someone changed this package meanwhile: reload the page to see it."),
                )
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                messages.success(request, _("Saved %(package)s.") % {"package": saved})
                target = "readiness:detail" if not creating else "readiness:edit"
                return HttpResponseRedirect(reverse(target, args=[saved.pk]))
        status = 400
    return render(
        request,
        "readiness/form.html",
        {"form": form, "items_form": items_form, "package": package, "creating": creating},
        status=status,
    )


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@require_POST
def recompute(request: HttpRequest) -> HttpResponse:
    u = as_user(request.user)
    if u is None or not selectors.can_recompute(u):
        raise refuse("only coordinators recompute readiness")
    changes = services.recompute_all(
        cause=Cause(f"recomputed by {u.username}", "recomputed"), actor=u
    )
    messages.success(
        request, _("Readiness recomputed: %(n)s packages moved.") % {"n": len(changes)}
    )
    return HttpResponseRedirect(reverse("readiness:list"))
