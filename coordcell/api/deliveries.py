"""``/api/v1/pledge-deliveries``: a pledge's delivered history (``PledgeDelivery``), what was
delivered before coordcell kept its shipments. Read as on the pledge's page
(``pledge_deliveries_visible_to``: the cell, auditors and the pledge's own donor; never the
recipient, for whom the list is empty and an entry not there); recorded, corrected and removed by
whoever may change the pledge (``can_save_pledge_delivery``) through the page's
``PledgeDeliveryForm`` and ``pledges.deliveries`` (``pledge_delivery_save``,
``pledge_delivery_delete``), versioned and audited. ``quantity`` null: delivered, how many not
disclosed."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from coordcell.bounds import VERSION_MAX
from coordcell.pledges.deliveries import pledge_delivery_delete, pledge_delivery_save
from coordcell.pledges.forms import PledgeDeliveryForm
from coordcell.pledges.models import PledgeDelivery
from coordcell.pledges.selectors import (
    can_save_pledge_delivery,
    pledge_deliveries_visible_to,
    pledges_visible_to,
)
from coordcell.registry.access import as_user, get_visible_or_404, refuse

from .writes import form_errors

TAG = ["pledge-deliveries"]
URL = "/api/v1/pledge-deliveries"


class PledgeDeliverySerializer(serializers.ModelSerializer):
    pledge = serializers.CharField(
        source="pledge.reference",
        max_length=30,
        help_text="The pledge's reference. An entry stays with its pledge.",
    )
    quantity = serializers.IntegerField(
        allow_null=True,
        min_value=1,
        help_text="Units delivered; null when the source says delivered without a number.",
    )
    quantity_disclosed = serializers.SerializerMethodField(
        help_text="False while the quantity is undisclosed (quantity null)."
    )
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=VERSION_MAX,
        help_text="The version you read. Required to update: a stale one answers 409.",
    )

    class Meta:
        model = PledgeDelivery
        fields = [
            "id",
            "reference",
            "pledge",
            "quantity",
            "quantity_disclosed",
            "delivered_on",
            "approximate",
            "source",
            "created_at",
            "version",
        ]
        read_only_fields = ["reference", "created_at"]
        validators: list[Any] = []  # the model's and the form's to check

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_quantity_disclosed(self, obj: PledgeDelivery) -> bool:
        return obj.quantity is not None


@extend_schema_view(
    list=extend_schema(
        summary="List pledges' delivered history",
        parameters=[OpenApiParameter("pledge", str, description="A pledge's reference.")],
        tags=TAG,
    ),
    retrieve=extend_schema(summary="Read an entry of a pledge's delivered history", tags=TAG),
    create=extend_schema(summary="Record part of a pledge as delivered", tags=TAG),
    update=extend_schema(
        summary="Correct an entry of a pledge's delivered history",
        description="Send `version` as read; a stale one answers 409.",
        tags=TAG,
    ),
    partial_update=extend_schema(
        summary="Correct some fields of an entry of a pledge's delivered history",
        description="Send `version` as read; a stale one answers 409.",
        tags=TAG,
    ),
    destroy=extend_schema(summary="Remove an entry of a pledge's delivered history", tags=TAG),
)
class PledgeDeliveryViewSet(viewsets.ModelViewSet):
    """A pledge's delivered history: the cell, auditors and the pledge's own donor read it; the
    cell's coordinators and the pledge's own donor liaison record it."""

    serializer_class = PledgeDeliverySerializer
    lookup_value_regex = r"\d+"
    http_method_names = ["get", "head", "options", "post", "put", "patch", "delete"]

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return PledgeDelivery.objects.none()
        if as_user(self.request.user) is None:
            raise refuse("not an active user")
        qs = pledge_deliveries_visible_to(self.request.user).select_related("pledge")
        if self.action == "list" and (reference := self.request.query_params.get("pledge")):
            qs = qs.filter(pledge__reference__iexact=reference.strip())
        return qs.order_by("pledge__reference", "delivered_on", "pk")

    def get_object(self) -> Any:
        return get_visible_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def _changer(self, delivery: PledgeDelivery) -> None:
        if not can_save_pledge_delivery(self.request.user, delivery):
            raise exceptions.PermissionDenied(
                "Only coordinators and the pledge's own donor record its delivered history."
            )

    def _save(
        self, data: dict[str, Any], delivery: PledgeDelivery, version: int | None
    ) -> PledgeDelivery:
        names = PledgeDelivery.INPUT_FIELDS
        form_data: dict[str, Any] = {}
        if delivery.pk is not None:
            form_data.update({n: getattr(delivery, n) for n in names})
        form_data.update({k: v for k, v in data.items() if k in names})
        # The page's explicit tick; the API says the same with a null quantity.
        form_data["quantity_undisclosed"] = form_data.get("quantity") is None
        form = PledgeDeliveryForm(
            data={k: "" if v is None else v for k, v in form_data.items()},
            instance=delivery,
            user=self.request.user,
        )
        if not form.is_valid():
            raise form_errors(form)
        return pledge_delivery_save(
            actor=self.request.user, delivery=form.instance, expected_version=version
        )

    def _answer(self, delivery: PledgeDelivery, **kwargs: Any) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=delivery.pk)).data, **kwargs)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.get_queryset()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        reference = data.pop("pledge")["reference"].strip()
        # Not found and not yours to see answer alike: the reference says nothing more.
        pledge = pledges_visible_to(request.user).filter(reference__iexact=reference).first()
        if pledge is None:
            raise exceptions.ValidationError(
                {"pledge": [f"No pledge {reference!r} among those you may see."]}
            )
        delivery = PledgeDelivery(pledge=pledge)
        self._changer(delivery)
        saved = self._save(data, delivery, None)
        headers = {"Location": request.build_absolute_uri(f"{URL}/{saved.pk}")}
        return self._answer(saved, status=status.HTTP_201_CREATED, headers=headers)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        partial = kwargs.pop("partial", False)
        delivery = self.get_object()
        self._changer(delivery)
        serializer = self.get_serializer(delivery, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if data.get("version") is None:
            raise exceptions.ValidationError(
                {"version": ["Send the version you read, so a newer change is not overwritten."]}
            )
        sent = data.pop("pledge", None)
        if sent is not None and sent["reference"].strip().lower() != (
            delivery.pledge.reference.lower()
        ):
            raise exceptions.ValidationError(
                {"pledge": ["An entry stays with its pledge: record one on the other pledge."]}
            )
        saved = self._save(data, delivery, data["version"])
        return self._answer(saved)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        delivery = self.get_object()
        self._changer(delivery)
        pledge_delivery_delete(actor=request.user, delivery=delivery)
        return Response(status=status.HTTP_204_NO_CONTENT)
