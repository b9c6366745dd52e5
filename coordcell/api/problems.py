"""Errors as RFC 9457 problem details (``application/problem+json``).

Every error carries ``type``, ``title``, ``status`` and ``detail``; a validation error also an
``errors`` list naming each field (``field`` and a JSON ``pointer``) with what is wrong there.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response

from coordcell.audit.services import StaleEditError
from coordcell.registry.access import is_refusal, note_refusal

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
    415: ("unsupported-media-type", "Unsupported media type."),
    429: ("throttled", "Too many requests."),
}


class ConflictError(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the stored record."
    default_code = "conflict"


def flatten(detail: Any, prefix: str = "") -> list[dict[str, str]]:
    """DRF's nested error detail as a flat list of {field, pointer, detail, code}."""
    out: list[dict[str, str]] = []
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
                "field": prefix or None,  # type: ignore[dict-item]
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


def problem(
    status_code: int, detail: str, errors: list[dict[str, str]] | None = None, **extra: Any
) -> Response:
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
    return Response(body, status=status_code, content_type=PROBLEM_JSON)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's EXCEPTION_HANDLER: every error the API answers is a problem document.

    Refusals (out of scope, or not allowed to the role) are marked for the audit trail, like the
    pages' (coordcell.audit.middleware); a plain not-found is not."""
    if is_refusal(exc) or isinstance(exc, exceptions.PermissionDenied):
        note_refusal(context.get("request"), str(exc) or type(exc).__name__)
    if isinstance(exc, StaleEditError):
        exc = ConflictError(str(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound("No such object, or it is not yours to see.")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(django_errors(exc))
    if not isinstance(exc, exceptions.APIException):
        return None  # a server error: Django's 500 handling and logging
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header  # type: ignore[attr-defined]
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))  # type: ignore[attr-defined]
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
