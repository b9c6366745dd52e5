"""Training pages beyond the registers: the scheduler's runs (start, watch, review)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from coordcell.htmx import HtmxHttpRequest
from coordcell.registry.access import as_user, get_visible_or_404, refuse

from . import scheduling, selectors
from .forms import RunForm
from .models import ScheduleRun, monday


def _get_run_for_user(request: HttpRequest, pk: int) -> ScheduleRun:
    return get_visible_or_404(selectors.runs_visible_to(request.user), pk=pk)


def run_list(request: HttpRequest) -> HttpResponse:
    user = as_user(request.user)
    if user is None or not user.sees_everything:
        raise refuse("scheduler runs are for the cell and auditors")
    form = RunForm(request.POST or None, initial={"planning_start": monday(timezone.now().date())})
    status = 200
    if request.method == "POST":
        if not user.is_coordinator:
            raise refuse("only coordinators run the scheduler")
        if form.is_valid():
            try:
                run = scheduling.run_create(actor=user, **form.cleaned_data)
            except ValidationError as exc:
                for name, errors in exc.message_dict.items():
                    form.add_error(name if name in form.fields else None, errors)
            else:
                return HttpResponseRedirect(reverse("training:run", args=[run.pk]))
        status = 400
    page = Paginator(selectors.runs_visible_to(user), 25).get_page(request.GET.get("page"))
    return render(
        request,
        "training/run_list.html",
        {"page": page, "form": form, "can_run": user.is_coordinator},
        status=status,
    )


def run_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    run = _get_run_for_user(request, pk)
    if request.htmx and request.GET.get("part") == "progress":
        if run.status in (ScheduleRun.Status.QUEUED, ScheduleRun.Status.RUNNING):
            return render(request, "training/run_detail.html#progress", {"run": run})
        response = HttpResponse()
        response["HX-Refresh"] = "true"
        return response
    outcomes = run.outcomes.select_related("cohort").order_by(
        "scheduled", "-lateness", "cohort__reference"
    )
    late = [o for o in outcomes if not o.scheduled or (o.lateness or 0) > 0]
    return render(
        request,
        "training/run_detail.html",
        {
            "run": run,
            "late": late,
            "outcomes": outcomes.count(),
            "bookings": run.bookings.select_related(
                "cohort", "session", "session__course", "session__site__location"
            ).order_by("session__start_date", "cohort__reference")[:500],
        },
    )
