"""``/api/v1/serial-items``: the end-use inventory, as its page shows it to each role
(``serial_items_visible_to``: the cell and auditors all, a donor its own, the recipient what it
received), each item with its state (``with_item_state``). Where an item not received was last
seen is on its route: only the cell, auditors and its donor read it."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from coordcell.logistics.discrepancies import inventory_check_record
from coordcell.logistics.models import SerialItem
from coordcell.logistics.selectors import (
    ItemState,
    item_state,
    items_in_state,
    overdue_serial_items,
    sees_routes_of_all,
    serial_items_visible_to,
    with_item_state,
)
from coordcell.registry.access import as_user, raise_not_found
from coordcell.registry.models import Location

from .pagination import IdCursorPagination

TAG = ["serial-items"]
AT_RECIPIENT = (ItemState.RECEIVED, ItemState.DAMAGED)


class SerialItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    serial = serializers.CharField()
    category = serializers.CharField(help_text="The item category's code.")
    donor = serializers.CharField(help_text="ISO code of the donor nation.")
    shipment = serializers.CharField(help_text="The shipment's reference.")
    state = serializers.ChoiceField(choices=ItemState.choices)
    last_seen_at = serializers.DateTimeField(allow_null=True)
    last_location = serializers.CharField(allow_null=True, help_text="Location code.")
    received_at = serializers.DateTimeField(allow_null=True)
    last_checked_at = serializers.DateTimeField(allow_null=True)
    overdue = serializers.BooleanField(help_text="Received and not checked within the interval.")


def item_rows(user: Any, items: list[SerialItem], overdue: set[int]) -> list[dict[str, Any]]:
    sees_route = sees_routes_of_all(user)
    rows = []
    for item in items:
        state = item_state(item)
        arrived = state in AT_RECIPIENT
        shown = sees_route or arrived
        rows.append(
            {
                "id": item.pk,
                "serial": item.serial,
                "category": item.category.code,
                "donor": item.shipment_line.shipment.donor.code,
                "shipment": item.shipment_line.shipment.reference,
                "state": state.value,
                "last_seen_at": item.last_seen_at if shown else None,
                "last_location": item.last_location.code
                if shown and item.last_location is not None
                else None,
                "received_at": item.received_at if arrived else None,
                "last_checked_at": item.last_checked_at,
                "overdue": item.pk in overdue,
            }
        )
    return rows


@extend_schema_view(
    list=extend_schema(
        summary="List serial-numbered items (the end-use inventory)",
        parameters=[
            OpenApiParameter("state", str, enum=list(ItemState.values)),
            OpenApiParameter("overdue", bool, description="Only items due for a check."),
            OpenApiParameter("category", str, description="An item category's code."),
            OpenApiParameter("shipment", str, description="A shipment's reference."),
            OpenApiParameter("serial", str, description="An exact serial number."),
        ],
        responses=SerialItemSerializer(many=True),
        tags=TAG,
    ),
    retrieve=extend_schema(summary="Read a serial-numbered item", tags=TAG),
)
class SerialItemViewSet(viewsets.GenericViewSet):
    """The end-use inventory: serial-numbered items you may see, with their state."""

    serializer_class = SerialItemSerializer
    lookup_value_regex = r"\d+"
    pagination_class = IdCursorPagination
    http_method_names = ["get", "head", "options"]

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return SerialItem.objects.none()
        return with_item_state(serial_items_visible_to(self.request.user)).select_related(
            "last_location", "shipment_line__shipment"
        )

    def _rows(self, items: list[SerialItem]) -> list[dict[str, Any]]:
        ids = [i.pk for i in items]
        base = serial_items_visible_to(self.request.user).filter(pk__in=ids)
        overdue = set(overdue_serial_items(base).values_list("pk", flat=True))
        return item_rows(self.request.user, items, overdue)

    def list(self, request: Request) -> Response:
        params = request.query_params
        qs = self.get_queryset()
        state = params.get("state", "")
        if state and state not in ItemState.values:
            raise exceptions.ValidationError(
                {"state": [f"Choose one of: {', '.join(ItemState.values)}."]}
            )
        qs = items_in_state(qs, state)
        if params.get("overdue", "false") not in ("true", "false", "1", "0"):
            raise exceptions.ValidationError({"overdue": ["Send true or false."]})
        if params.get("overdue") in ("true", "1"):
            qs = qs.filter(pk__in=overdue_serial_items(serial_items_visible_to(request.user)))
        if params.get("category"):
            qs = qs.filter(category__code=params["category"])
        if params.get("shipment"):
            qs = qs.filter(shipment_line__shipment__reference=params["shipment"])
        if params.get("serial"):
            qs = qs.filter(serial=params["serial"])
        page = self.paginate_queryset(qs)
        assert page is not None
        data = SerialItemSerializer(self._rows(list(page)), many=True).data
        return self.get_paginated_response(data)

    def retrieve(self, request: Request, pk: str) -> Response:
        item = self.get_queryset().filter(pk=pk).first()
        if item is None:
            raise_not_found(serial_items_visible_to(request.user), pk=pk)
        return Response(SerialItemSerializer(self._rows([item])[0]).data)


# ---- the end-use inventory check (POST /api/v1/inventory-checks) ----

SERIALS_MAX = 5000
NOTE_MAX = 500


class InventoryCheckInput(serializers.Serializer):
    """The inventory page's form: the serials found, where, and a note."""

    serials = serializers.ListField(
        child=serializers.CharField(max_length=100),
        min_length=1,
        max_length=SERIALS_MAX,
        help_text="The serial numbers found (received items you may check).",
    )
    location = serializers.CharField(
        max_length=50,
        help_text="Where they were found: a location code in the recipient's country.",
    )
    note = serializers.CharField(max_length=NOTE_MAX, required=False, allow_blank=True, default="")


