"""The OpenAPI description of what the views do not say themselves: the token scheme and the
problem-details answers every operation can give."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension

_PROBLEM = {
    "type": "object",
    "description": "RFC 9457 problem details.",
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": ["string", "null"]},
                    "pointer": {"type": "string"},
                    "detail": {"type": "string"},
                    "code": {"type": "string"},
                },
                "required": ["field", "pointer", "detail", "code"],
            },
        },
    },
    "required": ["type", "title", "status", "detail"],
}

_WHEN = {
    "400": "Invalid fields or parameters; `errors` names each one.",
    "401": "No valid token or session.",
    "403": "Your role may not do this.",
    "404": "No such object, or it is outside what you may see.",
    "405": "Method not allowed here.",
    "406": "Not acceptable.",
    "409": "A stale `version`, or the object is still in use.",
    "415": "Send application/json.",
}


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "coordcell.api.authentication.BearerTokenAuthentication"
    name = "bearerToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal token from the API tokens page or `coordcell token create`.",
        }


def add_problem_responses(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: document the error answers of every operation."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = _PROBLEM
    ref = {"$ref": "#/components/schemas/Problem"}
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            codes = ["400", "401", "403", "404", "405", "406"]
            if method in {"post", "put", "patch", "delete"}:
                codes += ["409", "415"]
            responses = operation.setdefault("responses", {})
            for code in codes:
                content = {"application/problem+json": {"schema": ref}}
                responses.setdefault(code, {"description": _WHEN[code], "content": content})
    return result


def _enum_type(values: list[Any]) -> str | None:
    kinds = {type(v) for v in values if v is not None}
    if kinds == {str}:
        return "string"
    if kinds == {int}:
        return "integer"
    return None


def type_enumerations(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: every enumeration typed as its values are (strings
    for a category's domain, also where a filter names it through a related field, which the
    generator types as the related key's integer; a blank choice as a string)."""

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            values = node.get("enum")
            if isinstance(values, list) and values:
                kind = _enum_type(values)
                if kind is not None:
                    node["type"] = [kind, "null"] if None in values else kind
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(result)
    return result
