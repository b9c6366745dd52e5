"""The training registers' pages: what each list shows and who may change what."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from coordcell.registry import access
from coordcell.registry.registers import Column, RecordAction, Register

from . import selectors, services, views
from .filters import CohortFilter, SessionFilter
from .forms import BookingForm, CohortForm, CourseForm, SessionForm, TrainingSiteForm
from .models import Booking, Cohort, Course, Session, TrainingSite


def _save_course(*, actor: Any, form: CourseForm) -> Course:
    return services.course_save(
        actor=actor,
        course=form.instance,
        prerequisites=form.cleaned_data.get("prerequisites"),
        expected_version=form.expected_version,
    )


def _save_site(*, actor: Any, form: TrainingSiteForm) -> TrainingSite:
    return services.site_save(
        actor=actor,
        site=form.instance,
        courses=form.cleaned_data.get("courses"),
        expected_version=form.expected_version,
    )


def _save_session(*, actor: Any, form: SessionForm) -> Session:
    return services.session_save(
        actor=actor, session=form.instance, expected_version=form.expected_version
    )


def _save_cohort(*, actor: Any, form: CohortForm) -> Cohort:
    return services.cohort_save(
        actor=actor,
        cohort=form.instance,
        path=form.cleaned_data["path"],
        qualifications=form.cleaned_data.get("qualifications") or (),
        expected_version=form.expected_version,
    )


def _delete_cohort(*, actor: Any, instance: Cohort) -> None:
    services.cohort_delete(actor=actor, cohort=instance)


def _save_booking(*, actor: Any, form: BookingForm) -> Booking:
    if form.instance.pk is not None:
        raise ValidationError(gettext("A booking is not changed: delete it and book again."))
    return services.booking_create(
        actor=actor, cohort=form.cleaned_data["cohort"], session=form.cleaned_data["session"]
    )


def _delete_booking(*, actor: Any, instance: Booking) -> None:
    services.booking_delete(actor=actor, booking=instance)


COURSES = Register(
    slug="courses",
    model=Course,
    title="Courses",
    columns=(
        Column("code", "Code", "code"),
        Column("name", "Name", "name"),
        Column("system", "System", "system__name"),
        Column("skill", "Skill", "skill"),
        Column("duration_weeks", "Weeks", "duration_weeks"),
        Column("max_class_size", "Max class", "max_class_size"),
        Column("prerequisites", "Prerequisites"),
        Column("language", "Language", "language"),
    ),
    visible=selectors.courses_visible_to,
    editable=selectors.courses_editable_by,
    can_create=access.can_write_registers,
    form_class=CourseForm,
    search_fields=("code", "name", "skill", "system__name"),
    detail_fields=(
        "code",
        "name",
        "system",
        "skill",
        "duration_weeks",
        "min_class_size",
        "max_class_size",
        "prerequisites",
        "language",
        "instructors_per_session",
        "sites",
        "version",
    ),
    save=_save_course,
    default_sort="code",
)

TRAINING_SITES = Register(
    slug="training-sites",
    model=TrainingSite,
    title="Training sites",
    columns=(
        Column("location", "Site", "location__name"),
        Column("location.nation", "Host nation", "location__nation__name"),
        Column("seats_per_week", "Seats per week", "seats_per_week"),
        Column("instructors", "Instructors", "instructors"),
        Column("courses", "Courses"),
    ),
    visible=selectors.sites_visible_to,
    editable=selectors.sites_editable_by,
    can_create=access.can_write_registers,
    form_class=TrainingSiteForm,
    search_fields=("location__name", "location__nation__name"),
    detail_fields=(
        "location",
        "location.nation",
        "courses",
        "instructors",
        "seats_per_week",
        "blackouts",
        "version",
    ),
    save=_save_site,
    default_sort="location__name",
)

SESSIONS = Register(
    slug="training-sessions",
    model=Session,
    title="Course sessions",
    columns=(
        Column("reference", "Session", "reference"),
        Column("course.code", "Course", "course__code"),
        Column("site", "Site", "site__location__name"),
        Column("start_date", "Starts", "start_date"),
        Column("end_date", "Trained from"),
        Column("seats", "Seats", "seats"),
        Column("booked_trainees", "Booked", "booked_trainees"),
        Column("status", "Status", "status"),
    ),
    visible=selectors.sessions_visible_to,
    editable=selectors.sessions_editable_by,
    can_create=selectors.can_create_session,
    form_class=SessionForm,
    filterset_class=SessionFilter,
    search_fields=("reference", "course__code", "course__name", "site__location__name"),
    detail_fields=(
        "reference",
        "course",
        "site",
        "start_date",
        "end_date",
        "seats",
        "capacity",
        "booked_trainees",
        "booked_cohorts",
        "status",
        "version",
    ),
    save=_save_session,
    default_sort="start_date",
    actions=(
        RecordAction(
            "Attendance and results",
            "attendance",
            views.session_attendance,
            lambda user, obj: selectors.sessions_visible_to(user).filter(pk=obj.pk).exists(),
        ),
        RecordAction(
            "Cancel session", "cancel", views.session_cancel, selectors.can_cancel_session
        ),
    ),
)

COHORTS = Register(
    slug="cohorts",
    model=Cohort,
    title="Cohorts",
    columns=(
        Column("reference", "Cohort", "reference"),
        Column("unit", "Unit", "unit"),
        Column("trainees", "Trainees", "trainees"),
        Column("capability", "Crews", "capability__name"),
        Column("path_text", "Course path"),
        Column("earliest_release", "Released", "earliest_release"),
        Column("priority", "Priority", "priority"),
    ),
    visible=selectors.cohorts_visible_to,
    editable=selectors.cohorts_editable_by,
    can_create=selectors.can_create_cohort,
    form_class=CohortForm,
    filterset_class=CohortFilter,
    search_fields=("reference", "unit", "capability__name"),
    detail_fields=(
        "reference",
        "unit",
        "trainees",
        "capability",
        "path_text",
        "qualifications",
        "earliest_release",
        "priority",
        "version",
    ),
    save=_save_cohort,
    delete=_delete_cohort,
    default_sort="reference",
)

BOOKINGS = Register(
    slug="bookings",
    model=Booking,
    title="Bookings",
    columns=(
        Column("cohort.reference", "Cohort", "cohort__reference"),
        Column("session.reference", "Session", "session__reference"),
        Column("session.course.code", "Course", "session__course__code"),
        Column("session.site", "Site", "session__site__location__name"),
        Column("session.start_date", "Starts", "session__start_date"),
        Column("cohort.trainees", "Trainees"),
        Column("source", "Made", "source"),
        Column("outcome", "Result", "outcome"),
    ),
    visible=selectors.bookings_visible_to,
    editable=selectors.bookings_editable_by,
    can_create=selectors.can_book,
    form_class=BookingForm,
    search_fields=("cohort__reference", "session__reference", "cohort__unit"),
    detail_fields=(
        "cohort",
        "session",
        "source",
        "run",
        "created_at",
        "outcome",
        "attended",
        "outcome_note",
        "outcome_recorded_at",
    ),
    save=_save_booking,
    delete=_delete_booking,
    default_sort="session__start_date",
)

REGISTERS = [COURSES, TRAINING_SITES, SESSIONS, COHORTS, BOOKINGS]
