"""Pages of the discrepancy lifecycle: the register across shipments (with its CSV), one
discrepancy with its actions, and the actions themselves. Thin: reads through ``selectors``,
writes through ``discrepancies``."""

from __future__ import annotations

import io
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from coordcell.audit.services import StaleEditError
from coordcell.escaping import csv_writer
from coordcell.registry.access import as_user, get_visible_or_404, not_found, refuse
from coordcell.registry.models import Nation
from coordcell.registry.registers import filter_errors, page_or_error

from .discrepancies import (
    discrepancy_reassign,
    discrepancy_resolve,
    discrepancy_set_due,
    discrepancy_start_investigation,
)
from .filters import DiscrepancyFilterForm
from .forms import (
    DiscrepancyActionForm,
    DiscrepancyDueForm,
    DiscrepancyReassignForm,
    DiscrepancyResolveForm,
)
from .models import Discrepancy
from .selectors import (
    AGE_BANDS,
    UNRESOLVED,
    DiscrepancyFilters,
    discrepancies_visible_to,
    discrepancy_actions_for,
    discrepancy_location_shown,
    discrepancy_register,
)

AGE_LABELS = {
    "lt7": gettext_lazy("under 7 days"),
    "7to30": gettext_lazy("7 to 30 days"),
    "gt30": gettext_lazy("over 30 days"),
}
SORT_LABELS = {
    "due_on": gettext_lazy("due date, soonest first"),
    "-due_on": gettext_lazy("due date, latest first"),
    "-recorded_at": gettext_lazy("newest first"),
    "recorded_at": gettext_lazy("oldest first"),
}


def _user(request: HttpRequest) -> Any:
    user = as_user(request.user)
    if user is None or not (
        user.sees_everything or user.is_donor_liaison or user.is_recipient_liaison
    ):
        raise refuse("discrepancies are for the cell, auditors, donors and the recipient")
    return user


def _filters(request: HttpRequest) -> DiscrepancyFilters:
    get = request.GET
    return DiscrepancyFilters(
        donor=get.get("donor", "")[:10],
        kind=get.get("kind", ""),
        state=get.get("state", ""),
        age=get.get("age", ""),
        overdue=get.get("overdue") == "1",
        sort=get.get("sort", "due_on"),
    )


def _donors(user: Any) -> list[Nation]:
    donors = Nation.objects.filter(is_donor=True).order_by("name")
    if user.is_donor_liaison:
        donors = donors.filter(pk=user.nation_id)
    return list(donors)


def _owner(d: Discrepancy) -> str:
    return str(d.owner_nation) if d.owner_nation_id else _("The cell")


def _forms(user: Any, d: Discrepancy, bound: dict[str, Any] | None = None) -> dict[str, Any]:
    """The action forms this user may use on ``d`` (a bound one, with its errors, replaces its
    blank form)."""
    allowed = discrepancy_actions_for(user, d)
    initial = {"version": d.version}
    forms: dict[str, Any] = {}
    if allowed["investigate"]:
        forms["investigate"] = DiscrepancyActionForm(initial=initial, prefix=f"i{d.pk}")
    if allowed["resolutions"]:
        forms["resolve"] = DiscrepancyResolveForm(
            initial=initial, resolutions=allowed["resolutions"], prefix=f"r{d.pk}"
        )
    if allowed["reassign"]:
        forms["reassign"] = DiscrepancyReassignForm(
            initial={**initial, "owner": d.owner_nation_id or ""},
            donor=d.shipment.donor,
            prefix=f"o{d.pk}",
        )
    if allowed["due"]:
        forms["due"] = DiscrepancyDueForm(
            initial={**initial, "due_on": d.due_on}, prefix=f"d{d.pk}"
        )
    forms.update({k: v for k, v in (bound or {}).items() if k in forms})
    return forms


def discrepancy_rows(user: Any, found: list[Discrepancy]) -> list[dict[str, Any]]:
    """What a list shows per discrepancy: the record, its owner, whether its place is shown,
    whether it is overdue, and the action forms the user may use."""
    today = timezone.now().date()
    return [
        {
            "d": d,
            "owner": _owner(d),
            "where": d.location if discrepancy_location_shown(user, d) else None,
            "overdue": d.status in UNRESOLVED and d.due_on < today,
            "forms": _forms(user, d),
        }
        for d in found
    ]


def register(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    filters = _filters(request)
    donors = _donors(user)
    checked = DiscrepancyFilterForm(request.GET)
    list_errors = filter_errors(checked)
    qs = discrepancy_register(user, filters).select_related("line__category")
    if list_errors:
        qs = qs.none()
    if request.GET.get("format") == "csv":
        if list_errors:
            return HttpResponse("\n".join(list_errors), status=400, content_type="text/plain")
        return _csv(user, qs)
    page, page_error = page_or_error(Paginator(qs, 50), request.GET.get("page"))
    list_errors += [page_error] if page_error else []
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "logistics/discrepancies.html",
        {
            "page": page,
            "rows": discrepancy_rows(user, list(page)),
            "filters": filters,
            "donors": donors,
            "kinds": Discrepancy.Kind.choices,
            "states": [("unresolved", _("Open or investigating")), *Discrepancy.Status.choices],
            "ages": [(k, AGE_LABELS[k]) for k in AGE_BANDS],
            "sorts": list(SORT_LABELS.items()),
            "query": query.urlencode(),
            "next": request.get_full_path(),
            "list_errors": list_errors,
        },
        status=400 if list_errors else 200,
    )


