"""How API lists are cut into pages.

Registers (pledges, requirements, reference data) page by number: ``?page=N&page_size=M``, with
the total ``count``. Lists that grow without bound (the audit trail) page by cursor: each page
names the next one (``next``/``previous`` links carrying ``?cursor=``), found through the unique
``seq`` index, so the ten-thousandth page costs what the first does (no OFFSET, no COUNT).
"""

from __future__ import annotations

from typing import Any, cast

from rest_framework import exceptions
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.request import Request

from coordcell.bounds import BIGINT


class PageSizeChecked:
    """``page_size`` must be a whole number from 1 (more than the most is served as the most):
    DRF serves the default for anything else, so that ``page_size=-1.5`` looked accepted."""

    page_size_query_param = "page_size"

    def get_page_size(self, request: Request) -> int | None:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is not None and not (raw.isdigit() and int(raw[:12]) >= 1):
            raise exceptions.ValidationError({"page_size": ["A whole number from 1 to 1000."]})
        return super().get_page_size(request)  # type: ignore[misc]


class Pagination(PageSizeChecked, PageNumberPagination):
    """?page=N&page_size=M (at most 1000): big enough for a nightly sync, small enough to serve."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 1000


class SeqCursorPagination(PageSizeChecked, CursorPagination):
    """Newest first by ``seq`` (unique, indexed); ``?page_size=M`` (at most 1000) as elsewhere."""

    ordering = "-seq"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 1000

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> Any:
        if "page" in request.query_params:
            # Silently serving the first page to a client that asks for page N would be wrong.
            raise exceptions.ValidationError(
                {
                    "page": [
                        "This list pages by cursor: follow the `next` link of each answer "
                        "(?cursor=...) instead of asking for a page number."
                    ]
                }
            )
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request: Request) -> Any:
        """DRF's, and the position must be a sequence number: another one is malformed (404)."""
        cursor = super().decode_cursor(request)
        # The query's text: djangorestframework-stubs type it as an int.
        position = None if cursor is None else cast("str | None", cursor.position)
        if position is not None and not (
            position.isdigit() and len(position) <= 19 and int(position) <= BIGINT[1]
        ):
            raise exceptions.NotFound(self.invalid_cursor_message)
        return cursor
