"""How API lists are cut into pages.

Registers (pledges, requirements, reference data) page by number: ``?page=N&page_size=M``, with
the total ``count``. Lists that grow without bound (the audit trail) page by cursor: each page
names the next one (``next``/``previous`` links carrying ``?cursor=``), found through the unique
``seq`` index, so the ten-thousandth page costs what the first does (no OFFSET, no COUNT).
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any, cast

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from rest_framework import exceptions
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.request import Request
from rest_framework.utils.urls import replace_query_param

from coordcell.bounds import BIGINT


class PageSizeChecked:
    """``page_size`` must be a whole number (more than 1000 gives 1000): another value is a 400,
    not silently the default page."""

    page_size_query_param = "page_size"

    def get_page_size(self, request: Request) -> int | None:
        value = request.query_params.get(self.page_size_query_param)
        if value is not None and not (value.isdigit() and 0 < len(value) <= 9 and int(value)):
            raise exceptions.ValidationError(
                {"page_size": ["Send a whole number of rows per page, from 1 to 1000."]}
            )
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


class IdCursorPagination(SeqCursorPagination):
    """Newest first by ``id`` (unique, indexed), for lists that only grow (allocation and
    scheduler runs, shipments, serial items): the same cursor as the audit trail's, on the
    primary key. The order says nothing a row does not (ids are given as records are made), never
    a shipment's route or times."""

    ordering = "-id"


class KeysetCursorPagination(SeqCursorPagination):
    """Cursor pages over a list sorted by a field that is not unique (a discrepancy's due date)
    and then its id: the cursor holds the last row's (value, id), and the next page is the rows
    after that pair, found through the index without OFFSET however many rows share a value.

    The view sets ``keyset`` to the sort (``"due_on"`` or ``"-due_on"``...) before paginating;
    the queryset must be ordered by it and then by ``pk`` in the same direction. A cursor made
    for another sort, or not made here, is malformed (404)."""

    keyset = "-id"

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> Any:
        if "page" in request.query_params:
            return super().paginate_queryset(queryset, request, view)  # the same 400
        self.request = request
        size = self.get_page_size(request) or self.page_size
        self.page_size = size
        self.base_url = request.build_absolute_uri()
        name = self.keyset.lstrip("-")
        descending = self.keyset.startswith("-")
        field = queryset.model._meta.get_field(name)
        token = request.query_params.get(self.cursor_query_param)
        backwards, after = False, None
        if token:
            backwards, after = self._decode(token, field)
        # Walking backwards is walking forwards in the reverse order.
        down = descending != backwards
        order = [f"-{name}", "-pk"] if down else [name, "pk"]
        rows = queryset.order_by(*order)
        if after is not None:
            value, pk = after
            later = Q(**{f"{name}__{'lt' if down else 'gt'}": value})
            tie = Q(**{name: value, f"pk__{'lt' if down else 'gt'}": pk})
            rows = rows.filter(later | tie)
        page = list(rows[: size + 1])
        more = len(page) > size
        page = page[:size]
        if backwards:
            page.reverse()
        self._page, self._field = page, field
        self._has_next = (more and not backwards) or (backwards and bool(page))
        self._has_previous = (more and backwards) or (not backwards and after is not None)
        return page

    def _decode(self, token: str, field: Any) -> tuple[bool, tuple[Any, int]]:
        try:
            raw = json.loads(base64.urlsafe_b64decode(token.encode("ascii")))
            sort, direction, value, pk = raw
            if sort != self.keyset or direction not in ("n", "p") or not isinstance(pk, int):
                raise ValueError(sort)
            if not 0 < pk <= BIGINT[1]:
                raise ValueError(pk)
            return direction == "p", (field.to_python(value), pk)
        except (ValueError, TypeError, UnicodeError, binascii.Error, DjangoValidationError):
            raise exceptions.NotFound(self.invalid_cursor_message) from None

    def _link(self, row: Any, direction: str) -> str:
        value = getattr(row, self._field.attname)
        text = value.isoformat() if hasattr(value, "isoformat") else value
        raw = json.dumps([self.keyset, direction, text, row.pk], separators=(",", ":"))
        token = base64.urlsafe_b64encode(raw.encode()).decode("ascii")
        return replace_query_param(self.base_url or "", self.cursor_query_param, token)

    def get_next_link(self) -> str | None:
        return self._link(self._page[-1], "n") if self._has_next and self._page else None

    def get_previous_link(self) -> str | None:
        return self._link(self._page[0], "p") if self._has_previous and self._page else None
