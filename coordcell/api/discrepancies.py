"""``/api/v1/discrepancies``: the register across shipments, one discrepancy, and its lifecycle
(investigate, resolve, reassign, due date) through ``logistics.discrepancies``, each with the
version it read (a stale one answers 409).

Reads are the register page's (``discrepancy_register``, ``discrepancies_visible_to``): where a
discrepancy was found is shown only as the page shows it (``discrepancy_location_shown``); a
wrong serial's own shipment only to who may see that shipment; who resolved it to the cell.
"""

from __future__ import annotations

from typing import Any, cast

from django.core.exceptions import PermissionDenied
from django.http import FileResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from coordcell.bounds import BIGINT, QUANTITY_MAX, VERSION_MAX
from coordcell.logistics.discrepancies import (
    MAX_PHOTOS,
    NOTE_MAX,
    PHOTO_SIGNATURES,
    can_record_discrepancy,
    discrepancy_reassign,
    discrepancy_record,
    discrepancy_resolve,
    discrepancy_set_due,
    discrepancy_start_investigation,
)
from coordcell.logistics.lifecycle import S
from coordcell.logistics.models import Discrepancy, Shipment
from coordcell.logistics.selectors import (
    AGE_BANDS,
    REGISTER_SORTS,
    UNRESOLVED,
    DiscrepancyFilters,
    discrepancies_visible_to,
    discrepancy_actions_for,
    discrepancy_location_shown,
    discrepancy_register,
    shipments_visible_to,
)
from coordcell.registry.access import as_user, raise_not_found
from coordcell.registry.models import Nation

from .pagination import KeysetCursorPagination

TAG = ["discrepancies"]


class ActionsSerializer(serializers.Serializer):
    investigate = serializers.BooleanField()
    resolutions = serializers.ListField(
        child=serializers.ChoiceField(choices=Discrepancy.Resolution.choices)
    )
    reassign = serializers.BooleanField()
    due = serializers.BooleanField()


class PhotoSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    content_type = serializers.ChoiceField(choices=[(t, t) for t in PHOTO_SIGNATURES])
    size = serializers.IntegerField(help_text="Bytes.")
    uploaded_at = serializers.DateTimeField()
    url = serializers.CharField(help_text="Where the API serves the photo (with your token).")


class DiscrepancySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    shipment = serializers.CharField(help_text="The shipment's reference.")
    donor = serializers.CharField(help_text="The shipment's donor (ISO code).")
    kind = serializers.ChoiceField(choices=Discrepancy.Kind.choices)
    stage = serializers.ChoiceField(choices=S.choices, help_text="Where in the lifecycle found.")
    location = serializers.CharField(
        allow_null=True, help_text="Where it was found: null where that would be route data."
    )
    line = serializers.IntegerField(allow_null=True, help_text="The shipment line's id.")
    quantity = serializers.IntegerField(allow_null=True)
    serial = serializers.CharField()
    description = serializers.CharField()
    other_shipment = serializers.CharField(
        allow_null=True, help_text="A wrong serial's own shipment, if you may see it."
    )
    automatic = serializers.BooleanField(help_text="Raised by a check.")
    owner = serializers.CharField(
        allow_null=True, help_text="The donor (ISO code) who answers for it; null: the cell."
    )
    status = serializers.ChoiceField(choices=Discrepancy.Status.choices)
    resolution = serializers.ChoiceField(choices=[("", "none"), *Discrepancy.Resolution.choices])
    resolution_note = serializers.CharField()
    resolved_at = serializers.DateTimeField(allow_null=True)
    resolved_by = serializers.CharField(allow_null=True, help_text="For the cell only.")
    recorded_at = serializers.DateTimeField()
    due_on = serializers.DateField()
    overdue = serializers.BooleanField()
    version = serializers.IntegerField()
    actions = ActionsSerializer(help_text="What you may do with it now.")
    photos = PhotoSerializer(many=True, help_text="The photos taken when it was recorded.")


