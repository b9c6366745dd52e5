"""``/api/v1/shipments`` and ``/api/v1/shipment-events``: what the shipment pages show each role,
and the same changes by hand and the same bulk event feed.

Need-to-know is the pages' (``logistics.selectors``): a shipment comes from
``shipments_visible_to``; how much of it a user reads from ``shipment_detail_level`` — full (route,
legs, dates, every event), the last leg (the handover point, the ETA's calendar week, the handover
and receipt events) — and a field the level does not show is ``null``, never its value. Changes go
through ``logistics.services`` (the actions of ``changes.py`` and ``ingest.py``), which check who
may do them and record the audit events.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.decorators import action, api_view
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from coordcell.bounds import QUANTITY_MAX, VERSION_MAX
from coordcell.logistics import services
from coordcell.logistics.ingest import MAX_BATCH
from coordcell.logistics.lifecycle import S
from coordcell.logistics.models import Leg, Shipment, ShipmentEvent, ShipmentLine
from coordcell.logistics.selectors import (
    Detail,
    can_change_shipment,
    can_plan_shipments,
    eta_window,
    events_visible_to,
    legs_visible_to,
    sees_routes_of_all,
    shipment_detail_level,
    shipment_for_change,
    shipments_visible_to,
)
from coordcell.pledges.selectors import pledges_visible_to
from coordcell.registry.access import raise_not_found
from coordcell.registry.models import Location
from coordcell.requirements.selectors import requirements_visible_to

from .discrepancies import DiscrepancySerializer, RecordInput, discrepancy_record_answer
from .pagination import IdCursorPagination
from .parsers import JSONParser

DETAIL_LEVELS = [(d.value, d.value) for d in Detail]
TAG = ["shipments"]

# ---- what a shipment looks like to each level ----


class EtaWindowSerializer(serializers.Serializer):
    start = serializers.DateField(help_text="Monday of the ETA's calendar week.")
    end = serializers.DateField(help_text="Sunday of that week.")


class ShipmentSerializer(serializers.Serializer):
    """A shipment as the list shows it. Fields the reader's ``detail`` level does not show are
    null: ``full`` (the cell, auditors, the shipment's own donor) shows everything;
    ``last_leg`` (the recipient) the handover point and the ETA's week only."""

    id = serializers.IntegerField()
    reference = serializers.CharField()
    donor = serializers.CharField(help_text="ISO code of the donor nation.")
    status = serializers.ChoiceField(choices=S.choices)
    detail = serializers.ChoiceField(
        choices=DETAIL_LEVELS, help_text="How much of this shipment you may see."
    )
    delivery_point = serializers.CharField(allow_null=True, help_text="Location code.")
    eta_window = EtaWindowSerializer(
        allow_null=True, help_text="The calendar week of the expected handover."
    )
    origin = serializers.CharField(allow_null=True, help_text="Depot code (full detail).")
    hub = serializers.CharField(allow_null=True, help_text="Hub code (full detail).")
    load = serializers.CharField(
        allow_null=True,
        help_text="The load it travels in from the depot to the hub (full detail; empty for a "
        "shipment made by hand): a donor's shipments leaving one depot for one hub in one week.",
    )
    planned_departure = serializers.DateField(allow_null=True)
    planned_arrival = serializers.DateField(allow_null=True, help_text="Planned handover.")
    eta = serializers.DateField(allow_null=True, help_text="Expected handover (full detail).")
    status_at = serializers.DateTimeField(allow_null=True)
    delay_days = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField(allow_null=True, help_text="The last change by hand.")
    version = serializers.IntegerField(
        allow_null=True, help_text="Send it with a change: a stale one answers 409."
    )


class LegSerializer(serializers.Serializer):
    sequence = serializers.IntegerField()
    origin = serializers.CharField(allow_null=True)
    destination = serializers.CharField()
    mode = serializers.ChoiceField(choices=Leg.Mode.choices, allow_null=True)
    planned_departure = serializers.DateField(allow_null=True)
    planned_arrival = serializers.DateField(allow_null=True)
    expected_departure = serializers.DateField(allow_null=True)
    expected_arrival = serializers.DateField(allow_null=True)
    actual_departure = serializers.DateTimeField(allow_null=True)
    actual_arrival = serializers.DateTimeField(allow_null=True)


class ShipmentLineSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    category = serializers.CharField()
    requirement = serializers.CharField(help_text="The requirement's reference.")
    pledge = serializers.CharField(allow_null=True, help_text="The pledge's reference.")
    quantity = serializers.IntegerField(help_text="Planned.")
    shipped_quantity = serializers.IntegerField(allow_null=True)
    handed_over_quantity = serializers.IntegerField(allow_null=True)
    received_quantity = serializers.IntegerField(allow_null=True)


class EventSerializer(serializers.Serializer):
    id = serializers.CharField(
        allow_null=True, help_text="The sender's event id: yours (your nation's) only."
    )
    status = serializers.ChoiceField(choices=S.choices)
    occurred_at = serializers.DateTimeField()
    location = serializers.CharField(allow_null=True)
    quantity = serializers.IntegerField(allow_null=True)
    handed_over_by = serializers.CharField()
    taken_over_by = serializers.CharField()
    note = serializers.CharField()
    serials = serializers.IntegerField(help_text="How many serial numbers it listed.")


class ShipmentDetailSerializer(ShipmentSerializer):
    legs = LegSerializer(many=True)
    lines = ShipmentLineSerializer(many=True)
    events = EventSerializer(many=True)


def _code(obj: Any) -> str | None:
    return obj.code if obj is not None else None


def shipment_row(user: Any, shipment: Shipment) -> dict[str, Any]:
    level = shipment_detail_level(user, shipment)
    full = level is Detail.FULL
    window = eta_window(shipment) if level is not Detail.STATUS else None
    return {
        "id": shipment.pk,
        "reference": shipment.reference,
        "donor": shipment.donor.code,
        "status": shipment.status,
        "detail": level.value,
        "delivery_point": shipment.delivery_point.code if level is not Detail.STATUS else None,
        "eta_window": {"start": window[0], "end": window[1]} if window else None,
        "origin": shipment.origin.code if full else None,
        "hub": shipment.hub.code if full else None,
        "load": shipment.load if full else None,
        "planned_departure": shipment.planned_departure if full else None,
        "planned_arrival": shipment.planned_arrival if full else None,
        "eta": shipment.eta if full else None,
        "status_at": shipment.status_at if full else None,
        "delay_days": shipment.delay_days if full else None,
        "reason": shipment.reason if full else None,
        "version": shipment.version if full else None,
    }


def _leg(leg: Leg, full: bool) -> dict[str, Any]:
    row: dict[str, Any] = {
        "sequence": leg.sequence,
        "destination": leg.destination.code,
        "origin": leg.origin.code,
        "mode": leg.mode,
    }
    times = (
        "planned_departure",
        "planned_arrival",
        "expected_departure",
        "expected_arrival",
        "actual_departure",
        "actual_arrival",
    )
    row.update({name: getattr(leg, name) for name in times})
    if not full:  # the last leg: where it ends, nothing of when or how
        row.update({name: None for name in (*times, "origin", "mode")})
    return row


def _line(line: ShipmentLine, full: bool) -> dict[str, Any]:
    return {
        "id": line.pk,
        "category": line.category.code,
        "requirement": line.requirement.reference,
        "pledge": line.pledge.reference if full else None,
        "quantity": line.quantity,
        "shipped_quantity": line.shipped_quantity,
        "handed_over_quantity": line.handed_over_quantity,
        "received_quantity": line.received_quantity,
    }


def _event(event: ShipmentEvent, sender: str) -> dict[str, Any]:
    serials = event.serials
    count = (
        sum(len(v) for v in serials.values()) if isinstance(serials, dict) else len(serials or [])
    )
    return {
        "id": event.client_id if event.sender == sender else None,
        "status": event.status,
        "occurred_at": event.occurred_at,
        "location": _code(event.location),
        "quantity": event.quantity,
        "handed_over_by": event.handed_over_by,
        "taken_over_by": event.taken_over_by,
        "note": event.note,
        "serials": count,
    }


def shipment_detail(user: Any, shipment: Shipment) -> dict[str, Any]:
    """The shipment page's content for ``user``, as data."""
    row = shipment_row(user, shipment)
    level = shipment_detail_level(user, shipment)
    full = level is Detail.FULL
    lines = (
        shipment.lines.select_related("category", "requirement", "pledge").order_by("pk")
        if level is not Detail.STATUS
        else []
    )
    sender = ShipmentEvent.sender_of(user)
    row["legs"] = [_leg(leg, full) for leg in legs_visible_to(user, shipment)]
    row["lines"] = [_line(line, full) for line in lines]
    row["events"] = [_event(e, sender) for e in events_visible_to(user, shipment)]
    return row


# ---- what the changes take ----


class ItemInput(serializers.Serializer):
    pledge = serializers.CharField(max_length=20, help_text="The pledge's reference.")
    requirement = serializers.CharField(max_length=20, help_text="The requirement's reference.")
    quantity = serializers.IntegerField(min_value=1, max_value=QUANTITY_MAX)


class ReasonInput(serializers.Serializer):
    reason = serializers.CharField(
        max_length=5000, help_text="Why: it is audited and shown on the shipment."
    )
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=VERSION_MAX,
        help_text="The version you read; if the shipment changed since, 409 and nothing changes.",
    )


