"""``/api/v1/capability-packages``: each package the caller may see (``packages_visible_to``)
with its readiness — ready-on date, bottleneck, components and critical path — written for the
caller by ``readiness.wording.Wording``, the words the readiness pages use: never the stored facts,
which name other nations' deliveries and shipment dates. ``/history`` lists the package's
readiness changes (``changes_visible_to``) as the package page does, newest first by cursor.

Coordinators create a package (name, capability by its code) and change it (its name, its items
as a list of requirement, role and tranche) as on the readiness pages: the page's ``PackageForm``
checks the name and capability, ``readiness.services.package_save`` saves, versioned (a stale
``version`` answers 409) and audited; ``can_save_package`` decides who may."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django_filters import rest_framework as df
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from coordcell.bounds import VERSION_MAX
from coordcell.readiness import selectors, services
from coordcell.readiness.forms import PackageForm
from coordcell.readiness.models import CapabilityPackage, PackageItem
from coordcell.readiness.wording import Wording
from coordcell.registry.access import as_user, get_visible_or_404, refuse
from coordcell.registry.models import Capability, CategoryDomain
from coordcell.requirements.models import Requirement

from .filters import CodedFilterSet, CodeFilter
from .pagination import IdCursorPagination
from .writes import form_errors

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


class PackageItemInput(serializers.Serializer):
    requirement = serializers.CharField(
        max_length=30, help_text="The requirement's reference: one of the capability's own."
    )
    role = serializers.ChoiceField(choices=PackageItem.Role.choices)
    tranche = serializers.IntegerField(
        required=False,
        default=1,
        min_value=1,
        max_value=99,
        help_text="The sustainment tranche; readiness waits for the first only.",
    )


class PackageInput(serializers.Serializer):
    """What a coordinator sends to create or change a package."""

    name = serializers.CharField(max_length=200)
    capability = serializers.CharField(
        max_length=50,
        required=False,
        help_text="The capability's code. Required to create (one package per capability); a "
        "package stays with its capability.",
    )
    items = PackageItemInput(
        many=True,
        required=False,
        help_text="The package's items, replacing those it holds; left out: unchanged.",
    )
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=VERSION_MAX,
        help_text="The version you read. Required to change: a stale one answers 409.",
    )


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
    create=extend_schema(
        summary="Create a capability package (coordinators)",
        request=PackageInput,
        responses={201: CapabilityPackageSerializer},
        tags=TAG,
    ),
    update=extend_schema(
        summary="Replace a capability package's name and items (coordinators)",
        description="Send `version` as read; a stale one answers 409.",
        request=PackageInput,
        responses={200: CapabilityPackageSerializer},
        tags=TAG,
    ),
    partial_update=extend_schema(
        summary="Change a capability package's name or items (coordinators)",
        description="Send `version` as read; a stale one answers 409.",
        request=PackageInput,
        responses={200: CapabilityPackageSerializer},
        tags=TAG,
    ),
)
class CapabilityPackageViewSet(
    mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Capability packages: only those you may see, in the words the readiness pages use;
    coordinators create and change them."""

    serializer_class = CapabilityPackageSerializer
    filter_backends = [df.DjangoFilterBackend]
    filterset_class = PackageFilter
    lookup_value_regex = r"\d+"
    http_method_names = ["get", "head", "options", "post", "put", "patch"]

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return CapabilityPackage.objects.none()
        if as_user(self.request.user) is None:
            raise refuse("not an active user")
        return selectors.packages_visible_to(self.request.user).order_by("reference", "pk")

    def get_object(self) -> Any:
        return get_visible_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        assert page is not None  # the API always pages
        words = Wording.for_page(request.user, page)
        return self.get_paginated_response([_package(words, p) for p in page])

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        package = self.get_object()
        return Response(_package(Wording.for_page(request.user, [package]), package))

    def get_serializer_class(self) -> Any:
        if self.action in ("create", "update", "partial_update"):
            return PackageInput
        return super().get_serializer_class()

    def _changer(self, package: CapabilityPackage | None) -> None:
        if not selectors.can_save_package(self.request.user, package):
            raise exceptions.PermissionDenied("Only coordinators define capability packages.")

    def _answer(self, package: CapabilityPackage, **kwargs: Any) -> Response:
        package = self.get_queryset().get(pk=package.pk)
        return Response(_package(Wording.for_page(self.request.user, [package]), package), **kwargs)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.get_queryset()  # an inactive user: refused as for a read
        self._changer(None)
        parsed = PackageInput(data=request.data)
        parsed.is_valid(raise_exception=True)
        data = parsed.validated_data
        code = data.get("capability")
        if not code:
            raise exceptions.ValidationError(
                {"capability": ["Give the capability's code: a package is for one capability."]}
            )
        capability = Capability.objects.filter(code__iexact=code.strip()).first()
        if capability is None:
            raise exceptions.ValidationError(
                {"capability": [f"No capability with the code {code!r}."]}
            )
        form = PackageForm(
            data={"name": data["name"], "capability": capability.pk},
            instance=CapabilityPackage(),
        )
        if not form.is_valid():
            raise form_errors(form)
        items = _items(form.instance, data["items"]) if "items" in data else None
        package = services.package_save(actor=request.user, package=form.instance, items=items)
        location = f"/api/v1/capability-packages/{package.pk}"
        headers = {"Location": request.build_absolute_uri(location)}
        return self._answer(package, status=status.HTTP_201_CREATED, headers=headers)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        partial = kwargs.pop("partial", False)
        package = self.get_object()
        self._changer(package)
        parsed = PackageInput(data=request.data, partial=partial)
        parsed.is_valid(raise_exception=True)
        data = parsed.validated_data
        if data.get("version") is None:
            raise exceptions.ValidationError(
                {"version": ["Send the version you read, so a newer change is not overwritten."]}
            )
        code = data.get("capability")
        if code and code.strip().lower() != package.capability.code.lower():
            raise exceptions.ValidationError(
                {
                    "capability": [
                        "A package stays with its capability: create a package for the other "
                        "capability instead."
                    ]
                }
            )
        form = PackageForm(
            data={"name": data.get("name", package.name), "capability": package.capability_id},
            instance=package,
        )
        if not form.is_valid():
            raise form_errors(form)
        items = _items(form.instance, data["items"]) if "items" in data else None
        package = services.package_save(
            actor=request.user,
            package=form.instance,
            items=items,
            expected_version=data["version"],
        )
        return self._answer(package)

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


def _items(
    package: CapabilityPackage, rows: list[dict[str, Any]]
) -> list[tuple[Requirement, str, int]]:
    """The items sent, their requirements found among the package's capability's: every
    unknown, foreign or repeated reference answered at once."""
    references = [row["requirement"].strip() for row in rows]
    found = {
        r.reference: r
        for r in Requirement.objects.filter(
            capability_id=package.capability_id, reference__in=references
        )
    }
    errors: list[dict[str, list[str]]] = []
    seen: set[str] = set()
    items = []
    for reference, row in zip(references, rows, strict=True):
        requirement = found.get(reference)
        if requirement is None:
            errors.append(
                {
                    "requirement": [
                        f"No requirement {reference!r} of the capability "
                        f"{package.capability.code}: a package holds its own capability's needs."
                    ]
                }
            )
        elif reference in seen:
            errors.append({"requirement": [f"{reference} is listed twice."]})
        else:
            errors.append({})
            items.append((requirement, row["role"], row.get("tranche") or 1))
        seen.add(reference)
    if any(errors):
        raise exceptions.ValidationError({"items": errors})
    return items
