"""Refused requests go into the audit trail, like log-ins and changes.

A refusal is what a view (or the API) raised as one: ``registry.access.Refused`` (out of scope:
another nation's object, a page the role may not open; it answers 404 like a missing object) or
``PermissionDenied`` (the role may not do this), or what a view marked with ``note_refusal`` (a
JSON 403 of a feed endpoint). A plain 404 (a made-up path or id) is not a refusal: recording
those would let anyone add audit rows at will.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import transaction
from django.http import HttpRequest, HttpResponse

from coordcell.registry.access import REFUSAL_ATTRIBUTE, is_refusal, note_refusal
from coordcell.registry.client_address import client_address

from .services import record

logger = logging.getLogger("coordcell.security")


class RefusedAccessMiddleware:
    """Who was refused what: which URL (and the object it names), method, answer, from where."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        reason = getattr(request, REFUSAL_ATTRIBUTE, None)
        user = getattr(request, "user", None)  # a token user too: DRF sets it on the request
        if reason is not None and user is not None and user.is_authenticated:
            _record(request, response, reason)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        # Django turns the exception into the 404 or 403 answer after this; the API's exception
        # handler marks its own (coordcell.api.problems).
        if is_refusal(exception):
            note_refusal(request, str(exception) or type(exception).__name__)


def _record(request: HttpRequest, response: HttpResponse, reason: str) -> None:
    match = getattr(request, "resolver_match", None)
    kwargs = match.kwargs if match is not None else {}
    named = next((str(v) for k, v in kwargs.items() if k != "register"), "")
    logger.warning("access refused: %s %s %s", request.user, request.method, request.path)
    with transaction.atomic():
        record(
            actor=request.user,
            verb="access-refused",
            target_type=(match.view_name if match is not None else "") or "",
            target_id=named[:40],
            target_repr=request.path[:200],
            data={
                "method": request.method,
                "status": response.status_code,
                "address": client_address(request),
                "reason": reason[:200],
            },
        )
