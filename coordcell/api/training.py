"""Training through the API: courses, training sites, sessions, cohorts and bookings are the
training registers (``training/register_defs.py``) as ``ApiResource``s — the same access
functions, forms and services as the pages. Two actions besides: a booking's attendance and
result (``training.execution.attendance_record``, ``can_record_attendance``) and cancelling a
session (``training.execution.session_cancel``), which answers what became of its cohorts."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from coordcell.bounds import PEOPLE_MAX, VERSION_MAX
from coordcell.registry.access import as_user, refuse
from coordcell.registry.models import Capability, ItemCategory, Location
from coordcell.training import execution, selectors
from coordcell.training.forms import CohortForm, CourseForm, TrainingSiteForm
from coordcell.training.models import Booking, Cohort, Course, Session, TrainingSite
from coordcell.training.register_defs import (
    BOOKINGS,
    COHORTS,
    COURSES,
    SESSIONS,
    TRAINING_SITES,
)

from .problems import ConflictError
from .resources import ApiResource, viewset_for
from .serializers import CodeField, ReadOnlyRefused, ScopedSerializer, VersionedSerializer


def _courses(**kwargs: Any) -> Any:
    return CodeField(slug_field="code", queryset=Course.objects.all(), **kwargs)


class CourseSerializer(VersionedSerializer):
    system = CodeField(
        slug_field="code",
        queryset=ItemCategory.objects.all(),
        required=False,
        allow_null=True,
        help_text="The item category's code the course trains on; null for a skill course.",
    )
    prerequisites = _courses(many=True, required=False)

    class Meta:
        model = Course
        fields = ["id", *CourseForm.Meta.fields, "version"]
        validators: list[Any] = []


class TrainingSiteSerializer(VersionedSerializer):
    location = CodeField(
        slug_field="code",
        queryset=Location.objects.filter(kind=Location.Kind.TRAINING_SITE),
        help_text="The site's location code.",
    )
    courses = _courses(many=True, required=False)

    class Meta:
        model = TrainingSite
        fields = ["id", *TrainingSiteForm.Meta.fields, "version"]
        validators: list[Any] = []


@extend_schema_field(OpenApiTypes.STR)
class SiteCodeField(CodeField):
    """A training site, named by its location's code."""


class SessionSerializer(VersionedSerializer):
    scopes = {"site": selectors.sites_visible_to}

    course = _courses()
    site = SiteCodeField(
        slug_field="location__code",
        queryset=TrainingSite.objects.all(),
        help_text="The training site's location code.",
    )

    class Meta:
        model = Session
        fields = [
            "id",
            "reference",
            "course",
            "site",
            "start_date",
            "seats",
            "booked_trainees",
            "status",
            "version",
        ]
        read_only_fields = ["reference", "booked_trainees", "status"]
        validators: list[Any] = []


class CohortPathField(serializers.CharField):
    """The course path as the page writes it: course codes in order, comma-separated."""

    def get_attribute(self, instance: Any) -> Any:
        return ", ".join(c.code for c in instance.path()) if instance.pk else ""


class CohortSerializer(VersionedSerializer):
    capability = CodeField(slug_field="code", queryset=Capability.objects.all())
    qualifications = _courses(many=True, required=False)
    path = CohortPathField(
        max_length=2000,
        help_text=str(CohortForm.base_fields["path"].help_text),
    )

    class Meta:
        model = Cohort
        fields = [
            "id",
            "reference",
            "unit",
            "trainees",
            "capability",
            "earliest_release",
            "priority",
            "path",
            "qualifications",
            "version",
        ]
        read_only_fields = ["reference"]
        validators: list[Any] = []


class BookingSerializer(ReadOnlyRefused, ScopedSerializer):
    scopes = {
        "cohort": selectors.cohorts_visible_to,
        "session": selectors.sessions_visible_to,
    }

    cohort = CodeField(
        slug_field="reference", queryset=Cohort.objects.all(), help_text="The cohort's reference."
    )
    session = CodeField(
        slug_field="reference",
        queryset=Session.objects.all(),
        help_text="The session's reference.",
    )
    outcome = serializers.ChoiceField(
        choices=[("", "not recorded yet"), *Booking.Outcome.choices],
        read_only=True,
        help_text="The cohort's result; empty until the site records it (`attendance`).",
    )

    class Meta:
        model = Booking
        fields = [
            "id",
            "cohort",
            "session",
            "source",
            "created_at",
            "outcome",
            "attended",
            "outcome_note",
            "outcome_recorded_at",
        ]
        read_only_fields = [
            "source",
            "created_at",
            "outcome",
            "attended",
            "outcome_note",
            "outcome_recorded_at",
        ]
        validators: list[Any] = []