class InventoryCheckSerializer(serializers.Serializer):
    checked = serializers.IntegerField(help_text="How many items were checked.")
    location = serializers.CharField()
    items = SerialItemSerializer(many=True)


@extend_schema(
    summary="Record an end-use inventory check: serials found at a location",
    description=(
        "By the cell or the recipient, as on the inventory page. Every serial must be a received "
        "item you may check, else nothing is recorded and the answer names the serials refused "
        "(an item you may not see is refused exactly like one that does not exist)."
    ),
    request=InventoryCheckInput,
    responses={201: InventoryCheckSerializer},
    tags=TAG,
)
@api_view(["POST"])
def inventory_checks(request: Request) -> Response:
    user = as_user(request.user)
    if user is None or not (user.is_coordinator or user.is_recipient_liaison):
        raise PermissionDenied("End-use checks are recorded by the cell or the recipient.")
    data = InventoryCheckInput(data=request.data)
    data.is_valid(raise_exception=True)
    values = data.validated_data
    location = Location.objects.filter(code=values["location"], nation__is_recipient=True).first()
    if location is None:
        raise exceptions.ValidationError(
            {"location": ["Choose a location code in the recipient's country."]}
        )
    items = inventory_check_record(
        actor=user, serials=values["serials"], location=location, note=values["note"]
    )
    ids = [i.pk for i in items]
    found = list(
        with_item_state(serial_items_visible_to(user).filter(pk__in=ids))
        .select_related("last_location", "category", "shipment_line__shipment__donor")
        .order_by("serial")
    )
    overdue = set(
        overdue_serial_items(serial_items_visible_to(user).filter(pk__in=ids)).values_list(
            "pk", flat=True
        )
    )
    body = {
        "checked": len(items),
        "location": location.code,
        "items": item_rows(user, found, overdue),
    }
    return Response(InventoryCheckSerializer(body).data, status=status.HTTP_201_CREATED)
