"""Session and response hardening that applies to every page."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext

LOGIN_AT = "_cc_login_at"
SEEN_AT = "_cc_seen_at"


class SessionTimeoutMiddleware:
    """Log out after ``COORDCELL_IDLE_MINUTES`` without a request, and in any case
    ``COORDCELL_SESSION_HOURS`` after logging in (idle and absolute timeouts)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            now = time.time()
            login_at = request.session.setdefault(LOGIN_AT, now)
            seen_at = request.session.get(SEEN_AT, now)
            idle = settings.COORDCELL_IDLE_MINUTES * 60
            absolute = settings.COORDCELL_SESSION_HOURS * 3600
            if now - seen_at > idle or now - login_at > absolute:
                logout(request)
                messages.info(request, gettext("Your session expired: please log in again."))
                return redirect_to_login(request.get_full_path())
            if SEEN_AT not in request.session or now - seen_at > 60:
                # A minute's precision is enough, and spares a session write on every request.
                request.session[SEEN_AT] = now
        return self.get_response(request)


class NoStoreMiddleware:
    """Pages with a logged-in user's data are never kept in a browser or proxy cache."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            patch_cache_control(response, no_store=True, private=True)
        return response
