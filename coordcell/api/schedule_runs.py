"""``/api/v1/schedule-runs``: queue a run of the training scheduler, poll it, read what it found
for each cohort and the bookings it made — through training's own selectors and actions.

Runs plan every site and cohort: the cell and auditors read them (``runs_visible_to``); anyone
else is answered 404, as on the pages. Only coordinators queue one (403 for an auditor). A
scheduler run books as it finishes: there is nothing to commit or discard.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils import timezone
from django_filters import rest_framework as df
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from coordcell.registry.access import as_user
from coordcell.training import scheduling, selectors
from coordcell.training.forms import RunForm
from coordcell.training.models import Booking, CohortOutcome, ScheduleRun, monday

from .pagination import Pagination
from .runs import CellRunViewSet

TAG = "schedule-runs"


class ScheduleRunSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="Where to poll this run.")
    created_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = ScheduleRun
        fields = [
            "id",
            "url",
            "reference",
            "status",
            "planning_start",
            "horizon_weeks",
            "time_limit_s",
            "progress",
            "progress_message",
            "error",
            "solver_status",
            "objective",
            "best_bound",
            "gap",
            "stats",
            "messages",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, run: ScheduleRun) -> str:
        return self.context["request"].build_absolute_uri(f"/api/v1/schedule-runs/{run.pk}")


class ScheduleRunCreateSerializer(serializers.Serializer):
    """What the page's run form asks; checked by that form (``training.forms.RunForm``)."""

    planning_start = serializers.DateField(
        required=False, help_text="Week 0, a Monday (default: this week's)."
    )
    horizon_weeks = serializers.IntegerField(min_value=4, max_value=104, default=52)
    time_limit_s = serializers.FloatField(min_value=0.5, max_value=600, default=10.0)


class OutcomeSerializer(serializers.ModelSerializer):
    cohort = serializers.CharField(source="cohort.reference")
    unit = serializers.CharField(source="cohort.unit")
    capability = serializers.CharField(source="cohort.capability.code")
    reasons = serializers.ListField(child=serializers.DictField())

    class Meta:
        model = CohortOutcome
        fields = [
            "cohort",
            "unit",
            "capability",
            "scheduled",
            "target_week",
            "finish_week",
            "lateness",
            "reasons",
        ]
        read_only_fields = fields


class RunBookingSerializer(serializers.ModelSerializer):
    cohort = serializers.CharField(source="cohort.reference")
    session = serializers.CharField(source="session.reference")
    course = serializers.CharField(source="session.course.code")
    site = serializers.CharField(source="session.site.location.code")
    start_date = serializers.DateField(source="session.start_date")
    end_date = serializers.DateField(source="session.end_date")

    class Meta:
        model = Booking
        fields = ["id", "cohort", "session", "course", "site", "start_date", "end_date"]
        read_only_fields = fields


class ScheduleRunFilter(df.FilterSet):
    status = df.ChoiceFilter(choices=ScheduleRun.Status.choices)

    class Meta:
        model = ScheduleRun
        fields = ["status"]


@extend_schema(tags=[TAG])
class ScheduleRunViewSet(CellRunViewSet):
    """Training scheduler runs: the cell's and the auditors' (anyone else: 404)."""

    queryset = ScheduleRun.objects.none()  # the schema's; requests use runs_visible_to
    serializer_class = ScheduleRunSerializer
    filterset_class = ScheduleRunFilter
    refusal = "scheduler runs are for the cell and auditors"

    def can_see(self, user: Any) -> bool:
        return selectors.can_see_schedule_runs(user)

    def visible(self, user: Any) -> QuerySet[ScheduleRun]:
        return selectors.runs_visible_to(user)

    def _data(self, run: ScheduleRun) -> Any:
        return ScheduleRunSerializer(run, context={"request": self.request}).data

    @extend_schema(summary="List training scheduler runs (newest first, by cursor)")
    def list(self, request: Request) -> Response:
        return super().list(request)

    @extend_schema(
        summary="Queue a run of the training scheduler",
        description="Answers 202 with the queued run; poll its `url` (also in `Location`) until "
        "`status` is `done` or `failed`. The run books the cohorts free to plan as it finishes.",
        request=ScheduleRunCreateSerializer,
        responses={202: ScheduleRunSerializer},
    )
    def create(self, request: Request) -> Response:
        self.get_queryset()  # refuses whoever may not see runs
        user = as_user(request.user)
        if user is None or not selectors.can_create_schedule_run(user):
            raise PermissionDenied("Only coordinators run the training scheduler.")
        given = ScheduleRunCreateSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        form = RunForm(
            {
                "planning_start": data.get("planning_start") or monday(timezone.now().date()),
                "horizon_weeks": data["horizon_weeks"],
                "time_limit_s": data["time_limit_s"],
            }
        )
        if not form.is_valid():
            raise exceptions.ValidationError(
                {name: [str(e) for e in errors] for name, errors in form.errors.items()}
            )
        run = scheduling.run_create(actor=user, **form.cleaned_data)
        run.refresh_from_db()  # the job may have begun, or (jobs run at once) finished
        body = self._data(run)
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})

    @extend_schema(summary="Read a scheduler run: status, progress, objective, bound, gap")
    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(self._data(self.get_object()))

    @extend_schema(
        summary="What the run found for each cohort: finish week, lateness and why",
        responses=OutcomeSerializer(many=True),
        filters=False,
    )
    @action(detail=True, pagination_class=Pagination, filter_backends=[])
    def outcomes(self, request: Request, pk: str) -> Response:
        page = self.paginate_queryset(selectors.schedule_run_outcomes(self.get_object()))
        return self.get_paginated_response(OutcomeSerializer(page, many=True).data)

    @extend_schema(
        summary="The bookings the run made: cohort, session, course, site, dates",
        responses=RunBookingSerializer(many=True),
        filters=False,
    )
    @action(detail=True, pagination_class=Pagination, filter_backends=[])
    def bookings(self, request: Request, pk: str) -> Response:
        page = self.paginate_queryset(selectors.schedule_run_bookings(self.get_object()))
        return self.get_paginated_response(RunBookingSerializer(page, many=True).data)