# ---- attendance ----


class AttendanceInput(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Booking.Outcome.choices)
    attended = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=PEOPLE_MAX,
        help_text="How many of the cohort's trainees attended (at most its size).",
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class _BookingViewSet(viewset_for(ApiResource(BOOKINGS, BookingSerializer))):  # type: ignore[misc]
    @extend_schema(
        summary="Record a booking's attendance and result",
        description="The session's training-site officer or a coordinator, once the session "
        "has started. Readiness counts the crew trained only when completed.",
        request=AttendanceInput,
        responses={200: BookingSerializer},
        tags=["bookings"],
    )
    @action(detail=True, methods=["post"], url_path="attendance")
    def attendance(self, request: Request, pk: str | None = None) -> Response:
        booking = self.get_object()
        if not selectors.can_record_attendance(request.user, booking):
            raise refuse("the role does not record this session's results")
        data = AttendanceInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            execution.attendance_record(
                actor=as_user(request.user),
                booking=booking,
                outcome=data.validated_data["outcome"],
                attended=data.validated_data.get("attended"),
                note=data.validated_data.get("note", ""),
            )
        except PermissionDenied as exc:
            raise refuse(str(exc)) from exc
        return Response(self.get_serializer(self._reload(booking)).data)


BookingViewSet = _BookingViewSet


# ---- cancelling a session ----


class CancelInput(serializers.Serializer):
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=VERSION_MAX,
        help_text="The session's version you read: a stale one answers 409.",
    )


class RebookedSerializer(serializers.Serializer):
    cohort = serializers.CharField(help_text="The cohort's reference.")
    session = serializers.CharField(
        allow_null=True,
        help_text="The session it is booked on now; null where that session is not yours to see.",
    )


class UnbookedSerializer(serializers.Serializer):
    cohort = serializers.CharField(help_text="The cohort's reference.")
    course = serializers.CharField(help_text="The course it is left unbooked on.")
    candidates = serializers.IntegerField(help_text="Other planned sessions of the course tried.")


class CancellationSerializer(serializers.Serializer):
    session = SessionSerializer()
    rebooked = RebookedSerializer(many=True)
    unbooked = UnbookedSerializer(many=True)
    proposes_schedule_run = serializers.BooleanField(
        help_text="Some cohorts are unbooked: a schedule run would book them."
    )


class _SessionViewSet(viewset_for(ApiResource(SESSIONS, SessionSerializer))):  # type: ignore[misc]
    @extend_schema(
        summary="Cancel a session",
        description="Its cohorts are rebooked on other sessions of the course where one takes "
        "them; the answer names those rebooked and those left unbooked. Coordinators and the "
        "site's training-site officer, as on the page.",
        request=CancelInput,
        responses={200: CancellationSerializer},
        tags=["training-sessions"],
    )
    @action(detail=True, methods=["post"], url_path="cancel")
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        session = self.get_object()
        user = as_user(request.user)
        if (
            user is not None
            and session.status != Session.Status.PLANNED
            and selectors.sessions_editable_by(user).filter(pk=session.pk).exists()
        ):
            raise ConflictError(f"{session.reference} is {session.get_status_display()}.")
        if user is None or not selectors.can_cancel_session(user, session):
            raise refuse("the role does not cancel this session")
        data = CancelInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            result = execution.session_cancel(
                actor=user, session=session, expected_version=data.validated_data.get("version")
            )
        except PermissionDenied as exc:
            raise refuse(str(exc)) from exc
        # Where a cohort went is named only when the caller may see that session (the page).
        visible = set(
            selectors.sessions_visible_to(user)
            .filter(pk__in=[r.session.pk for r in result.rebooked])
            .values_list("pk", flat=True)
        )
        body = {
            "session": self.get_serializer(self._reload(result.session)).data,
            "rebooked": [
                {
                    "cohort": r.cohort.reference,
                    "session": r.session.reference if r.session.pk in visible else None,
                }
                for r in result.rebooked
            ],
            "unbooked": [
                {"cohort": u.cohort.reference, "course": u.course.code, "candidates": u.candidates}
                for u in result.unbooked
            ],
            "proposes_schedule_run": result.proposes_schedule_run,
        }
        return Response(body)


SessionViewSet = _SessionViewSet

RESOURCES = [
    ApiResource(COURSES, CourseSerializer, codes=("prerequisites",)),
    ApiResource(TRAINING_SITES, TrainingSiteSerializer, codes=("courses",)),
    ApiResource(COHORTS, CohortSerializer, codes=("qualifications",)),
]