def discrepancy_rows(user: Any, found: list[Discrepancy]) -> list[dict[str, Any]]:
    """What the register shows of each discrepancy to ``user``, as data."""
    u = as_user(user)
    others = {d.other_shipment_id for d in found if d.other_shipment_id}
    visible = (
        set(shipments_visible_to(user).filter(pk__in=others).values_list("pk", flat=True))
        if others
        else set()
    )
    today = timezone.now().date()
    rows = []
    for d in found:
        shown = discrepancy_location_shown(user, d)
        rows.append(
            {
                "id": d.pk,
                "shipment": d.shipment.reference,
                "donor": d.shipment.donor.code,
                "kind": d.kind,
                "stage": d.stage,
                "location": d.location.code if shown and d.location is not None else None,
                "line": d.line_id,
                "quantity": d.quantity,
                "serial": d.serial,
                "description": d.description,
                "other_shipment": d.other_shipment.reference
                if d.other_shipment is not None and d.other_shipment_id in visible
                else None,
                "automatic": d.automatic,
                "owner": d.owner_nation.code if d.owner_nation is not None else None,
                "status": d.status,
                "resolution": d.resolution,
                "resolution_note": d.resolution_note,
                "resolved_at": d.resolved_at,
                "resolved_by": d.resolved_by.username
                if d.resolved_by is not None and u is not None and u.sees_everything
                else None,
                "recorded_at": d.recorded_at,
                "due_on": d.due_on,
                "overdue": d.status in UNRESOLVED and d.due_on < today,
                "version": d.version,
                "actions": discrepancy_actions_for(user, d),
                "photos": [
                    {
                        "id": photo.pk,
                        "content_type": photo.content_type,
                        "size": photo.size,
                        "uploaded_at": photo.uploaded_at,
                        "url": f"/api/v1/discrepancies/{d.pk}/photos/{photo.pk}",
                    }
                    for photo in d.photos.all()
                ],
            }
        )
    return rows


class VersionInput(serializers.Serializer):
    version = serializers.IntegerField(
        min_value=1,
        max_value=VERSION_MAX,
        help_text="The version you read; if it changed since, 409 and nothing changes.",
    )


class ResolveInput(VersionInput):
    resolution = serializers.ChoiceField(choices=Discrepancy.Resolution.choices)
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=NOTE_MAX,
        help_text="Required for replaced, written off and claimed: who replaces, claims or "
        "decided.",
    )


class ReassignInput(VersionInput):
    owner = serializers.CharField(
        allow_null=True, help_text="The shipment's donor (ISO code), or null: the cell."
    )


class DueInput(VersionInput):
    due_on = serializers.DateField()


def _parameters() -> list[OpenApiParameter]:
    return [
        OpenApiParameter("donor", str, description="The shipment donor's ISO code, e.g. DE."),
        OpenApiParameter("shipment", str, description="A shipment's reference."),
        OpenApiParameter("kind", str, enum=list(Discrepancy.Kind.values)),
        OpenApiParameter(
            "state", str, enum=["unresolved", *Discrepancy.Status.values], description="Status."
        ),
        OpenApiParameter("age", str, enum=list(AGE_BANDS), description="Days since recorded."),
        OpenApiParameter("overdue", bool, description="Only those past their due date."),
        OpenApiParameter(
            "sort",
            str,
            enum=list(REGISTER_SORTS),
            description="Due date first (by default); the cursor pages follow this order.",
        ),
    ]


def _choice(params: Any, name: str, allowed: list[str], errors: dict[str, list[str]]) -> str:
    value = str(params.get(name, ""))
    if value and value not in allowed:
        errors[name] = [f"Choose one of: {', '.join(allowed)}."]
    return value