class OverrideInput(ReasonInput):
    capacity_override = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=1000,
        default="",
        help_text="To go over the hub's weekly capacity: the reason (audited). Empty: a change "
        "that takes the hub over its capacity is refused, naming hub, week and figures.",
    )


class CreateInput(serializers.Serializer):
    hub = serializers.CharField(max_length=50, help_text="The hub's code.")
    departure = serializers.DateField(help_text="Planned departure from the depot.")
    items = ItemInput(many=True, help_text="One donor's goods from one depot, to one point.")
    reason = serializers.CharField(max_length=5000)
    capacity_override = serializers.CharField(
        required=False, allow_blank=True, max_length=1000, default=""
    )


class SplitInput(ReasonInput):
    moves = serializers.DictField(
        child=serializers.IntegerField(min_value=1, max_value=QUANTITY_MAX),
        allow_empty=False,
        help_text='Shipment line id -> units to move to a new shipment, e.g. {"17": 40}.',
    )


class MergeInput(OverrideInput):
    other = serializers.CharField(
        max_length=20, help_text="Reference of the shipment merged into this one."
    )


class RerouteInput(OverrideInput):
    hub = serializers.CharField(max_length=50, help_text="The new hub's code.")


def _hub(code: str) -> Location:
    hub = Location.objects.filter(kind=Location.Kind.HUB, code=code).first()
    if hub is None:
        raise exceptions.ValidationError({"hub": [f"No hub with the code {code!r}."]})
    return hub


