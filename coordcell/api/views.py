"""API endpoints beyond the registers (the audit trail, who am I) and the pages around the API:
the interactive documentation and the user's own tokens."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, filters, viewsets
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from coordcell.audit.filters import AuditEventFilter
from coordcell.audit.models import AuditEvent
from coordcell.audit.selectors import audit_events_visible_to
from coordcell.registry.access import as_user, get_visible_or_404, refuse
from coordcell.registry.models import User

from .changes import (
    BY_NAME,
    FEED_TYPES,
    MAX_PAGE_SIZE,
    PAGE_SIZE,
    ChangeFeed,
    decode_cursor,
    encode_cursor,
)
from .pagination import SeqCursorPagination
from .problems import problem
from .serializers import (
    AuditEventSerializer,
    ChangePageSerializer,
    ChangeSerializer,
    MeSerializer,
)
from .services import can_create_token, token_create, token_revoke, tokens_of


class SeqOrderingFilter(filters.OrderingFilter):
    """``ordering=at`` is ``ordering=seq``: events are appended in time order, and the cursor
    needs the unique key (several events of one bulk change share their time)."""

    def get_ordering(self, request: Request, queryset: Any, view: Any) -> list[str]:
        ordering = super().get_ordering(request, queryset, view) or ["-seq"]
        return [f"{'-' if key.startswith('-') else ''}seq" for key in ordering[:1]]


@extend_schema(tags=["audit-events"])
class AuditEventViewSet(viewsets.ReadOnlyModelViewSet):
    """The audit trail, for auditors and coordinators; nobody else sees an event."""

    serializer_class = AuditEventSerializer
    lookup_field = "seq"
    lookup_value_regex = r"\d+"
    filter_backends = [DjangoFilterBackend, SeqOrderingFilter]
    filterset_class = AuditEventFilter
    ordering_fields = ["seq", "at"]
    pagination_class = SeqCursorPagination

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # the schema's generator, not a request
            return AuditEvent.objects.none()
        user = as_user(self.request.user)
        if user is None or not user.sees_everything:
            # Like the trail's page: not a list that is empty for you, a list you may not open.
            raise refuse("the audit trail is for the cell and auditors")
        return audit_events_visible_to(user).order_by("-seq")


@extend_schema(responses=MeSerializer, tags=["me"], summary="Who the token or session is")
@api_view(["GET"])
def me(request: Request) -> Response:
    user = request.user
    assert isinstance(user, User)  # the API's default permission is IsAuthenticated
    return Response(
        {
            "username": user.username,
            "role": user.role,
            "nation": user.nation.code if user.nation else None,
        }
    )


@extend_schema(
    tags=["changes"],
    summary="What changed, in commit order, among the records you may read",
    description=(
        "Follow it from the start (no `after`) or from the `cursor` of your last answer. A page "
        "lists at most `page_size` changes; it may list fewer (even none) and still have a "
        "`next`: follow `next` until it is null, then keep `cursor` for the next time. "
        "Only records you may read now are listed (docs/api.md, 'The change feed')."
    ),
    parameters=[
        OpenApiParameter(
            "after", str, description="A `cursor` from an earlier answer (opaque).", required=False
        ),
        OpenApiParameter(
            "page_size",
            int,
            description=f"At most {MAX_PAGE_SIZE}; {PAGE_SIZE} by default.",
            required=False,
        ),
        OpenApiParameter(
            "type",
            str,
            description="Only these record types, comma-separated: "
            + ", ".join(t.name for t in FEED_TYPES),
            required=False,
        ),
    ],
    responses=ChangePageSerializer,
)
@api_view(["GET"])
def changes(request: Request) -> Response:
    """The change feed (coordcell/api/changes.py)."""
    params = request.query_params
    errors: dict[str, list[str]] = {}
    after, notification = 0, 0
    if params.get("after"):
        try:
            after, notification = decode_cursor(params["after"])
        except ValueError:
            errors["after"] = ["Send a `cursor` (or `next` link) this feed gave you, unchanged."]
    size = PAGE_SIZE
    if params.get("page_size"):
        text = params["page_size"]
        if not (text.isdigit() and 1 <= int(text[:6]) <= MAX_PAGE_SIZE):
            errors["page_size"] = [f"A whole number from 1 to {MAX_PAGE_SIZE}."]
        else:
            size = int(text)
    types = list(FEED_TYPES)
    if params.get("type"):
        names = [n.strip() for n in params["type"].split(",") if n.strip()]
        unknown = [n for n in names if n not in BY_NAME]
        if unknown or not names:
            errors["type"] = [
                f"Unknown type {', '.join(unknown)[:100]!r}; one of: "
                + ", ".join(t.name for t in FEED_TYPES)
            ]
        else:
            types = [BY_NAME[n] for n in names]
    if errors:
        raise exceptions.ValidationError(errors)
    page = ChangeFeed(request.user, types).page(after=after, size=size, notification=notification)
    cursor = encode_cursor(page.position, page.notification)
    query = params.copy()
    query["after"] = cursor
    results = [
        {
            "type": c.type.name,
            "id": c.id,
            "version": c.version,
            "verb": c.verb,
            "at": c.at,
            "url": (
                request.build_absolute_uri(
                    reverse(f"api-{c.type.resource}-detail", args=[c.resource_id])
                )
                if c.type.resource
                else None
            ),
        }
        for c in page.changes
    ]
    return Response(
        {
            "results": ChangeSerializer(results, many=True).data,
            "next": request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
            if page.more
            else None,
            "cursor": cursor,
        }
    )


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE"])
@permission_classes([AllowAny])
def not_found(request: Request, rest: str = "") -> Response:
    """Anything under /api/v1/ that names no operation: a problem document, not the site's page."""
    return problem(404, f"No API operation at {request.path}: see /api/v1/docs.")


def api_docs(request: HttpRequest) -> HttpResponse:
    """Swagger UI, vendored, reading /api/v1/schema with the page's session."""
    return render(request, "api/docs.html")


@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    """The user's own tokens: create one (shown once) or revoke one."""
    user = as_user(request.user)
    if user is None:
        raise refuse("not an active user")
    may_create = can_create_token(user, user)
    new_token = ""
    if request.method == "POST":
        if not may_create:
            raise refuse("an auditor creates no token")
        name = request.POST.get("name", "").strip()[:100]
        if not name:
            messages.error(request, "Name the token after what will use it, e.g. 'stock sync'.")
        else:
            _, new_token = token_create(actor=user, user=user, name=name)
    return render(
        request,
        "api/tokens.html",
        {"tokens": tokens_of(user), "new_token": new_token, "may_create": may_create},
    )


@require_POST
def token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = as_user(request.user)
    token = get_visible_or_404(tokens_of(user), pk=pk)
    token_revoke(actor=user, token=token)
    messages.success(request, f"Revoked {token}.")
    return HttpResponseRedirect(reverse("api-tokens"))
