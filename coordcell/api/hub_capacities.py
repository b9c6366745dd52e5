"""``/api/v1/hub-capacities``: a hub's weekly throughput per domain, route information
(docs/security.md). The cell's coordinators keep the rows, auditors read them; for every other
role there is nothing here (404, audited), as on the pages. Writes go through the page's form
(``HubCapacityForm``: the row's rules) and ``registry.services`` (``hub_capacity_save``,
``hub_capacity_close``, ``hub_capacity_delete``), versioned and audited."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Field
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from coordcell.bounds import VERSION_MAX
from coordcell.registry.access import get_visible_or_404, refuse
from coordcell.registry.capacity import (
    can_change_hub_capacity,
    can_see_hub_capacities,
    hub_capacities_visible_to,
)
from coordcell.registry.forms import HubCapacityForm, HubClosureForm
from coordcell.registry.models import CategoryDomain, HubCapacity, Location
from coordcell.registry.services import (
    hub_capacity_close,
    hub_capacity_delete,
    hub_capacity_save,
)

from .serializers import CodeField
from .writes import form_errors

TAG = ["hub-capacities"]


class HubCapacitySerializer(serializers.ModelSerializer):
    hub = CodeField(
        slug_field="code",
        queryset=Location.objects.filter(kind=Location.Kind.HUB),
        help_text="The hub's code.",
    )
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=VERSION_MAX,
        help_text="The version you read. Required to update: a stale one answers 409.",
    )

    class Meta:
        model = HubCapacity
        fields = [
            "id",
            "hub",
            "domain",
            "valid_from",
            "valid_until",
            "weekly_capacity",
            "reason",
            "version",
        ]
        validators: list[Any] = []  # the model's and the form's to check


class ClosureInput(serializers.Serializer):
    hub = serializers.CharField(max_length=50, help_text="The hub's code.")
    domain = serializers.ChoiceField(choices=CategoryDomain.choices)
    valid_from = serializers.DateField(help_text="The Monday of the first week closed.")
    valid_until = serializers.DateField(
        required=False, allow_null=True, help_text="A day of the last week; none: until notice."
    )
    reason = serializers.CharField(max_length=5000)


@extend_schema_view(
    list=extend_schema(
        summary="List hub capacities",
        parameters=[
            OpenApiParameter("hub", str, description="A hub's code."),
            OpenApiParameter("domain", str, enum=list(CategoryDomain.values)),
        ],
        tags=TAG,
    ),
    retrieve=extend_schema(summary="Read a hub capacity row", tags=TAG),
    create=extend_schema(summary="Add a capacity row to a hub", tags=TAG),
    update=extend_schema(
        summary="Replace a hub capacity row", description="Send `version` as read.", tags=TAG
    ),
    partial_update=extend_schema(
        summary="Change some fields of a hub capacity row",
        description="Send `version` as read.",
        tags=TAG,
    ),
    destroy=extend_schema(summary="Delete a hub capacity row", tags=TAG),
)
class HubCapacityViewSet(viewsets.ModelViewSet):
    """Hub capacities: the cell and auditors read, coordinators change."""

    serializer_class = HubCapacitySerializer
    lookup_value_regex = r"\d+"
    http_method_names = ["get", "head", "options", "post", "put", "patch", "delete"]

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return HubCapacity.objects.none()
        if not can_see_hub_capacities(self.request.user):
            raise refuse("hub capacities are for the cell and auditors")
        qs = hub_capacities_visible_to(self.request.user)
        params = self.request.query_params
        if self.action == "list":
            if params.get("hub"):
                qs = qs.filter(hub__code=params["hub"])
            if params.get("domain"):
                if params["domain"] not in CategoryDomain.values:
                    raise exceptions.ValidationError(
                        {"domain": [f"Choose one of: {', '.join(CategoryDomain.values)}."]}
                    )
                qs = qs.filter(domain=params["domain"])
        return qs.order_by("hub__code", "domain", "valid_from", "pk")

    def get_object(self) -> Any:
        return get_visible_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def _changer(self) -> None:
        if not can_change_hub_capacity(self.request.user):
            raise PermissionDenied("Only coordinators change hub capacities.")

    def _save(self, data: dict[str, Any], instance: HubCapacity | None) -> HubCapacity:
        hub = data.pop("hub", None) or (instance.hub if instance is not None else None)
        names = HubCapacityForm.Meta.fields
        form_data: dict[str, Any] = {}
        if instance is not None:
            form_data.update({n: getattr(instance, n) for n in names})
        form_data.update({k: v for k, v in data.items() if k in (*names, "version")})
        form = HubCapacityForm(
            data={k: "" if v is None else v for k, v in form_data.items()},
            instance=instance,
            user=self.request.user,
            hub=hub,
        )
        if not form.is_valid():
            raise form_errors(form)
        return hub_capacity_save(self.request.user, form.instance, form.expected_version)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.get_queryset()
        self._changer()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = {k: v for k, v in serializer.validated_data.items() if k != "version"}
        for name in HubCapacityForm.Meta.fields:  # left out: the model's default, as documented
            field = HubCapacity._meta.get_field(name)
            if name not in data and isinstance(field, Field) and field.has_default():
                data[name] = field.get_default()
        row = self._save(data, None)
        headers = {"Location": request.build_absolute_uri(f"/api/v1/hub-capacities/{row.pk}")}
        return Response(
            self.get_serializer(row).data, status=status.HTTP_201_CREATED, headers=headers
        )

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        partial = kwargs.pop("partial", False)
        row = self.get_object()
        self._changer()
        serializer = self.get_serializer(row, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if data.get("version") is None:
            raise exceptions.ValidationError(
                {"version": ["Send the version you read, so a newer change is not overwritten."]}
            )
        if "hub" in data and data["hub"].pk != row.hub_id:
            raise exceptions.ValidationError(
                {"hub": ["A row stays with its hub: add a row to the other hub instead."]}
            )
        row = self._save(data, row)
        return Response(self.get_serializer(row).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        row = self.get_object()
        self._changer()
        hub_capacity_delete(request.user, row)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Close a hub for a domain over some weeks (0 units, with the reason)",
        request=ClosureInput,
        responses={201: HubCapacitySerializer},
        tags=TAG,
    )
    @action(detail=False, methods=["post"])
    def close(self, request: Request) -> Response:
        self.get_queryset()
        self._changer()
        parsed = ClosureInput(data=request.data)
        parsed.is_valid(raise_exception=True)
        data = dict(parsed.validated_data)
        hub = Location.objects.filter(kind=Location.Kind.HUB, code=data["hub"]).first()
        if hub is None:
            raise exceptions.ValidationError({"hub": [f"No hub with the code {data['hub']!r}."]})
        form = HubClosureForm(
            data={k: "" if v is None else v for k, v in data.items() if k != "hub"}
        )
        if not form.is_valid():
            raise form_errors(form)
        clean = form.cleaned_data
        row = hub_capacity_close(
            request.user,
            hub,
            clean["domain"],
            clean["valid_from"],
            clean["valid_until"],
            clean["reason"],
        )
        return Response(HubCapacitySerializer(row).data, status=status.HTTP_201_CREATED)
