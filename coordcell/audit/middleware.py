"""Refused accesses to objects go into the audit trail, like log-ins and changes."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import transaction
from django.http import HttpRequest, HttpResponse

from coordcell.registry.client_address import client_address

from .services import record

logger = logging.getLogger("coordcell.security")


class RefusedAccessMiddleware:
    """A logged-in user answered 403 or 404 on an object's URL (another nation's pledge, a route
    they may not see...) is recorded: who, which URL, which method, from where."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        user = getattr(request, "user", None)
        if (
            response.status_code in (403, 404)
            and match is not None
            and match.kwargs
            and user is not None
            and user.is_authenticated
        ):
            detail = {
                "method": request.method,
                "status": response.status_code,
                "address": client_address(request),
            }
            logger.warning("access refused: %s %s %s", user, request.method, request.path)
            with transaction.atomic():
                record(
                    actor=user,
                    verb="access-refused",
                    target_type=match.view_name or "",
                    target_id=str(next(iter(match.kwargs.values())))[:40],
                    target_repr=request.path[:200],
                    data=detail,
                )
        return response
