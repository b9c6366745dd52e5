"""Allocation pages: start a run, watch it, review it, edit a line, commit, compare a what-if."""

from __future__ import annotations

import gzip
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from coordcell.audit.services import StaleEditError
from coordcell.bounds import VERSION_MAX
from coordcell.htmx import HtmxHttpRequest
from coordcell.registry.access import as_user, get_visible_or_404, not_found, refuse

from . import resilience, selectors, services
from .forms import LineEditForm, RunForm, WhatIfForm
from .models import AllocationLine, AllocationRun
from .scenarios import describe


def _get_run_for_user(request: HttpRequest, pk: int) -> AllocationRun:
    return get_visible_or_404(selectors.runs_visible_to(request.user), pk=pk)


def run_list(request: HttpRequest) -> HttpResponse:
    if not selectors.can_see_runs(request.user):
        raise refuse("allocation runs are for the cell and auditors")
    runs = selectors.runs_visible_to(request.user)
    user = as_user(request.user)
    form = RunForm(
        request.POST or None, initial={"planning_start": services.default_planning_start()}
    )
    if request.method == "POST":
        if user is None or not selectors.can_create_run(user):
            raise refuse("only coordinators start runs")
        if form.is_valid():
            run = services.run_create(
                actor=user,
                planning_start=form.cleaned_data["planning_start"],
                horizon_weeks=form.cleaned_data["horizon_weeks"],
                replan_from=form.cleaned_data["replan_from"],
                parameters=form.parameters(),
                method=(
                    AllocationRun.Method.GREEDY
                    if form.cleaned_data["greedy"]
                    else AllocationRun.Method.OPTIMISER
                ),
            )
            return HttpResponseRedirect(reverse("allocation:detail", args=[run.pk]))
    page = Paginator(runs, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "allocation/run_list.html",
        {"page": page, "form": form, "can_run": selectors.can_create_run(user)},
        status=400 if request.method == "POST" else 200,
    )


BOUND_LABELS = {
    "lp-duals": _("the LP optimum (weak duality with the simplex or interior-point duals)"),
    "repaired-duals": _("weak duality with the first-order LP's repaired duals"),
    "lagrangian": _("the Lagrangian bound of the first-order LP's capacity prices"),
    "lexicographic-lp": _("the final stage's LP optimum (priority 1 first)"),
    "plain-plan-bound": _("the plain plan's bound (the hub share cap only takes plans away)"),
}


def _resilience_context(run: AllocationRun) -> dict[str, Any]:
    data = run.resilience or {}
    if not data.get("exposure"):
        return {"exposure": None}
    names = resilience.hub_names()
    hubs = [{**h, "name": names.get(h["hub_id"], h["hub_id"])} for h in data["exposure"]["hubs"]]
    n1 = data.get("n_minus_one")
    losses = None
    if n1:
        losses = [
            {**x, "name": names.get(x["hub_id"], x["hub_id"])}
            for x in resilience.readiness_moves(n1["losses"])
        ]
    return {
        "exposure": data["exposure"],
        "exposure_hubs": hubs,
        "exposure_chart": resilience.exposure_chart(data),
        "n_minus_one": n1,
        "n_minus_one_losses": losses,
        "n_minus_one_chart": resilience.n_minus_one_chart(data) if n1 else None,
        "resilient": data.get("resilient"),
    }


def run_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    run = _get_run_for_user(request, pk)
    if request.htmx and request.GET.get("part") == "progress":
        if run.status in (AllocationRun.Status.QUEUED, AllocationRun.Status.RUNNING):
            return render(request, "allocation/run_detail.html#progress", {"run": run})
        response = HttpResponse()
        response["HX-Refresh"] = "true"  # finished: show the whole result
        return response
    donor = request.GET.get("donor", "")
    hub = request.GET.get("hub", "")
    sort = request.GET.get("sort", "priority")
    lines = selectors.lines_of(run, donor=donor, hub=hub, sort=sort)
    page = Paginator(lines, 100).get_page(request.GET.get("page"))
    shortfalls = Paginator(selectors.shortfalls_of(run), 50).get_page(request.GET.get("spage"))
    context = {
        "run": run,
        "page": page,
        "shortfalls": shortfalls,
        "sort": sort,
        "donor": donor,
        "hub": hub,
        "by_donor": selectors.summary_by(run, "pledge__donor__name"),
        "by_hub": selectors.summary_by(run, "hub__name"),
        "changes": [describe(c) for c in run.changes],
        "can_commit": selectors.can_commit_run(request.user, run)
        and run.status == AllocationRun.Status.SOLVED
        and run.kind == AllocationRun.Kind.PLAN,
        "can_edit": selectors.can_edit_run_lines(request.user, run)
        and run.status == AllocationRun.Status.SOLVED,
        "whatif_form": WhatIfForm() if selectors.can_create_run(request.user) else None,
        "replan_from": services.replan_start(run),
        "replaces": selectors.shipments_a_commit_replaces(run),
        "bound_kinds": [
            BOUND_LABELS.get(k, k) for k in str(run.stats.get("bound_kind", "")).split(",") if k
        ],
        **_resilience_context(run),
    }
    template = "allocation/run_detail.html"
    if request.htmx and not request.htmx.boosted:
        template += "#lines"
    return render(request, template, context)


def _version(text: str | None) -> int | None:
    """The version the page was rendered with; None (no check) when missing or not a version."""
    try:
        value = int(text or "")
    except ValueError:
        return None
    return value if 1 <= value <= VERSION_MAX else None


