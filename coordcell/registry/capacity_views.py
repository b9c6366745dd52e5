"""The hub capacity pages: every hub's figures this week, one hub's capacity rows with their
weeks and the next weeks' capacity against planned use, and a row's edit and delete pages.

Coordinators change them; auditors read them; no other role reaches them (404, audited).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from coordcell.audit.selectors import history_visible_to
from coordcell.audit.services import StaleEditError
from coordcell.logistics.capacity_check import capacity_cut_weeks, hub_weeks

from .access import get_visible_or_404, refuse
from .capacity import (
    can_change_hub_capacity,
    can_see_hub_capacities,
    capacity_ids_of_hub_ever,
    capacity_rows_of_hub,
    hub_capacities_visible_to,
    hub_capacity_by_week,
    monday_of,
)
from .forms import HubCapacityForm, HubClosureForm
from .models import CategoryDomain, HubCapacity, Location
from .services import hub_capacity_close, hub_capacity_delete, hub_capacity_save

WEEKS_SHOWN = 12


def _reader(request: HttpRequest) -> Any:
    if not can_see_hub_capacities(request.user):
        raise refuse("hub capacities are for the cell and auditors")
    return request.user


def _changer(request: HttpRequest) -> Any:
    user = _reader(request)
    if not can_change_hub_capacity(user):
        raise refuse("only coordinators change hub capacities")
    return user


def _hubs() -> Any:
    return Location.objects.filter(kind=Location.Kind.HUB).select_related("nation")


def _errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _warn_cut(request: HttpRequest, row: HubCapacity) -> None:
    over = capacity_cut_weeks(row)
    if over:
        weeks = "; ".join(
            _("week of %(week)s: %(use)s planned, capacity %(capacity)s")
            % {"week": week.isoformat(), "use": use, "capacity": capacity}
            for week, capacity, use in over[:12]
        )
        messages.warning(
            request,
            _("%(hub)s is now over its %(domain)s capacity: %(weeks)s. Re-plan them.")
            % {"hub": row.hub, "domain": row.get_domain_display(), "weeks": weeks},
        )


def index(request: HttpRequest) -> HttpResponse:
    _reader(request)
    monday = monday_of(timezone.now().date())
    hubs = list(_hubs().order_by("name"))
    figures = hub_capacity_by_week(start=monday, weeks=1, hub_ids=[h.pk for h in hubs])
    domains = sorted({d for _h, d in figures})
    rows = [(hub, [figures.get((hub.pk, d), [None])[0] for d in domains]) for hub in hubs]
    labels = [CategoryDomain(d).label for d in domains]
    return render(
        request,
        "registry/hub_capacities.html",
        {"rows": rows, "labels": labels, "monday": monday},
    )


def hub_page(request: HttpRequest, pk: int) -> HttpResponse:
    user = _reader(request)
    hub = get_visible_or_404(_hubs(), pk=pk)
    add_form = HubCapacityForm(user=user, hub=hub, prefix="add")
    close_form = HubClosureForm(prefix="close")
    status = 200
    if request.method == "POST":
        user = _changer(request)
        if request.POST.get("form") == "close":
            close_form = HubClosureForm(request.POST, prefix="close")
            saved = _close(user, hub, close_form)
        else:
            add_form = HubCapacityForm(request.POST, user=user, hub=hub, prefix="add")
            saved = _save(user, add_form)
        if saved is not None:
            messages.success(request, _("Saved %(object)s.") % {"object": saved})
            _warn_cut(request, saved)
            return HttpResponseRedirect(reverse("hub-capacity:hub", args=[hub.pk]))
        status = 400
    start = monday_of(timezone.now().date())
    weeks = hub_weeks(hub, start=start, weeks=WEEKS_SHOWN)
    rows = capacity_rows_of_hub(hub.pk)
    domains = sorted(set(rows) | set(weeks))
    return render(
        request,
        "registry/hub_capacity.html",
        {
            "hub": hub,
            "domains": [
                (CategoryDomain(d).label, rows.get(d, []), weeks.get(d, [])) for d in domains
            ],
            "mondays": [start + dt.timedelta(weeks=n) for n in range(WEEKS_SHOWN)],
            "any_over": any(w.over for ws in weeks.values() for w in ws),
            "can_change": can_change_hub_capacity(user),
            "add_form": add_form,
            "close_form": close_form,
            "history_of_many": True,
            "history": history_visible_to(
                user, HubCapacity._meta.label_lower, capacity_ids_of_hub_ever(hub.pk)
            ),
        },
        status=status,
    )


def _save(user: Any, form: HubCapacityForm) -> HubCapacity | None:
    if not form.is_valid():
        return None
    try:
        return hub_capacity_save(user, form.instance, form.expected_version)
    except StaleEditError as exc:
        form.add_error(None, str(exc))
    except ValidationError as exc:
        _errors(form, exc)
    except PermissionDenied as exc:
        raise refuse(str(exc)) from exc
    return None


def _close(user: Any, hub: Location, form: HubClosureForm) -> HubCapacity | None:
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        return hub_capacity_close(
            user, hub, data["domain"], data["valid_from"], data["valid_until"], data["reason"]
        )
    except ValidationError as exc:
        _errors(form, exc)
    except PermissionDenied as exc:
        raise refuse(str(exc)) from exc
    return None


def edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _reader(request)
    row = get_visible_or_404(hub_capacities_visible_to(user), pk=pk)
    user = _changer(request)
    form = HubCapacityForm(request.POST or None, instance=row, user=user)
    if request.method == "POST":
        saved = _save(user, form)
        if saved is not None:
            messages.success(request, _("Saved %(object)s.") % {"object": saved})
            _warn_cut(request, saved)
            return HttpResponseRedirect(reverse("hub-capacity:hub", args=[saved.hub_id]))
    return render(
        request,
        "registry/hub_capacity_form.html",
        {"form": form, "row": row, "hub": row.hub},
        status=400 if form.errors else 200,
    )


def delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = _reader(request)
    row = get_visible_or_404(hub_capacities_visible_to(user), pk=pk)
    user = _changer(request)
    if request.method == "POST":
        hub_id, label = row.hub_id, str(row)
        try:
            hub_capacity_delete(user, row)
        except PermissionDenied as exc:
            raise refuse(str(exc)) from exc
        messages.success(request, _("Deleted %(object)s.") % {"object": label})
        _warn_cut(request, row)  # its weeks fall back to a wider row: maybe a lower one
        return HttpResponseRedirect(reverse("hub-capacity:hub", args=[hub_id]))
    return render(request, "registry/hub_capacity_delete.html", {"row": row, "hub": row.hub})