def _parsed[T: serializers.Serializer](serializer_class: type[T], request: Request) -> Any:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _list_parameters() -> list[OpenApiParameter]:
    return [
        OpenApiParameter("status", str, enum=list(S.values), description="Shipment status."),
        OpenApiParameter("donor", str, description="Donor nation's ISO code, e.g. DE."),
        OpenApiParameter("delivery_point", str, description="Delivery point's code."),
        OpenApiParameter(
            "hub",
            str,
            description="Hub code: only for those who see routes (the cell, auditors, donors "
            "for their own shipments); the recipient's answer is 400.",
        ),
        OpenApiParameter(
            "load",
            str,
            description="A load's reference (L-000012): its shipments. Only for those who see "
            "routes; the recipient's answer is 400.",
        ),
        OpenApiParameter("reference", str, description="Exact shipment reference."),
    ]


@extend_schema_view(
    list=extend_schema(
        summary="List shipments",
        description="The shipments you may see, newest first, by cursor.",
        parameters=_list_parameters(),
        responses=ShipmentSerializer(many=True),
        tags=TAG,
    ),
    retrieve=extend_schema(
        summary="Read a shipment with its legs, lines and events",
        responses=ShipmentDetailSerializer,
        tags=TAG,
    ),
    create=extend_schema(
        summary="Create a shipment by hand (coordinators)",
        request=CreateInput,
        responses={201: ShipmentDetailSerializer},
        tags=TAG,
    ),
)
class ShipmentViewSet(viewsets.GenericViewSet):
    """Shipments, as far as your role may see them."""

    lookup_value_regex = r"\d+"
    pagination_class = IdCursorPagination
    serializer_class = ShipmentSerializer
    http_method_names = ["get", "head", "options", "post"]

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Shipment.objects.none()
        return shipments_visible_to(self.request.user).select_related("origin", "hub")

    def _filtered(self) -> Any:
        qs = self.get_queryset()
        params = self.request.query_params
        errors: dict[str, list[str]] = {}
        value = params.get("status")
        if value:
            if value not in S.values:
                errors["status"] = [f"Choose one of: {', '.join(S.values)}."]
            qs = qs.filter(status=value)
        if params.get("donor"):
            qs = qs.filter(donor__code=params["donor"].upper())
        if params.get("delivery_point"):
            qs = qs.filter(delivery_point__code=params["delivery_point"])
        if params.get("reference"):
            qs = qs.filter(reference=params["reference"])
        sees_routes = sees_routes_of_all(self.request.user)
        if params.get("hub"):
            if not sees_routes:
                errors["hub"] = ["Your role does not see routes: filter without a hub."]
            qs = qs.filter(hub__code=params["hub"])
        if params.get("load"):
            if not sees_routes:
                errors["load"] = ["Your role does not see routes: filter without a load."]
            qs = qs.filter(load=params["load"].upper())
        if errors:
            raise exceptions.ValidationError(errors)
        return qs

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self._filtered())
        assert page is not None
        data = [shipment_row(request.user, s) for s in page]
        return self.get_paginated_response(ShipmentSerializer(data, many=True).data)

    def _shipment(self) -> Shipment:
        pk = self.kwargs["pk"]
        found = self.get_queryset().filter(pk=pk).first()
        if found is None:
            raise_not_found(self.get_queryset(), pk=pk)  # another nation's: refused, audited
        return found

    def retrieve(self, request: Request, pk: str) -> Response:
        return self._answer(self._shipment())

    def _answer(self, shipment: Shipment, code: int = status.HTTP_200_OK) -> Response:
        shipment = self.get_queryset().get(pk=shipment.pk)  # as stored after the change
        data = ShipmentDetailSerializer(shipment_detail(self.request.user, shipment)).data
        return Response(data, status=code)

    def create(self, request: Request) -> Response:
        if not can_plan_shipments(request.user):
            raise PermissionDenied("Only coordinators plan and change shipments.")
        data = _parsed(CreateInput, request)
        items, errors = [], {}
        pledges = pledges_visible_to(request.user).select_related("category", "origin")
        requirements = requirements_visible_to(request.user).select_related(
            "category", "delivery_point"
        )
        for n, item in enumerate(data["items"]):
            pledge = pledges.filter(reference=item["pledge"]).first()
            requirement = requirements.filter(reference=item["requirement"]).first()
            if pledge is None:
                errors[f"items.{n}.pledge"] = [f"No pledge {item['pledge']}."]
            if requirement is None:
                errors[f"items.{n}.requirement"] = [f"No requirement {item['requirement']}."]
            if pledge is not None and requirement is not None:
                items.append(services.Item(pledge, requirement, item["quantity"]))
        if errors:
            raise exceptions.ValidationError(errors)
        shipment = services.shipment_create(
            actor=request.user,
            hub=_hub(data["hub"]),
            departure=data["departure"],
            items=items,
            reason=data["reason"],
            capacity_override=data["capacity_override"],
        )
        response = self._answer(shipment, status.HTTP_201_CREATED)
        response["Location"] = request.build_absolute_uri(f"/api/v1/shipments/{shipment.pk}")
        return response

    def _changeable(self) -> Shipment:
        shipment = self._shipment()
        if not can_change_shipment(self.request.user, shipment):
            raise PermissionDenied("Only coordinators change shipments by hand.")
        return shipment

    @extend_schema(
        summary="Split a shipment: move units to a new one on the same route",
        request=SplitInput,
        responses={201: ShipmentDetailSerializer},
        tags=TAG,
    )
    @action(detail=True, methods=["post"])
    def split(self, request: Request, pk: str) -> Response:
        shipment = self._changeable()
        data = _parsed(SplitInput, request)
        moves: dict[int, int] = {}
        for key, units in data["moves"].items():
            if not str(key).isdigit() or len(str(key)) > 18:
                raise exceptions.ValidationError({"moves": [f"{key!r} is not a line id."]})
            moves[int(key)] = units
        new = services.shipment_split(
            actor=request.user,
            shipment=shipment,
            quantities=moves,
            reason=data["reason"],
            expected_version=data.get("version"),
        )
        return self._answer(new, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Merge another shipment (same route, not departed) into this one",
        request=MergeInput,
        responses=ShipmentDetailSerializer,
        tags=TAG,
    )
    @action(detail=True, methods=["post"])
    def merge(self, request: Request, pk: str) -> Response:
        shipment = self._changeable()
        data = _parsed(MergeInput, request)
        other = shipment_for_change(request.user, data["other"])
        if other is None:
            raise exceptions.ValidationError(
                {"other": [f"No shipment {data['other']} that you may change."]}
            )
        merged = services.shipment_merge(
            actor=request.user,
            shipment=shipment,
            other=other,
            reason=data["reason"],
            capacity_override=data["capacity_override"],
            expected_version=data.get("version"),
        )
        return self._answer(merged)

    @extend_schema(
        summary="Re-route a shipment through another hub (legs and dates are replanned)",
        request=RerouteInput,
        responses=ShipmentDetailSerializer,
        tags=TAG,
    )
    @action(detail=True, methods=["post"])
    def reroute(self, request: Request, pk: str) -> Response:
        shipment = self._changeable()
        data = _parsed(RerouteInput, request)
        changed = services.shipment_reroute(
            actor=request.user,
            shipment=shipment,
            hub=_hub(data["hub"]),
            reason=data["reason"],
            capacity_override=data["capacity_override"],
            expected_version=data.get("version"),
        )
        return self._answer(changed)

    @extend_schema(
        summary="Cancel a shipment before it leaves",
        request=ReasonInput,
        responses=ShipmentDetailSerializer,
        tags=TAG,
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        shipment = self._changeable()
        data = _parsed(ReasonInput, request)
        cancelled = services.shipment_cancel(
            actor=request.user,
            shipment=shipment,
            reason=data["reason"],
            expected_version=data.get("version"),
        )
        return self._answer(cancelled)

    @extend_schema(
        summary="Record a discrepancy found on a shipment",
        description=(
            "The shipment page's form: JSON, or multipart/form-data with its photos (the "
            "page's checks and limits). Answers the discrepancy as "
            "GET /api/v1/discrepancies/{id} shows it to you."
        ),
        request={"application/json": RecordInput, "multipart/form-data": RecordInput},
        responses={201: DiscrepancySerializer},
        tags=TAG,
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="discrepancies",
        url_name="discrepancies",
        parser_classes=[JSONParser, MultiPartParser],
    )
    def discrepancies(self, request: Request, pk: str) -> Response:
        return discrepancy_record_answer(request, self._shipment())


# ---- the bulk event feed with a token ----


EVENT_FIELDS_HELP = (
    "Each event is an object, as POST /logistics/events/bulk takes it (docs/logistics.md): "
    "`id` (your own unique id of the event, 1-100 characters), `shipment` (its reference), "
    "`status` (ready, departed, at_hub, departed_hub, handed_over, received, cancelled), "
    "`occurred_at` (ISO 8601 with its offset), and as the step needs them `location` (a "
    "location code), `quantity`, `lines` (shipment line id -> units), `serials` (a list, or "
    "line id -> list), `handed_over_by`, `taken_over_by`, `note`. The feed checks each event on "
    "its own: one that is wrong is rejected with its reason, the others are recorded."
)


class EventsInput(serializers.Serializer):
    events = serializers.ListField(
        child=serializers.DictField(),
        max_length=MAX_BATCH,
        help_text=EVENT_FIELDS_HELP,
    )


class RejectionSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position of the event in your batch (from 0).")
    id = serializers.CharField(help_text="Its id, as you sent it.")
    error = serializers.CharField(help_text="Why it was not recorded.")


class IngestResultSerializer(serializers.Serializer):
    accepted = serializers.IntegerField(help_text="Events recorded now.")
    duplicates = serializers.IntegerField(
        help_text="Events already recorded with the same id (sent again): nothing changed."
    )
    rejected = RejectionSerializer(many=True)
    shipments = serializers.ListField(
        child=serializers.CharField(), help_text="References of the shipments that changed."
    )


@extend_schema(
    summary="Record shipment events in bulk",
    description=(
        "The same feed as the page's bulk upload, for a program with a token (no CSRF). "
        "Idempotent by your event id: an event sent again is counted as a duplicate. Events "
        "may arrive out of order: each shipment's status follows the events' times. Each event "
        "is accepted or rejected with its reason; at most 5,000 per batch."
    ),
    request=EventsInput,
    responses=IngestResultSerializer,
    tags=["shipment-events"],
)
@api_view(["POST"])
def shipment_events(request: Request) -> Response:
    body = request.data
    events = body.get("events") if isinstance(body, dict) else None
    if not isinstance(events, list):
        raise exceptions.ValidationError(
            {"events": ['Send {"events": [{"id": ..., "shipment": ..., ...}]}.']}
        )
    not_objects = [n for n, e in enumerate(events) if not isinstance(e, dict)]
    if not_objects:
        raise exceptions.ValidationError(
            {
                f"events.{n}": ['An event is an object: {"id": ..., "shipment": ...}.']
                for n in not_objects[:10]
            }
        )
    result = services.events_ingest(actor=request.user, events=events)
    return Response(IngestResultSerializer(result.as_dict()).data)
