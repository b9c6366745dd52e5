from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render

from coordcell.htmx import HtmxHttpRequest
from coordcell.registry.access import as_user, refuse

from .filters import AuditEventFilter
from .selectors import audit_events_visible_to
from .services import current_head


def audit_trail(request: HtmxHttpRequest) -> HttpResponse:
    user = as_user(request.user)
    if user is None or not user.sees_everything:
        raise refuse("the audit trail is for the cell and auditors")
    events = audit_events_visible_to(user)
    filterset = AuditEventFilter(request.GET, queryset=events)
    page = Paginator(filterset.qs.order_by("-seq"), 100).get_page(request.GET.get("page"))
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
        },
    )
