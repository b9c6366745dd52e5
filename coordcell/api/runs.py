"""What the API's solver runs (allocation, training scheduler) share: the cell's and the
auditors' records (anyone else: 404, audited), newest first by cursor."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django_filters import rest_framework as df
from rest_framework import viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from coordcell.registry.access import get_visible_or_404, refuse

from .pagination import IdCursorPagination


class CellRunViewSet(viewsets.GenericViewSet):
    pagination_class = IdCursorPagination
    filter_backends = [df.DjangoFilterBackend]
    lookup_value_regex = r"\d+"
    refusal = ""  # why anyone else is refused (audited)

    def can_see(self, user: Any) -> bool:
        raise NotImplementedError

    def visible(self, user: Any) -> QuerySet[Any]:
        raise NotImplementedError

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):
            queryset: QuerySet[Any] = vars(type(self))["queryset"]  # the schema's: none
            return queryset
        if not self.can_see(self.request.user):
            raise refuse(self.refusal)
        return self.visible(self.request.user)

    def get_object(self) -> Any:
        return get_visible_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        data = self.get_serializer_class()(page, many=True, context={"request": request}).data
        return self.get_paginated_response(data)
