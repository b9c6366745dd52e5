"""Reports pages: the charts of the current picture, the briefing (PDF, XLSX), drill-down lists."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from coordcell.htmx import HtmxHttpRequest
from coordcell.registry.access import as_user, not_found, refuse
from coordcell.registry.models import User
from coordcell.registry.registers import page_or_error

from . import briefing
from .lists import LISTS
from .reuse import reuse_figures
from .scope import ScopeForm


def _reader(request: HttpRequest) -> User:
    """Reports show pledges and requirements: the cell, auditors, donors and the recipient."""
    user = as_user(request.user)
    if user is None or not (
        user.sees_everything or user.is_donor_liaison or user.is_recipient_liaison
    ):
        raise refuse("reports are not for this role")
    return user


def _scope_form(request: HttpRequest, user: User) -> ScopeForm:
    return ScopeForm(request.GET or None, user=user)


def reports_page(request: HtmxHttpRequest) -> HttpResponse:
    user = _reader(request)
    form = _scope_form(request, user)
    scope = form.scope()
    today = timezone.now().date()
    figures = reuse_figures(
        "reports", user, today, scope=scope.query(), refresh="refresh" in request.GET
    )
    from coordcell.logistics.ledger_panel import REQUIREMENT_ROWS, ledger_by_category
    from coordcell.requirements.selectors import requirements_visible_to

    in_scope = scope.requirements(requirements_visible_to(user)).exclude(cancelled_at__isnull=False)
    keys, ledger_rows = ledger_by_category(user, in_scope)
    labels = dict(REQUIREMENT_ROWS)
    context: dict[str, Any] = {
        "form": form,
        "scope": scope,
        "ledger_labels": [labels[k] for k in keys],
        "ledger_rows": ledger_rows,
        # Not in the sums: their need is not known (never counted as 0).
        "ledger_undisclosed": in_scope.filter(quantity__isnull=True).count(),
        "summary": figures.value.summary,
        "charts": figures.value.charts,
        "figures": figures,
        "query": scope.query(),
    }
    template = "reports/index.html"
    if request.htmx and not request.htmx.boosted:
        template += "#charts"
    return render(request, template, context, status=400 if form.errors else 200)


def briefing_pdf(request: HttpRequest) -> HttpResponse:
    user = _reader(request)
    scope = _scope_form(request, user).scope()
    content = briefing.pdf(user, scope)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{briefing.filename(scope, "pdf")}"'
    return response


def briefing_xlsx(request: HttpRequest) -> HttpResponse:
    user = _reader(request)
    scope = _scope_form(request, user).scope()
    content = briefing.xlsx(user, scope)
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{briefing.filename(scope, "xlsx")}"'
    return response


def drill_list(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    user = as_user(request.user)
    spec = LISTS.get(slug)
    if spec is None:
        raise not_found(f"no list {slug!r}")
    if user is None:
        raise refuse("not an active user")
    qs = spec.queryset(user, timezone.now().date())
    sorts = {key for _l, _g, key in spec.columns}
    sort = request.GET.get("sort", spec.default_sort)
    list_errors = []
    if sort.lstrip("-") not in sorts:
        error = _("Sort (%(sort)s): the list does not sort by this.") % {"sort": sort[:40]}
        list_errors.append(error)
        sort = spec.default_sort
        qs = qs.none()  # never shown as if sorted
    qs = qs.order_by(sort, "pk")
    page, page_error = page_or_error(Paginator(qs, 50), request.GET.get("page"))
    list_errors += [page_error] if page_error else []
    rows = [
        (spec.detail_url.format(pk=obj.pk), [getter(obj) for _l, getter, _k in spec.columns])
        for obj in page
    ]
    headers = [
        (
            label,
            key,
            f"-{key}" if sort == key else key,
            sort.lstrip("-") == key,
            sort.startswith("-"),
        )
        for label, _g, key in spec.columns
    ]
    template = "reports/list.html"
    if request.htmx and not request.htmx.boosted:
        template += "#results"
    return render(
        request,
        template,
        {
            "spec": spec,
            "page": page,
            "rows": rows,
            "headers": headers,
            "sort": sort,
            "list_errors": list_errors,
        },
        status=400 if list_errors else 200,
    )
