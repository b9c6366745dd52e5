"""The API's JSON parser: DRF's, made safe for whatever a client sends."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import exceptions, parsers, status

from coordcell.bounds import json_loads


class TooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "too_large"


class JSONParser(parsers.JSONParser):
    """JSON nested without end (``[[[[…]]]]``) is a 400, not the ``RecursionError`` of Python's
    parser; NaN and Infinity are refused; a body beyond ``DATA_UPLOAD_MAX_MEMORY_SIZE`` is a 413
    (DRF reads the stream itself, past Django's own check of that size)."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read() if limit is None else stream.read(limit + 1)
        if limit is not None and len(raw) > limit:
            raise TooLarge(f"The body is larger than {limit:,} bytes.")
        try:
            return json_loads(raw.decode(encoding))
        except ValueError as exc:  # UnicodeDecodeError and TooDeep included
            raise exceptions.ParseError(f"JSON parse error - {exc}") from None
