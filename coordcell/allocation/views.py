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
from django.utils.http import content_disposition_header, urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from coordcell.audit.services import StaleEditError
from coordcell.bounds import VERSION_MAX
from coordcell.htmx import HtmxHttpRequest
from coordcell.registry.access import as_user, get_visible_or_404, not_found, refuse
from coordcell.registry.registers import page_or_error

from . import overview, resilience, selectors, services
from .forms import LineEditForm, RunForm, WhatIfChanges, WhatIfForm
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
        # A re-plan without a hub may come out a little better than the plan itself: the plan
        # is within 0.05% of its optimum, the re-plans mostly solved exactly. Within that
        # accuracy it is no loss: shown as none, and said under the table.
        losses = [
            {
                **x,
                "name": names.get(x["hub_id"], x["hub_id"]),
                "p1_lost_shown": max(0, x["p1_lost"]),
                "objective_lost_shown": max(0.0, x["objective_lost"]),
                "delivered_lost_shown": max(0, x["delivered_lost"]),
                "better": min(x["p1_lost"], x["objective_lost"], x["delivered_lost"]) < 0,
            }
            for x in resilience.readiness_moves(n1["losses"])
        ]
    return {
        "exposure": data["exposure"],
        "exposure_hubs": hubs,
        "exposure_chart": resilience.exposure_chart(data),
        "n_minus_one": n1,
        "n_minus_one_losses": losses,
        "n_minus_one_better": any(x["better"] for x in losses or []),
        "n_minus_one_chart": resilience.n_minus_one_chart(data) if n1 else None,
        "resilient": data.get("resilient"),
    }


LINES_PER_PAGE = 100
SHORTFALLS_PER_PAGE = 50


def _line_filters(
    request: HttpRequest, choices: dict[str, list[tuple[str, str]]]
) -> tuple[dict[str, Any], list[str]]:
    """The lines filter's values from ``?donor=&category=&hub=&priority=&sort=``, and what is
    wrong with them in words (a bad value filters nothing silently: it is refused)."""
    values: dict[str, Any] = {}
    errors: list[str] = []
    labels = {"donor": _("donor"), "category": _("category"), "hub": _("hub")}
    for name, label in labels.items():
        value = request.GET.get(name, "").strip()
        if value and value not in {code for code, _name in choices[name]}:
            errors.append(
                _("“%(value)s” is not a %(what)s of this run's lines.")
                % {"value": value[:40], "what": label}
            )
        values[name] = value
    raw = request.GET.get("priority", "").strip()
    values["priority"] = None
    if raw:
        if raw in {"1", "2", "3", "4", "5"}:
            values["priority"] = int(raw)
        else:
            errors.append(_("“%(value)s” is not a priority: give 1 to 5.") % {"value": raw[:20]})
    sort = request.GET.get("sort", "priority")
    if sort.lstrip("-") not in selectors.LINE_SORTS:
        errors.append(_("“%(value)s” is not a column to sort by.") % {"value": sort[:20]})
        sort = "priority"
    values["sort"] = sort
    return values, errors