@require_POST
def run_commit(request: HttpRequest, pk: int) -> HttpResponse:
    run = _get_run_for_user(request, pk)
    user = as_user(request.user)
    if user is None or not selectors.can_commit_run(user, run):
        raise refuse("only coordinators change runs")
    try:
        services.run_commit(
            actor=user, run=run, expected_version=_version(request.POST.get("version"))
        )
    except StaleEditError as exc:
        messages.error(request, str(exc))
        return HttpResponseRedirect(reverse("allocation:detail", args=[run.pk]), status=303)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{run.reference} committed: pledges allocated.")
    return HttpResponseRedirect(reverse("allocation:detail", args=[run.pk]))


@require_POST
def run_discard(request: HttpRequest, pk: int) -> HttpResponse:
    run = _get_run_for_user(request, pk)
    user = as_user(request.user)
    if user is None or not selectors.can_discard_run(user, run):
        raise refuse("only coordinators change runs")
    try:
        services.run_discard(actor=user, run=run)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return HttpResponseRedirect(reverse("allocation:detail", args=[run.pk]))


@require_POST
def run_whatif(request: HttpRequest, pk: int) -> HttpResponse:
    base = _get_run_for_user(request, pk)
    user = as_user(request.user)
    if user is None or not selectors.can_create_run(user):
        raise refuse("only coordinators change runs")
    form = WhatIfForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            "The what-if is incomplete: "
            + "; ".join(
                f"{name}: {' '.join(map(str, errors))}" for name, errors in form.errors.items()
            ),
        )
        return HttpResponseRedirect(reverse("allocation:detail", args=[base.pk]))
    try:
        run = services.whatif_create(actor=user, base=base, changes=form.cleaned_data["changes"])
    except ValidationError as exc:
        messages.error(request, "The what-if is refused: " + " ".join(exc.messages))
        return HttpResponseRedirect(reverse("allocation:detail", args=[base.pk]))
    return HttpResponseRedirect(reverse("allocation:detail", args=[run.pk]))


def run_compare(request: HttpRequest, pk: int) -> HttpResponse:
    run = _get_run_for_user(request, pk)
    figures = selectors.comparison(request.user, run)
    if figures is None:
        raise not_found("this run is not a what-if")
    return render(
        request,
        "allocation/compare.html",
        {
            "run": run,
            "base": figures.base,
            "changes": figures.changes[:500],
            "changed": len(figures.changes),
            "gains": figures.gains,
            "losses": figures.losses,
            "delta": figures.delta,
            "descriptions": [describe(c) for c in run.changes],
            "moves": figures.moves,
            "side_by_side": _side_by_side(figures.base, run),
        },
    )


def _side_by_side(base: AllocationRun, run: AllocationRun) -> list[dict[str, Any]]:
    """Both plans' objective, priority-1 units on time and worst single-hub loss; a resilient
    run also shows the plain plan it was weighed against."""
    out = []
    for r in (base, run):
        ex = (r.resilience or {}).get("exposure") or {}
        hubs = ex.get("hubs") or []
        res = (r.resilience or {}).get("resilient")
        out.append(
            {
                "run": r,
                "objective": r.objective,
                "p1_on_time": ex.get("p1_on_time"),
                "worst": hubs[0]["p1_on_time"] if hubs else None,
                "cap": res["cap"] if res else None,
                "plain_objective": res["plain_objective"] if res else None,
                "worst_plain": res["worst_plain"] if res else None,
            }
        )
    return out


def run_instance(request: HttpRequest, pk: int) -> HttpResponse:
    """The run's input as it was solved (docs/allocation-instance.md), to check or re-solve it
    with other tools."""
    run = _get_run_for_user(request, pk)
    if run.instance_json is None:
        raise not_found("this run has no input yet")
    response = HttpResponse(
        gzip.decompress(bytes(run.instance_json)), content_type="application/json"
    )
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"{run.reference}-instance.json"
    )
    return response


def line_edit(request: HttpRequest, pk: int, line_pk: int) -> HttpResponse:
    run = _get_run_for_user(request, pk)
    user = as_user(request.user)
    if user is None or not selectors.can_edit_run_lines(user, run):
        raise refuse("only coordinators change runs")
    line = get_visible_or_404(
        AllocationLine.objects.select_related(
            "pledge", "pledge__origin", "requirement", "requirement__delivery_point", "hub"
        ),
        run=run,
        pk=line_pk,
    )
    form = LineEditForm(request.POST or None, initial={"quantity": line.quantity, "hub": line.hub})
    if request.method == "POST" and form.is_valid():
        try:
            services.line_edit(
                actor=user,
                line=line,
                quantity=form.cleaned_data["quantity"],
                hub=form.cleaned_data["hub"],
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for name, errors in exc.error_dict.items():
                    form.add_error(name if name in form.fields else None, errors)
            else:
                form.add_error(None, exc.messages)
        except PermissionDenied as exc:
            raise refuse(str(exc)) from exc
        else:
            messages.success(request, "Line changed; the plan is still feasible.")
            return HttpResponseRedirect(reverse("allocation:detail", args=[run.pk]))
    return render(
        request,
        "allocation/line_edit.html",
        {"run": run, "line": line, "form": form},
        status=400 if request.method == "POST" else 200,
    )


def my_allocations(request: HttpRequest) -> HttpResponse:
    if not selectors.can_see_committed_lines(request.user):
        raise refuse("committed allocations are for the cell, auditors and donors")
    lines = selectors.committed_lines_visible_to(request.user)
    page = Paginator(lines.order_by("arrival_week", "pk"), 100).get_page(request.GET.get("page"))
    return render(request, "allocation/my_allocations.html", {"page": page})
