"""``/api/v1/allocation-runs``: queue a run, poll it, read its lines and shortfalls, run a what-if,
compare it, commit or discard — through the allocation's own selectors and actions, as the pages.

Runs hold every nation's pledges and routes: the cell and auditors read them
(``runs_visible_to``); anyone else is answered 404, as on the pages. Only coordinators write
(``can_create_run``, ``can_commit_run``, ``can_discard_run``): an auditor is answered 403.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django_filters import rest_framework as df
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from coordcell.allocation import selectors, services
from coordcell.allocation.forms import RunForm
from coordcell.allocation.models import AllocationLine, AllocationRun, Shortfall
from coordcell.allocation.scenarios import MAX_CHANGES, describe
from coordcell.bounds import VERSION_MAX
from coordcell.registry.access import as_user, not_found
from coordcell.registry.models import User

from .pagination import Pagination
from .problems import ConflictError
from .runs import CellRunViewSet

TAG = "allocation-runs"


def run_url(request: Request, run: AllocationRun) -> str:
    return request.build_absolute_uri(f"/api/v1/allocation-runs/{run.pk}")


class AllocationRunSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="Where to poll this run.")
    lexicographic = serializers.SerializerMethodField()
    base_run: serializers.PrimaryKeyRelatedField[Any] = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True
    )
    created_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    committed_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = AllocationRun
        fields = [
            "id",
            "url",
            "reference",
            "kind",
            "status",
            "method",
            "planning_start",
            "horizon_weeks",
            "replan_from",
            "lexicographic",
            "changes",
            "base_run",
            "progress",
            "progress_message",
            "error",
            "input_hash",
            "objective",
            "lp_bound",
            "gap",
            "greedy_objective",
            "stats",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
            "committed_by",
            "committed_at",
            "version",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, run: AllocationRun) -> str:
        return run_url(self.context["request"], run)

    def get_lexicographic(self, run: AllocationRun) -> bool:
        return bool((run.parameters or {}).get("lexicographic", False))


class AllocationRunDetailSerializer(AllocationRunSerializer):
    replaces_shipments = serializers.SerializerMethodField(
        help_text="The planned shipments committing this re-plan cancels."
    )

    class Meta(AllocationRunSerializer.Meta):
        fields = [*AllocationRunSerializer.Meta.fields, "replaces_shipments", "resilience"]
        read_only_fields = fields

    def get_replaces_shipments(self, run: AllocationRun) -> list[str]:
        return [s.reference for s in selectors.shipments_a_commit_replaces(run)]


class RunCreateSerializer(serializers.Serializer):
    """What the page's run form asks; checked by that form (``allocation.forms.RunForm``)."""

    planning_start = serializers.DateField(
        required=False, help_text="Week 0, a Monday (default: this week's)."
    )
    horizon_weeks = serializers.IntegerField(min_value=4, max_value=104, default=26)
    lexicographic = serializers.BooleanField(
        default=False, help_text="Meet priority-1 requirements as far as possible first."
    )
    replan_from = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text="A Monday: re-plan shipments leaving from then (committing cancels them).",
    )
    method = serializers.ChoiceField(
        choices=AllocationRun.Method.choices, default=AllocationRun.Method.OPTIMISER
    )
    hub_share_cap = serializers.FloatField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Resilient plan: the most any hub may pass of a domain's units in a week "
        "(0.1 to 1); the run keeps the plain plan's figures beside it.",
    )
    n_minus_one = serializers.BooleanField(
        default=False, help_text="Also re-plan once without each hub (the N-1 table)."
    )
    n_minus_one_from_week = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=0, max_value=103
    )
    n_minus_one_to_week = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=0, max_value=103
    )


class WhatIfSerializer(serializers.Serializer):
    changes = serializers.ListField(
        child=serializers.DictField(),
        min_length=1,
        max_length=MAX_CHANGES,
        help_text=(
            'Change objects, added to the base run\'s: {"type": "close_hub", "hub": CODE, '
            '"from_week": N, "to_week": N}, {"type": "extra_capacity", "hub": CODE, "domain": D, '
            '"per_week": N}, {"type": "slip_pledge", "pledge": REF, "weeks": N}, '
            '{"type": "withdraw_pledge", "pledge": REF}, '
            '{"type": "raise_priority", "requirement": REF, "priority": 1-5}, '
            '{"type": "hub_capacity", "hub": CODE, "domain": D, "from_week": N, "to_week": N, '
            '"per_week": N} (the units the hub passes in those weeks; 0 closes it for D).'
        ),
    )


class VersionSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        min_value=1, max_value=VERSION_MAX, help_text="The run's version as you read it."
    )


class AllocationLineSerializer(serializers.ModelSerializer):
    pledge = serializers.CharField(source="pledge.reference")
    donor = serializers.CharField(source="pledge.donor.code")
    requirement = serializers.CharField(source="requirement.reference")
    priority = serializers.IntegerField(source="requirement.priority")
    category = serializers.CharField(source="requirement.category.code")
    hub = serializers.CharField(source="hub.code")

    class Meta:
        model = AllocationLine
        fields = [
            "id",
            "pledge",
            "donor",
            "requirement",
            "priority",
            "category",
            "hub",
            "quantity",
            "dispatch_week",
            "hub_week",
            "arrival_week",
            "weeks_late",
            "edited",
        ]
        read_only_fields = fields


class ReasonSerializer(serializers.Serializer):
    code = serializers.CharField()
    text = serializers.CharField()
    hub_id = serializers.CharField(required=False)
    weeks = serializers.ListField(child=serializers.IntegerField(), required=False)
    week = serializers.IntegerField(required=False)
    competing_demand_id = serializers.CharField(required=False)
    competing_priority = serializers.IntegerField(required=False)
    supply_ids = serializers.ListField(child=serializers.CharField(), required=False)
    quantity = serializers.IntegerField(required=False)


class ShortfallSerializer(serializers.ModelSerializer):
    requirement = serializers.CharField(source="requirement.reference")
    priority = serializers.IntegerField(source="requirement.priority")
    category = serializers.CharField(source="requirement.category.code")
    need_by = serializers.DateField(source="requirement.need_by")
    reasons = ReasonSerializer(many=True)

    class Meta:
        model = Shortfall
        fields = [
            "requirement",
            "priority",
            "category",
            "need_by",
            "requested",
            "on_time",
            "late",
            "missing",
            "reasons",
        ]
        read_only_fields = fields


class RequirementChangeSerializer(serializers.Serializer):
    requirement = serializers.CharField(source="reference")
    priority = serializers.IntegerField()
    base_on_time = serializers.IntegerField()
    scenario_on_time = serializers.IntegerField()
    base_delivered = serializers.IntegerField()
    scenario_delivered = serializers.IntegerField()
    delta_on_time = serializers.IntegerField()


class PackageMoveSerializer(serializers.Serializer):
    package = serializers.CharField(source="package.reference")
    name = serializers.CharField(source="package.name")
    ready_before = serializers.DateField(source="before", allow_null=True)
    ready_after = serializers.DateField(source="after", allow_null=True)
    days = serializers.IntegerField(allow_null=True, help_text="Days later; negative: earlier.")
    items_before = serializers.DateField(allow_null=True)
    items_after = serializers.DateField(allow_null=True)
    items_days = serializers.IntegerField(allow_null=True)


class ComparisonSerializer(serializers.Serializer):
    run = serializers.IntegerField(source="run.pk")
    run_reference = serializers.CharField(source="run.reference")
    base_run = serializers.IntegerField(source="base.pk")
    base_reference = serializers.CharField(source="base.reference")
    changes = serializers.SerializerMethodField(help_text="The what-if's changes, in words.")
    objective = serializers.FloatField(source="run.objective", allow_null=True)
    base_objective = serializers.FloatField(source="base.objective", allow_null=True)
    objective_delta = serializers.FloatField(source="delta")
    gains = serializers.IntegerField(help_text="Requirements gaining on-time units.")
    losses = serializers.IntegerField(help_text="Requirements losing on-time units.")
    changed = serializers.SerializerMethodField(help_text="Requirements changing in all.")
    requirements = RequirementChangeSerializer(
        many=True, source="changes", help_text="Biggest on-time change first."
    )
    readiness = PackageMoveSerializer(
        many=True,
        source="moves",
        help_text="Capability packages (those you may see) whose readiness moves.",
    )

    def get_changes(self, figures: selectors.Comparison) -> list[str]:
        return [describe(c) for c in figures.run.changes]

    def get_changed(self, figures: selectors.Comparison) -> int:
        return len(figures.changes)