def _csv(user: Any, qs: Any) -> HttpResponse:
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow(
        [
            _("Shipment"),
            _("Donor"),
            _("Kind"),
            _("Found at"),
            _("Where"),
            _("Quantity"),
            _("Unit"),
            _("Serial"),
            _("Description"),
            _("Owner"),
            _("Status"),
            _("Resolution"),
            _("Resolution note"),
            _("Recorded"),
            _("Due on"),
        ]
    )
    for d in qs.select_related("location", "line__category")[:50_000]:
        shown = discrepancy_location_shown(user, d)
        writer.writerow(
            [
                d.shipment.reference,
                d.shipment.donor.code,
                d.get_kind_display(),
                d.get_stage_display(),
                str(d.location) if shown and d.location_id else "",
                d.quantity,
                # The quantity's unit in a column of its own: the number stays a number.
                d.line.category.get_unit_display() if d.line_id and d.line else "",
                d.serial,
                d.description,
                _owner(d),
                d.get_status_display(),
                d.get_resolution_display(),
                d.resolution_note,
                f"{d.recorded_at:%Y-%m-%d}",
                d.due_on.isoformat(),
            ]
        )
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="discrepancies.csv"'
    return response


def _get(request: HttpRequest, pk: int) -> Discrepancy:
    """The one place a discrepancy is fetched: outside the user's need-to-know it is a 404."""
    return get_visible_or_404(
        discrepancies_visible_to(request.user).select_related("shipment__donor", "owner_nation"),
        pk=pk,
    )


def detail(
    request: HttpRequest, pk: int, bound: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    user = _user(request)
    d = _get(request, pk)
    [row] = discrepancy_rows(user, [d])
    row["forms"] = _forms(user, d, bound)
    return render(
        request,
        "logistics/discrepancy.html",
        {
            "row": row,
            "d": d,
            "resolved_by": d.resolved_by if d.resolved_by_id and user.sees_everything else None,
            "next": _next(request, f"/discrepancies/{d.pk}/"),
        },
        status=status,
    )


def _next(request: HttpRequest, default: str) -> str:
    """Where to go after an action: back to the list the user came from, on this site only."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith(("/discrepancies/", "/logistics/shipments/")) and (
        url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})
    ):
        return target
    return default


def _act(user: Any, d: Discrepancy, action: str, form: Any) -> None:
    data = form.cleaned_data
    version = data.get("version")
    if action == "investigate":
        discrepancy_start_investigation(actor=user, discrepancy=d, expected_version=version)
    elif action == "resolve":
        discrepancy_resolve(
            actor=user,
            discrepancy=d,
            resolution=data["resolution"],
            note=data["note"],
            expected_version=version,
        )
    elif action == "reassign":
        discrepancy_reassign(
            actor=user,
            discrepancy=d,
            owner_nation_id=form.owner_nation_id(),
            expected_version=version,
        )
    else:
        discrepancy_set_due(
            actor=user, discrepancy=d, due_on=data["due_on"], expected_version=version
        )


DONE = {
    "investigate": gettext_lazy("Investigation started."),
    "resolve": gettext_lazy("Discrepancy resolved."),
    "reassign": gettext_lazy("Owner changed."),
    "due": gettext_lazy("Due date changed."),
}


@require_POST
def act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = _user(request)
    d = _get(request, pk)
    # A resolved one offers nothing; a second resolution gets the action's clear refusal, but
    # an auditor changes nothing at all, and who may do nothing here is refused (audited).
    resolved = d.status == Discrepancy.Status.RESOLVED
    offered = _forms(user, d)
    if user.is_auditor or not (offered or resolved):
        raise refuse(f"may not {action} this discrepancy")
    if action not in DONE:
        raise not_found(f"no discrepancy action {action!r}")
    if action not in offered and not resolved:
        raise refuse(f"may not {action} this discrepancy")
    form = _bound(d, action, request)
    if form.is_valid():
        try:
            _act(user, d, action, form)
        except PermissionDenied as exc:
            raise refuse(str(exc)) from exc
        except (ValidationError, StaleEditError) as exc:
            _errors(form, exc)
        else:
            messages.success(request, str(DONE[action]))
            return HttpResponseRedirect(_next(request, f"/discrepancies/{d.pk}/"))
    if resolved and not form.errors:
        form.add_error(None, _("This discrepancy is already resolved: a resolution is final."))
    messages.error(request, " ".join(_messages(form)))
    return detail(request, pk, {action: form}, status=400)


def _bound(d: Discrepancy, action: str, request: HttpRequest) -> Any:
    data = request.POST
    if action == "resolve":
        return DiscrepancyResolveForm(
            data, resolutions=list(Discrepancy.Resolution.values), prefix=f"r{d.pk}"
        )
    if action == "reassign":
        return DiscrepancyReassignForm(data, donor=d.shipment.donor, prefix=f"o{d.pk}")
    if action == "due":
        return DiscrepancyDueForm(data, prefix=f"d{d.pk}")
    return DiscrepancyActionForm(data, prefix=f"i{d.pk}")


def _errors(form: Any, exc: ValidationError | StaleEditError) -> None:
    if isinstance(exc, StaleEditError):
        form.add_error(None, str(exc))
    elif hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _messages(form: Any) -> list[str]:
    return [str(m) for errors in form.errors.values() for m in errors]
