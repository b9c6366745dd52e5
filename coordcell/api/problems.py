"""Errors as RFC 9457 problem details (``application/problem+json``).

Every error carries ``type``, ``title``, ``status`` and ``detail``; a validation error also an
``errors`` list naming each field (``field`` and a JSON ``pointer``) with what is wrong there.
Every error under ``/api/v1/`` is one, a server error included: the views' through DRF's
exception handler below, the rest (a failing middleware, a response that cannot be rendered)
through Django's error handlers (``handler400`` ... ``handler500`` in coordcell/urls.py).
"""

from __future__ import annotations

import logging
from typing import Any, TypedDict

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import set_rollback

from coordcell.audit.services import StaleEditError
from coordcell.registry.access import is_refusal, note_refusal

from .parsers import TooLarge

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://coordcell.org/problems/"  # names the kind of problem; see docs/api.md

_TITLES = {
    400: ("validation-error", "The request has invalid fields."),
    401: ("not-authenticated", "Authentication is needed."),
    403: ("forbidden", "You may not do this."),
    404: ("not-found", "Not found."),
    405: ("method-not-allowed", "Method not allowed."),
    406: ("not-acceptable", "Not acceptable."),
    409: ("conflict", "Conflict with the stored record."),
    413: ("too-large", "The request is too large."),
    415: ("unsupported-media-type", "Unsupported media type."),
    429: ("throttled", "Too many requests."),
    500: ("server-error", "The server failed to answer."),
}
SERVER_ERROR = (
    "Something went wrong on our side; it was logged and nothing was half-saved. Try again in a "
    "moment; if it happens again, tell the cell's coordinators."
)
logger = logging.getLogger("django.request")  # where Django logs the server errors it answers


class ConflictError(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the stored record."
    default_code = "conflict"


class ErrorItem(TypedDict):
    field: str | None  # None: the request as a whole
    pointer: str
    detail: str
    code: str


def flatten(detail: Any, prefix: str = "") -> list[ErrorItem]:
    """DRF's nested error detail as a flat list of {field, pointer, detail, code}."""
    out: list[ErrorItem] = []
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = "" if key in ("non_field_errors", "__all__") else str(key)
            out += flatten(value, f"{prefix}.{name}" if prefix and name else (name or prefix))
    elif isinstance(detail, list):
        for index, value in enumerate(detail):
            if isinstance(value, dict | list):
                out += flatten(value, f"{prefix}.{index}" if prefix else str(index))
            else:
                out += flatten(value, prefix)
    else:
        out.append(
            {
                "field": prefix or None,
                "pointer": "#/" + prefix.replace(".", "/") if prefix else "#",
                "detail": str(detail),
                "code": str(getattr(detail, "code", "invalid")),
            }
        )
    return out


def django_errors(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {
            ("non_field_errors" if k == "__all__" else k): [str(m) for e in v for m in e.messages]
            for k, v in exc.error_dict.items()
        }
    return {"non_field_errors": [str(m) for m in exc.messages]}


def problem_body(
    status_code: int, detail: str, errors: list[ErrorItem] | None = None, **extra: Any
) -> dict[str, Any]:
    slug, title = _TITLES.get(status_code, ("error", "Error."))
    body: dict[str, Any] = {
        "type": TYPE_BASE + slug,
        "title": title,
        "status": status_code,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    body.update(extra)
    return body


def problem(
    status_code: int, detail: str, errors: list[ErrorItem] | None = None, **extra: Any
) -> Response:
    body = problem_body(status_code, detail, errors, **extra)
    return Response(body, status=status_code, content_type=PROBLEM_JSON)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's EXCEPTION_HANDLER: every error the API answers is a problem document.

    Refusals (out of scope, or not allowed to the role) are marked for the audit trail, like the
    pages' (coordcell.audit.middleware); a plain not-found is not."""
    if is_refusal(exc) or isinstance(exc, exceptions.PermissionDenied):
        note_refusal(context.get("request"), str(exc) or type(exc).__name__)
    request = context.get("request")
    if request is not None:
        # In JSON, whatever the view renders otherwise (the schema's YAML).
        request.accepted_renderer = JSONRenderer()
        request.accepted_media_type = PROBLEM_JSON
    if isinstance(exc, StaleEditError):
        exc = ConflictError(str(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound("No such object, or it is not yours to see.")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(django_errors(exc))
    elif isinstance(exc, RequestDataTooBig):
        exc = TooLarge(f"The body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} bytes.")
    elif isinstance(exc, SuspiciousOperation):
        exc = exceptions.ParseError("The request could not be understood.")
    if not isinstance(exc, exceptions.APIException):
        # A server error (IntegrityError, OperationalError, a bug): logged as Django logs one,
        # answered without internals, and whatever the request wrote is rolled back.
        django_request = getattr(request, "_request", request)
        logger.error(
            "Internal Server Error: %s",
            getattr(django_request, "path", "?"),
            exc_info=(type(exc), exc, exc.__traceback__),
            extra={"status_code": 500, "request": django_request},
        )
        set_rollback()
        response = problem(500, SERVER_ERROR)
        # Django's own flag (absent from django-stubs): it does not log the error again.
        response._has_been_logged = True  # type: ignore[attr-defined]
        return response
    headers = {}
    # Set by DRF on an authentication failure, and on a throttled request.
    if auth_header := getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = auth_header
    if wait := getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(wait))
    if isinstance(exc, exceptions.ValidationError):
        errors = flatten(exc.detail)
        named = [e["field"] for e in errors if e["field"]]
        detail = (
            "Check " + ", ".join(dict.fromkeys(named)) + "."
            if named
            else " ".join(e["detail"] for e in errors)
        )
        response = problem(400, detail, errors)
    else:
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        response = problem(exc.status_code, str(detail))
    for name, value in headers.items():
        response[name] = value
    return response


# ---- Django's error handlers: problem details under /api/v1/, the site's pages elsewhere ----


def is_api(request: HttpRequest) -> bool:
    """A request to the API (its documentation page is a page)."""
    path = request.path_info
    return (path == "/api/v1" or path.startswith("/api/v1/")) and path != "/api/v1/docs"


def _problem_response(status_code: int, detail: str) -> HttpResponse:
    return JsonResponse(
        problem_body(status_code, detail), status=status_code, content_type=PROBLEM_JSON
    )


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api(request):
        return _problem_response(400, "The request could not be understood.")
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api(request):
        return _problem_response(403, str(exception) or "You may not do this.")
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api(request):
        return _problem_response(404, "No such object, or it is not yours to see.")
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if is_api(request):
        return _problem_response(500, SERVER_ERROR)
    return defaults.server_error(request)