def run_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    run = _get_run_for_user(request, pk)
    if request.htmx and request.GET.get("part") == "progress":
        if run.status in (AllocationRun.Status.QUEUED, AllocationRun.Status.RUNNING):
            return render(request, "allocation/run_detail.html#progress", {"run": run})
        response = HttpResponse()
        response["HX-Refresh"] = "true"  # finished: show the whole result
        return response
    choices = selectors.line_filter_choices(run)
    filters, errors = _line_filters(request, choices)
    lines = selectors.lines_of(run, **filters)
    if errors:
        lines = lines.none()
    page, page_error = page_or_error(Paginator(lines, LINES_PER_PAGE), request.GET.get("page"))
    for line in page:  # weeks as the dates of their Mondays
        line.leaves_origin = run.week_start(line.dispatch_week)
        line.leaves_hub = run.week_start(line.hub_week)
        line.arrives = run.week_start(line.arrival_week)
    shortfalls = selectors.shortfalls_of(run).select_related("requirement__delivery_point")
    if filters["category"]:
        shortfalls = shortfalls.filter(requirement__category__code=filters["category"])
    if filters["priority"] is not None:
        shortfalls = shortfalls.filter(requirement__priority=filters["priority"])
    if errors:
        shortfalls = shortfalls.none()
    spage, spage_error = page_or_error(
        Paginator(shortfalls, SHORTFALLS_PER_PAGE), request.GET.get("spage")
    )
    errors += [e for e in (page_error, spage_error) if e]
    query = {k: v for k, v in filters.items() if v not in ("", None) and k != "sort"}
    context = {
        "run": run,
        "page": page,
        "explanations": overview.shortfall_rows(run, list(spage)),
        "spage": spage,
        "filters": filters,
        "sort": filters["sort"],
        "query": urlencode(query),
        "filter_errors": errors,
        "choices": choices,
        "met": overview.demand_met(run),
        "packages": overview.shortfalls_by_package(run),
        "near_capacity": overview.hubs_near_capacity(run),
        "by_donor": selectors.units_by(run, "pledge__donor__name"),
        "by_hub": selectors.units_by(run, "hub__name"),
        "changes": [describe(c) for c in run.changes],
        "can_commit": selectors.can_commit_run(request.user, run)
        and run.status == AllocationRun.Status.SOLVED
        and run.kind == AllocationRun.Kind.PLAN,
        "can_edit": selectors.can_edit_run_lines(request.user, run)
        and run.status == AllocationRun.Status.SOLVED,
        "can_whatif": selectors.can_create_run(request.user)
        and run.status not in (AllocationRun.Status.QUEUED, AllocationRun.Status.RUNNING),
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
    return render(request, template, context, status=400 if errors else 200)


def _version(text: str | None) -> int | None:
    """The version the page was rendered with; None (no check) when missing or not a version."""
    try:
        value = int(text or "")
    except ValueError:
        return None
    return value if 1 <= value <= VERSION_MAX else None


@require_http_methods(["GET", "POST"])
def run_commit(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: what committing the run will create and change, and the button that does it.
    POST: commits, only with that page's confirmation (``confirm=yes``); without it the page
    answers again with the summary."""
    run = _get_run_for_user(request, pk)
    user = as_user(request.user)
    if user is None or not selectors.can_commit_run(user, run):
        raise refuse("only coordinators change runs")
    error = ""
    if request.method == "POST":
        if request.POST.get("confirm") != "yes":
            error = str(_("Confirm the commit: read what it will create, then commit."))
        else:
            try:
                services.run_commit(
                    actor=user, run=run, expected_version=_version(request.POST.get("version"))
                )
            except StaleEditError as exc:
                messages.error(request, str(exc))
                return HttpResponseRedirect(reverse("allocation:commit", args=[run.pk]), status=303)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(
                    request,
                    _("%(run)s committed: pledges allocated, shipments planned.")
                    % {"run": run.reference},
                )
            return HttpResponseRedirect(reverse("allocation:detail", args=[run.pk]))
    return render(
        request,
        "allocation/commit_confirm.html",
        {
            "run": run,
            "preview": selectors.commit_preview(run),
            "replan_from": services.replan_start(run),
            "committable": run.status == AllocationRun.Status.SOLVED
            and run.kind == AllocationRun.Kind.PLAN,
            "error": error,
        },
        status=400 if error else 200,
    )


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


@require_http_methods(["GET", "POST"])
def run_whatif(request: HttpRequest, pk: int) -> HttpResponse:
    """The what-if form: changes in fields (a pledge's new date, a hub's capacity between two
    dates...), several at once; on an error every error in words, the input kept."""
    base = _get_run_for_user(request, pk)
    user = as_user(request.user)
    if user is None or not selectors.can_create_run(user):
        raise refuse("only coordinators change runs")
    if request.method == "POST" and "change" in request.POST:
        return _whatif_one_change(request, user, base)
    form = WhatIfChanges(base, request.POST if request.method == "POST" else None)
    refused: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            run = services.whatif_create(actor=user, base=base, changes=form.changes())
        except ValidationError as exc:
            refused = exc.messages
        else:
            return HttpResponseRedirect(reverse("allocation:detail", args=[run.pk]))
    errors = [*form.errors(), *refused] if request.method == "POST" else []
    return render(
        request,
        "allocation/whatif.html",
        {
            "run": base,
            "form": form,
            "errors": errors,
            "base_changes": [describe(c) for c in base.changes],
        },
        status=400 if request.method == "POST" else 200,
    )


def _whatif_one_change(request: HttpRequest, user: Any, base: AllocationRun) -> HttpResponse:
    """The earlier one-change form (``change=close_hub&hub=...``, with ``more_changes`` as a
    JSON list), kept for scripts that post it."""
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