class RunFilter(df.FilterSet):
    status = df.ChoiceFilter(choices=AllocationRun.Status.choices)
    kind = df.ChoiceFilter(choices=AllocationRun.Kind.choices)

    class Meta:
        model = AllocationRun
        fields = ["status", "kind"]


_LINE_ORDERINGS = [k for key in selectors.LINE_SORTS for k in (key, f"-{key}")]


class LineQuery(serializers.Serializer):
    donor = serializers.CharField(required=False, allow_blank=True, max_length=10)
    hub = serializers.CharField(required=False, allow_blank=True, max_length=60)
    ordering = serializers.ChoiceField(source="sort", choices=_LINE_ORDERINGS, default="priority")


def _coordinator(request: Request, allowed: bool) -> User:
    """The acting coordinator; PermissionDenied (403, audited) for a reader of the run."""
    user = as_user(request.user)
    if user is None or not allowed:
        raise PermissionDenied("Only coordinators run, commit and discard allocations.")
    return user


def _accepted(request: Request, run: AllocationRun) -> Response:
    run.refresh_from_db()  # the job may have begun, or (jobs run at once) finished
    body = AllocationRunDetailSerializer(run, context={"request": request}).data
    return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})


@extend_schema(tags=[TAG])
class AllocationRunViewSet(CellRunViewSet):
    """Allocation runs: the cell's and the auditors' (anyone else: 404)."""

    queryset = AllocationRun.objects.none()  # the schema's; requests use runs_visible_to
    serializer_class = AllocationRunSerializer
    filterset_class = RunFilter
    refusal = "allocation runs are for the cell and auditors"

    def can_see(self, user: Any) -> bool:
        return selectors.can_see_runs(user)

    def visible(self, user: Any) -> QuerySet[AllocationRun]:
        return selectors.runs_visible_to(user)

    @extend_schema(summary="List allocation runs (newest first, by cursor)")
    def list(self, request: Request) -> Response:
        return super().list(request)

    @extend_schema(
        summary="Queue an allocation run",
        description="Answers 202 with the queued run; poll its `url` (also in `Location`) "
        "until `status` is no longer `queued` or `running`.",
        request=RunCreateSerializer,
        responses={202: AllocationRunDetailSerializer},
    )
    def create(self, request: Request) -> Response:
        self.get_queryset()  # refuses whoever may not see runs
        user = _coordinator(request, selectors.can_create_run(request.user))
        given = RunCreateSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        form = RunForm(
            {
                "planning_start": data.get("planning_start") or services.default_planning_start(),
                "horizon_weeks": data["horizon_weeks"],
                "lexicographic": data["lexicographic"],
                "greedy": data["method"] == AllocationRun.Method.GREEDY,
                "replan_from": data["replan_from"] or "",
                "hub_share_cap": "" if data["hub_share_cap"] is None else data["hub_share_cap"],
                "n_minus_one": data["n_minus_one"],
                **{
                    k: data[k]
                    for k in ("n_minus_one_from_week", "n_minus_one_to_week")
                    if data[k] is not None
                },
            }
        )
        if not form.is_valid():
            raise exceptions.ValidationError(
                {name: [str(e) for e in errors] for name, errors in form.errors.items()}
            )
        run = services.run_create(
            actor=user,
            planning_start=form.cleaned_data["planning_start"],
            horizon_weeks=form.cleaned_data["horizon_weeks"],
            replan_from=form.cleaned_data["replan_from"],
            parameters=form.parameters(),
            method=data["method"],
        )
        return _accepted(request, run)

    @extend_schema(
        summary="Read an allocation run: status, progress, objective, bound, gap, statistics",
        responses=AllocationRunDetailSerializer,
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        run = self.get_object()
        return Response(AllocationRunDetailSerializer(run, context={"request": request}).data)

    @extend_schema(
        summary="A run's lines: pledge → hub → requirement, weeks and quantity",
        parameters=[
            OpenApiParameter("donor", str, description="The donor's ISO code."),
            OpenApiParameter("hub", str, description="The hub's code."),
            OpenApiParameter("ordering", str, enum=_LINE_ORDERINGS, default="priority"),
        ],
        responses=AllocationLineSerializer(many=True),
        filters=False,
    )
    @action(detail=True, pagination_class=Pagination, filter_backends=[])
    def lines(self, request: Request, pk: str) -> Response:
        run = self.get_object()
        query = LineQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        lines = selectors.lines_of(run, **query.validated_data)
        page = self.paginate_queryset(lines)
        return self.get_paginated_response(AllocationLineSerializer(page, many=True).data)

    @extend_schema(
        summary="A run's shortfalls: requirements not met in full and on time, and why",
        responses=ShortfallSerializer(many=True),
        filters=False,
    )
    @action(detail=True, pagination_class=Pagination, filter_backends=[])
    def shortfalls(self, request: Request, pk: str) -> Response:
        run = self.get_object()
        page = self.paginate_queryset(selectors.shortfalls_of(run))
        return self.get_paginated_response(ShortfallSerializer(page, many=True).data)

    @extend_schema(
        summary="Queue a what-if: this run's situation with more changes",
        description="Answers 202 with the new run (kind `what_if`, `base_run` this one); "
        "compare them at `/allocation-runs/{new id}/compare` once it is solved.",
        request=WhatIfSerializer,
        responses={202: AllocationRunDetailSerializer},
    )
    @action(detail=True, methods=["post"], url_path="what-if", url_name="what-if")
    def what_if(self, request: Request, pk: str) -> Response:
        base = self.get_object()
        user = _coordinator(request, selectors.can_create_run(request.user))
        given = WhatIfSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        run = services.whatif_create(actor=user, base=base, changes=given.validated_data["changes"])
        return _accepted(request, run)

    @extend_schema(
        summary="Compare a what-if with its base run (the compare page's figures)",
        responses=ComparisonSerializer,
        filters=False,
    )
    @action(detail=True, filter_backends=[])
    def compare(self, request: Request, pk: str) -> Response:
        run = self.get_object()
        figures = selectors.comparison(request.user, run)
        if figures is None:
            raise not_found("this run is not a what-if")
        return Response(ComparisonSerializer(figures).data)

    @extend_schema(
        summary="Commit a solved plan: allocate its lines and plan their shipments",
        description="Send the `version` you read: a stale one answers 409. A run that is not a "
        "solved plan, or whose pledges or requirements changed since it was solved, answers "
        "409 too, `detail` saying why.",
        request=VersionSerializer,
        responses=AllocationRunDetailSerializer,
    )
    @action(detail=True, methods=["post"])
    def commit(self, request: Request, pk: str) -> Response:
        run = self.get_object()
        user = _coordinator(request, selectors.can_commit_run(request.user, run))
        given = VersionSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            run = services.run_commit(
                actor=user, run=run, expected_version=given.validated_data["version"]
            )
        except DjangoValidationError as exc:
            raise ConflictError(" ".join(exc.messages)) from exc
        run.refresh_from_db()
        return Response(AllocationRunDetailSerializer(run, context={"request": request}).data)

    @extend_schema(
        summary="Discard a run (never a committed one)",
        description="Send the `version` you read: a stale one answers 409.",
        request=VersionSerializer,
        responses=AllocationRunDetailSerializer,
    )
    @action(detail=True, methods=["post"])
    def discard(self, request: Request, pk: str) -> Response:
        run = self.get_object()
        user = _coordinator(request, selectors.can_discard_run(request.user, run))
        given = VersionSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            run = services.run_discard(
                actor=user, run=run, expected_version=given.validated_data["version"]
            )
        except DjangoValidationError as exc:
            raise ConflictError(" ".join(exc.messages)) from exc
        return Response(AllocationRunDetailSerializer(run, context={"request": request}).data)
