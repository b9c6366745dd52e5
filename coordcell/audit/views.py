from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render

from coordcell.htmx import HtmxHttpRequest
from coordcell.registry.access import as_user, refuse
from coordcell.registry.registers import filter_errors, page_or_error

from .filters import AuditEventFilter
from .selectors import audit_events_visible_to
from .services import current_head


def audit_trail(request: HtmxHttpRequest) -> HttpResponse:
    user = as_user(request.user)
    if user is None or not user.sees_everything:
        raise refuse("the audit trail is for the cell and auditors")
    events = audit_events_visible_to(user)
    filterset = AuditEventFilter(request.GET, queryset=events)
    # A value the filter cannot read shows no event, and says why (never the whole trail).
    qs = filterset.qs if filterset.is_valid() else events.none()
    page, page_error = page_or_error(Paginator(qs.order_by("-seq"), 100), request.GET.get("page"))
    list_errors = filter_errors(filterset) + ([page_error] if page_error else [])
    params = request.GET.copy()
    params.pop("page", None)
    seq, head = current_head()
    template = "audit/trail.html"
    if request.htmx and not request.htmx.boosted:
        template += "#results"
    return render(
        request,
        template,
        {
            "filterset": filterset,
            "page": page,
            "params": params.urlencode(),
            "head_seq": seq,
            "head_hash": head,
            "list_errors": list_errors,
        },
        status=400 if list_errors else 200,
    )