@extend_schema_view(
    list=extend_schema(
        summary="List discrepancies (the register)",
        parameters=_parameters(),
        responses=DiscrepancySerializer(many=True),
        tags=TAG,
    ),
    retrieve=extend_schema(summary="Read a discrepancy", tags=TAG),
)
class DiscrepancyViewSet(viewsets.GenericViewSet):
    """Discrepancies across shipments, as the register page shows them to you."""

    serializer_class = DiscrepancySerializer
    pagination_class = KeysetCursorPagination
    lookup_value_regex = r"\d+"
    http_method_names = ["get", "head", "options", "post"]

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Discrepancy.objects.none()
        return (
            discrepancies_visible_to(self.request.user)
            .select_related("shipment__donor", "owner_nation", "other_shipment", "resolved_by")
            .prefetch_related("photos")
        )

    def list(self, request: Request) -> Response:
        params = request.query_params
        errors: dict[str, list[str]] = {}
        overdue = _choice(params, "overdue", ["true", "false", "1", "0"], errors)
        filters = DiscrepancyFilters(
            donor=params.get("donor", "")[:10],
            kind=_choice(params, "kind", list(Discrepancy.Kind.values), errors),
            state=_choice(params, "state", ["unresolved", *Discrepancy.Status.values], errors),
            age=_choice(params, "age", list(AGE_BANDS), errors),
            overdue=overdue in ("true", "1"),
            sort=_choice(params, "sort", list(REGISTER_SORTS), errors) or "due_on",
        )
        if errors:
            raise exceptions.ValidationError(errors)
        qs = (
            discrepancy_register(request.user, filters)
            .select_related("resolved_by")
            .prefetch_related("photos")
        )
        if params.get("shipment"):
            qs = qs.filter(shipment__reference=params["shipment"])
        # Pages by cursor on (the sort, id): a register that only grows costs the same per page.
        cast(KeysetCursorPagination, self.paginator).keyset = filters.sort
        page = self.paginate_queryset(qs)
        assert page is not None
        data = DiscrepancySerializer(discrepancy_rows(request.user, list(page)), many=True).data
        return self.get_paginated_response(data)

    def _discrepancy(self) -> Discrepancy:
        pk = self.kwargs["pk"]
        found = self.get_queryset().filter(pk=pk).first()
        if found is None:
            raise_not_found(self.get_queryset(), pk=pk)
        return found

    def retrieve(self, request: Request, pk: str) -> Response:
        return self._answer(self._discrepancy())

    @extend_schema(
        summary="A photo of a discrepancy",
        description="As the shipment page shows it: to whoever may read the discrepancy.",
        responses={(200, t): OpenApiTypes.BINARY for t in PHOTO_SIGNATURES},
        tags=TAG,
    )
    @action(detail=True, methods=["get"], url_path=r"photos/(?P<photo>\d+)", url_name="photo")
    def photo(self, request: Request, pk: str, photo: str) -> FileResponse:
        found = self._discrepancy().photos.filter(pk=int(photo[:18])).first()
        if found is None:
            raise exceptions.NotFound("No such photo of this discrepancy.")
        response = FileResponse(found.file.open("rb"), content_type=found.content_type)
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Disposition"] = "inline"
        return response

    def _answer(self, d: Discrepancy) -> Response:
        fresh = self.get_queryset().get(pk=d.pk)
        return Response(DiscrepancySerializer(discrepancy_rows(self.request.user, [fresh])[0]).data)

    def _acting(self, name: str) -> Discrepancy:
        """The discrepancy, if the user may take this action on it (as the page offers it). A
        resolved one goes on to the action, which says that a resolution is final."""
        d = self._discrepancy()
        user = as_user(self.request.user)
        allowed = discrepancy_actions_for(user, d)
        offered = bool(allowed["resolutions"]) if name == "resolve" else allowed[name]
        if user is None or user.is_auditor or not (offered or d.is_resolved):
            raise PermissionDenied(f"You may not {name} this discrepancy.")
        return d

    @extend_schema(
        summary="Start investigating an open discrepancy",
        request=VersionInput,
        responses=DiscrepancySerializer,
        tags=TAG,
    )
    @action(detail=True, methods=["post"])
    def investigate(self, request: Request, pk: str) -> Response:
        d = self._acting("investigate")
        data = _parsed(VersionInput, request)
        discrepancy_start_investigation(
            actor=request.user, discrepancy=d, expected_version=data["version"]
        )
        return self._answer(d)

    @extend_schema(
        summary="Resolve a discrepancy (final)",
        request=ResolveInput,
        responses=DiscrepancySerializer,
        tags=TAG,
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str) -> Response:
        d = self._acting("resolve")
        data = _parsed(ResolveInput, request)
        discrepancy_resolve(
            actor=request.user,
            discrepancy=d,
            resolution=data["resolution"],
            note=data["note"],
            expected_version=data["version"],
        )
        return self._answer(d)

    @extend_schema(
        summary="Give a discrepancy to its shipment's donor or to the cell",
        request=ReassignInput,
        responses=DiscrepancySerializer,
        tags=TAG,
    )
    @action(detail=True, methods=["post"])
    def reassign(self, request: Request, pk: str) -> Response:
        d = self._acting("reassign")
        data = _parsed(ReassignInput, request)
        owner_id = None
        if data["owner"]:
            nations = Nation.objects.filter(code=data["owner"].upper())
            owner_id = nations.values_list("pk", flat=True).first()
            if owner_id is None:
                raise exceptions.ValidationError({"owner": [f"No nation {data['owner']!r}."]})
        discrepancy_reassign(
            actor=request.user,
            discrepancy=d,
            owner_nation_id=owner_id,
            expected_version=data["version"],
        )
        return self._answer(d)

    @extend_schema(
        summary="Set the date a discrepancy must be resolved by",
        request=DueInput,
        responses=DiscrepancySerializer,
        tags=TAG,
    )
    @action(detail=True, methods=["post"])
    def due(self, request: Request, pk: str) -> Response:
        d = self._acting("due")
        data = _parsed(DueInput, request)
        discrepancy_set_due(
            actor=request.user,
            discrepancy=d,
            due_on=data["due_on"],
            expected_version=data["version"],
        )
        return self._answer(d)


