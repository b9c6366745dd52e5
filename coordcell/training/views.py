"""Training pages beyond the registers: the scheduler's runs (start, watch, review); a session's
attendance and results; cancelling a session (which rebooks its cohorts)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from coordcell.htmx import HtmxHttpRequest
from coordcell.registry.access import as_user, get_visible_or_404, refuse
from coordcell.registry.registers import filter_errors, page_or_error

from . import execution, scheduling, selectors
from .forms import AttendanceForm, CancelSessionForm, RunFilterForm, RunForm
from .models import Booking, ScheduleRun, Session, monday


def _get_run_for_user(request: HttpRequest, pk: int) -> ScheduleRun:
    return get_visible_or_404(selectors.runs_visible_to(request.user), pk=pk)


def run_list(request: HttpRequest) -> HttpResponse:
    user = as_user(request.user)
    if user is None or not selectors.can_see_schedule_runs(user):
        raise refuse("scheduler runs are for the cell and auditors")
    form = RunForm(request.POST or None, initial={"planning_start": monday(timezone.now().date())})
    status = 200
    if request.method == "POST":
        if not selectors.can_create_schedule_run(user):
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
    runs = selectors.runs_visible_to(user)
    filters = RunFilterForm(request.GET)
    list_errors = filter_errors(filters)
    run_status = request.GET.get("status", "")
    if list_errors:
        runs = runs.none()  # never every run shown as if filtered
    elif run_status:
        runs = runs.filter(status=run_status)
    page, page_error = page_or_error(Paginator(runs, 25), request.GET.get("page"))
    list_errors += [page_error] if page_error else []
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "training/run_list.html",
        {
            "page": page,
            "form": form,
            "can_run": selectors.can_create_schedule_run(user),
            "proposals": selectors.schedule_proposals(user),
            "filters": filters,
            "run_status": run_status,
            "params": params.urlencode(),
            "list_errors": list_errors,
        },
        status=400 if list_errors and status == 200 else status,
    )


def run_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    run = _get_run_for_user(request, pk)
    if request.htmx and request.GET.get("part") == "progress":
        if run.status in (ScheduleRun.Status.QUEUED, ScheduleRun.Status.RUNNING):
            return render(request, "training/run_detail.html#progress", {"run": run})
        response = HttpResponse()
        response["HX-Refresh"] = "true"
        return response
    outcomes = selectors.schedule_run_outcomes(run)
    late = [o for o in outcomes if not o.scheduled or (o.lateness or 0) > 0]
    return render(
        request,
        "training/run_detail.html",
        {
            "run": run,
            "late": late,
            "outcomes": outcomes.count(),
            "bookings": selectors.schedule_run_bookings(run)[:500],
        },
    )


def _get_session_for_user(request: HttpRequest, pk: int) -> Session:
    return get_visible_or_404(selectors.sessions_visible_to(request.user), pk=pk)


def _attendance_form(booking: Booking, data: Mapping[str, Any] | None = None) -> AttendanceForm:
    return AttendanceForm(
        data,
        prefix=f"b{booking.pk}",
        initial={
            "outcome": booking.outcome,
            "attended": booking.attended,
            "note": booking.outcome_note,
        },
    )


def session_attendance(request: HttpRequest, pk: int) -> HttpResponse:
    """The cohorts booked on a session, each with its attendance and result (a form per cohort
    for whoever records them: the session's site officer and coordinators)."""
    session = _get_session_for_user(request, pk)
    user = as_user(request.user)
    if user is None:  # found in its scope above: an active user
        raise refuse("not an active user")
    bookings = list(selectors.session_bookings_visible_to(user, session))
    status = 200
    posted: tuple[int, AttendanceForm] | None = None
    if request.method == "POST":
        which = request.POST.get("booking", "")
        booking = next((b for b in bookings if str(b.pk) == which), None)
        if booking is None:
            raise refuse("no such booking on this session in the user's scope")
        if not selectors.can_record_attendance(user, booking):
            raise refuse("the role does not record this session's results")
        form = _attendance_form(booking, request.POST)
        if form.is_valid():
            try:
                execution.attendance_record(
                    actor=user,
                    booking=booking,
                    outcome=form.cleaned_data["outcome"],
                    attended=form.cleaned_data["attended"],
                    note=form.cleaned_data["note"],
                )
            except PermissionDenied as exc:
                raise refuse(str(exc)) from exc
            except ValidationError as exc:
                for name, errors in exc.message_dict.items():
                    form.add_error(name if name in form.fields else None, errors)
            else:
                messages.success(
                    request,
                    _("Recorded %(cohort)s on %(session)s.")
                    % {"cohort": booking.cohort.reference, "session": session.reference},
                )
                return HttpResponseRedirect(reverse("training-sessions:attendance", args=[pk]))
        posted = (booking.pk, form)
        status = 400
    rows = []
    for b in bookings:
        can = selectors.can_record_attendance(user, b)
        form = posted[1] if posted and posted[0] == b.pk else _attendance_form(b)
        rows.append({"booking": b, "form": form if can else None})
    started = session.start_date <= timezone.localdate()
    return render(
        request,
        "training/session_attendance.html",
        {
            "session": session,
            "rows": rows,
            "started": started,
            "proposals": selectors.schedule_proposals(user, {b.cohort_id for b in bookings}),
            "can_cancel": selectors.can_cancel_session(user, session),
        },
        status=status,
    )


def session_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel a session: its cohorts are rebooked where another session of the course takes them;
    the page then says which were rebooked, which were not, and proposes a scheduler run."""
    session = get_visible_or_404(selectors.sessions_editable_by(request.user), pk=pk)
    user = as_user(request.user)
    if user is None:  # found in its scope above: an active user
        raise refuse("not an active user")
    form = CancelSessionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = execution.session_cancel(actor=user, session=session)
        except PermissionDenied as exc:
            raise refuse(str(exc)) from exc
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            # Where a cohort went is named only when the viewer may see that session.
            visible = set(
                selectors.sessions_visible_to(user)
                .filter(pk__in=[r.session.pk for r in result.rebooked])
                .values_list("pk", flat=True)
            )
            return render(
                request,
                "training/session_cancelled.html",
                {
                    "session": result.session,
                    "rebooked": [(r, r.session.pk in visible) for r in result.rebooked],
                    "unbooked": result.unbooked,
                    "can_run": user.is_coordinator,
                },
            )
    booked = selectors.session_bookings_visible_to(user, session)
    return render(
        request,
        "training/session_cancel.html",
        {"session": session, "form": form, "booked": booked},
        status=400 if request.method == "POST" else 200,
    )
