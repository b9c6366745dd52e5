"""``/api/v1/capability-packages``: each package the caller may see (``packages_visible_to``)
with its readiness — ready-on date, bottleneck, components and critical path — written for the
caller by ``readiness.wording.Wording``, the words the readiness pages use: never the stored facts,
which name other nations' deliveries and shipment dates. ``/history`` lists the package's
readiness changes (``changes_visible_to``) as the package page does, newest first by cursor."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django_filters import rest_framework as df
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from coordcell.readiness import selectors
from coordcell.readiness.models import CapabilityPackage
from coordcell.readiness.wording import Wording
from coordcell.registry.access import as_user, raise_not_found, refuse
from coordcell.registry.models import CategoryDomain

from .filters import CodedFilterSet, CodeFilter
from .pagination import IdCursorPagination

TAG = ["capability-packages"]


class ComponentSerializer(serializers.Serializer):
    name = serializers.ChoiceField(choices=["end items", "crews", "sustainment"])
    date = serializers.CharField(
        help_text="The part's date as you may read it: a day, a week, or empty when it is not "
        "yours to read or the part has no date."
    )
    dated = serializers.BooleanField(help_text="Whether the part has a date at all.")
    text = serializers.CharField(help_text="What the part waits for, in your words.")


class StepSerializer(serializers.Serializer):
    date = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field, not the label


class CapabilityPackageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    name = serializers.CharField()
    capability = serializers.CharField(help_text="The capability's code.")
    ready_on = serializers.DateField(
        allow_null=True, help_text="The day the package is ready; null: not within the plan."
    )
    crews_trained = serializers.BooleanField(
        help_text="Every crew is recorded trained (otherwise ready_on is expected)."
    )
    bottleneck = serializers.CharField(help_text="What the date waits for, in your words.")
    components = ComponentSerializer(many=True)
    critical_path = StepSerializer(many=True)
    computed_at = serializers.DateTimeField(allow_null=True)
    version = serializers.IntegerField()


class ReadinessChangeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    before_date = serializers.DateField(allow_null=True)
    after_date = serializers.DateField(allow_null=True)
    days_moved = serializers.IntegerField(allow_null=True)
    before = serializers.CharField(help_text="The bottleneck before, in your words.")
    after = serializers.CharField(help_text="The bottleneck after, in your words.")
    cause = serializers.CharField(help_text="What moved it, as far as you may read it.")


class HistoryPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text="The next (older) page.")
    previous = serializers.URLField(allow_null=True)
    results = ReadinessChangeSerializer(many=True)


def _package(words: Wording, p: CapabilityPackage) -> dict[str, Any]:
    return {
        "id": p.pk,
        "reference": p.reference,
        "name": p.name,
        "capability": p.capability.code,
        "ready_on": p.ready_on,
        "crews_trained": words.crews_trained(p),
        "bottleneck": words.bottleneck(p),
        "components": [
            {"name": c.name, "date": c.date, "dated": c.dated, "text": c.text}
            for c in words.components(p)
        ],
        "critical_path": [{"date": s.date, "label": s.label} for s in words.critical_path(p)],
        "computed_at": p.computed_at,
        "version": p.version,
    }


class PackageFilter(CodedFilterSet):
    """By the codes people use: the package's reference or its capability's code."""

    code = django_filters.CharFilter(
        method="by_code",
        label="The package's reference (CP-0001) or its capability's code (sp-arty), any case.",
    )
    reference = django_filters.CharFilter(lookup_expr="iexact", label="CP-0001, any case.")
    capability = CodeFilter(field_name="capability", label="The capability's code.")
    domain = django_filters.ChoiceFilter(
        field_name="capability__coalition__domain",
        choices=CategoryDomain.choices,
        label="The capability coalition's domain.",
    )
    ready_before = django_filters.DateFilter(
        field_name="ready_on", lookup_expr="lte", label="Ready on or before this day."
    )

    class Meta:
        model = CapabilityPackage
        fields = ["code", "reference", "capability", "domain", "ready_before"]

    def by_code(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        text = value.strip()
        return queryset.filter(Q(reference__iexact=text) | Q(capability__code__iexact=text))


class HistoryPagination(IdCursorPagination):
    page_size = 50


@extend_schema_view(
    list=extend_schema(summary="List capability packages with their readiness", tags=TAG),
    retrieve=extend_schema(summary="Read a capability package's readiness", tags=TAG),
)
class CapabilityPackageViewSet(viewsets.ReadOnlyModelViewSet):
    """Capability packages: only those you may see, in the words the readiness pages use."""

    serializer_class = CapabilityPackageSerializer
    filter_backends = [df.DjangoFilterBackend]
    filterset_class = PackageFilter
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return CapabilityPackage.objects.none()
        if as_user(self.request.user) is None:
            raise refuse("not an active user")
        return selectors.packages_visible_to(self.request.user).order_by("reference", "pk")

    def get_object(self) -> Any:
        pk = self.kwargs["pk"]
        found = self.get_queryset().filter(pk=pk).first()
        if found is None:
            raise_not_found(self.get_queryset(), pk=pk)
        return found

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        assert page is not None  # the API always pages
        words = Wording.for_page(request.user, page)
        return self.get_paginated_response([_package(words, p) for p in page])

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        package = self.get_object()
        return Response(_package(Wording.for_page(request.user, [package]), package))

    @extend_schema(
        summary="A capability package's readiness history",
        description="What moved the package's ready-on date or bottleneck, newest first, as "
        "the package page lists it. A change in which nothing you may read moved is left out, "
        "so a page may hold fewer rows than asked: follow `next`.",
        responses={200: HistoryPageSerializer},
        tags=TAG,
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="history",
        pagination_class=HistoryPagination,
        filter_backends=[],
        serializer_class=ReadinessChangeSerializer,
    )
    def history(self, request: Request, pk: str | None = None) -> Response:
        package = self.get_object()
        changes: Any = selectors.changes_visible_to(request.user).filter(package=package)
        page = self.paginate_queryset(changes)
        assert page is not None
        words = Wording.for_page(request.user, [package], page)
        rows = []
        for change in page:
            said = words.change(change)
            if said is None:
                continue
            rows.append(
                {
                    "id": change.pk,
                    "at": change.at,
                    "before_date": change.before_date,
                    "after_date": change.after_date,
                    "days_moved": change.days_moved,
                    "before": said.before,
                    "after": said.after,
                    "cause": said.cause,
                }
            )
        return self.get_paginated_response(rows)