def _parsed(serializer_class: type[serializers.Serializer], request: Request) -> Any:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# ---- recording one on a shipment (POST /api/v1/shipments/{id}/discrepancies) ----

DESCRIPTION_MAX = 5000


class RecordInput(serializers.Serializer):
    """What the shipment page's discrepancy form takes, photos included (multipart)."""

    kind = serializers.ChoiceField(choices=Discrepancy.Kind.choices)
    line = serializers.IntegerField(
        min_value=1,
        max_value=BIGINT[1],
        required=False,
        allow_null=True,
        default=None,
        help_text="The shipment line's id.",
    )
    quantity = serializers.IntegerField(
        min_value=1,
        max_value=QUANTITY_MAX,
        required=False,
        allow_null=True,
        default=None,
        help_text="Required for short.",
    )
    serial = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    description = serializers.CharField(max_length=DESCRIPTION_MAX)
    photos = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        default=list,
        help_text=f"Photos (multipart/form-data only, one part each): JPEG, PNG or WebP, at "
        f"most {MAX_PHOTOS}, each at most 5 MB (the shipment page's limits).",
    )


def discrepancy_record_answer(request: Request, shipment: Shipment) -> Response:
    """Record a discrepancy on ``shipment`` (one the caller sees) through the page's action,
    and answer it as ``GET /api/v1/discrepancies/{id}`` shows it to the caller. Nothing is
    looked up by the serial: whether it exists elsewhere is never told here."""
    if not can_record_discrepancy(request.user, shipment):
        raise PermissionDenied("You may not record discrepancies on this shipment.")
    data = _parsed(RecordInput, request)
    recorded = discrepancy_record(
        actor=request.user,
        shipment=shipment,
        kind=data["kind"],
        line_id=data["line"],
        quantity=data["quantity"],
        serial=data["serial"],
        description=data["description"],
        photos=data["photos"],
    )
    fresh = (
        Discrepancy.objects.select_related(
            "shipment__donor", "owner_nation", "other_shipment", "resolved_by", "location"
        )
        .prefetch_related("photos")
        .get(pk=recorded.pk)
    )
    row = discrepancy_rows(request.user, [fresh])[0]
    response = Response(DiscrepancySerializer(row).data, status=status.HTTP_201_CREATED)
    response["Location"] = request.build_absolute_uri(f"/api/v1/discrepancies/{recorded.pk}")
    return response
