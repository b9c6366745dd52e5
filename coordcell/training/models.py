"""The training registers: courses, training sites, course sessions, the recipient's cohorts,
their bookings, and the scheduler's runs.

Weeks: a session starts on a Monday; the scheduler counts weeks from a run's ``planning_start``.
A trainee of a session of ``d`` weeks starting on Monday M counts as trained from M + d weeks.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import formats
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from coordcell.bounds import (
    FLOAT,
    INTEGER,
    PEOPLE_MAX,
    PERCENT,
    SMALLINT,
    STAFF_MAX,
    VERSION_MAX,
    WEEKS_MAX,
    between,
)
from coordcell.registry.models import Capability, ItemCategory, Location

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class Language(models.TextChoices):
    ENGLISH = "en", _("English")
    UKRAINIAN = "uk", _("Ukrainian (interpreted)")
    GERMAN = "de", _("German")
    FRENCH = "fr", _("French")
    POLISH = "pl", _("Polish")


class Course(models.Model):
    """A course a crew must pass: on a system (an item category) or a skill."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    system = models.ForeignKey(
        ItemCategory,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="courses",
        verbose_name=_("system"),
        help_text=_("The equipment the course trains on; leave empty for a skill course."),
    )
    skill = models.CharField(
        _("skill"), max_length=100, blank=True, help_text=_("For a course not tied to a system.")
    )
    duration_weeks = models.PositiveSmallIntegerField(
        _("duration (weeks)"), validators=between(1, 52)
    )
    min_class_size = models.PositiveIntegerField(
        _("minimum class size"), default=1, validators=between(0, PEOPLE_MAX)
    )
    max_class_size = models.PositiveIntegerField(
        _("maximum class size"), validators=between(1, PEOPLE_MAX)
    )
    prerequisites = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="required_for",
        verbose_name=_("prerequisites"),
        help_text=_("Courses a trainee must have passed before this one starts."),
    )
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.ENGLISH
    )
    instructors_per_session = models.PositiveSmallIntegerField(
        _("instructors per session"), default=1, validators=between(0, STAFF_MAX)
    )
    version = models.PositiveIntegerField(default=1, validators=between(1, VERSION_MAX))

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code}: {self.name}"

    def clean(self) -> None:
        errors: dict[str, StrOrPromise] = {}
        if bool(self.system_id) == bool(self.skill.strip()):
            errors["skill"] = _("A course is on a system or on a skill: give exactly one of them.")
        if self.max_class_size is not None and self.max_class_size < 1:
            errors["max_class_size"] = _("The maximum class size is at least 1.")
        if (
            self.max_class_size is not None
            and self.min_class_size is not None
            and self.min_class_size > self.max_class_size
        ):
            errors["min_class_size"] = _(
                "The minimum class size (%(min)s) is above the maximum (%(max)s)."
            ) % {"min": self.min_class_size, "max": self.max_class_size}
        if errors:
            raise ValidationError(errors)


class TrainingSite(models.Model):
    """A host nation's training site: which courses it runs, with how many instructors and seats."""

    location = models.OneToOneField(
        Location,
        on_delete=models.PROTECT,
        related_name="training_site",
        limit_choices_to={"kind": Location.Kind.TRAINING_SITE},
        verbose_name=_("location"),
    )
    courses = models.ManyToManyField(
        Course, blank=True, related_name="sites", verbose_name=_("courses it can run")
    )
    instructors = models.PositiveSmallIntegerField(
        _("instructors"), default=1, validators=between(0, STAFF_MAX)
    )
    seats_per_week = models.PositiveIntegerField(
        _("seats per week"),
        validators=between(0, PEOPLE_MAX),
        help_text=_("Trainees the site can hold in any one week."),
    )
    version = models.PositiveIntegerField(default=1, validators=between(1, VERSION_MAX))

    class Meta:
        verbose_name = _("training site")
        verbose_name_plural = _("training sites")
        ordering = ["location__name"]

    def __str__(self) -> str:
        return self.location.name if self.location_id else gettext("training site")

    @property
    def host_nation(self) -> object:
        return self.location.nation

    def clean(self) -> None:
        if not self.location_id:
            return
        if self.location.kind != Location.Kind.TRAINING_SITE:
            raise ValidationError(
                {"location": _("%(loc)s is not a training site.") % {"loc": self.location}}
            )
        if not self.location.nation.is_host:
            raise ValidationError(
                {
                    "location": _("%(nation)s is not registered as a training host.")
                    % {"nation": self.location.nation}
                }
            )


class Blackout(models.Model):
    """Days a site cannot train (its own exercises, holidays, range maintenance)."""

    site = models.ForeignKey(
        TrainingSite,
        on_delete=models.CASCADE,
        related_name="blackouts",
        verbose_name=_("training site"),
    )
    starts = models.DateField(_("first day"))
    ends = models.DateField(_("last day"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("blackout")
        verbose_name_plural = _("blackouts")
        ordering = ["site", "starts"]

    def __str__(self) -> str:
        return f"{self.site}: {self.starts} – {self.ends}"

    def clean(self) -> None:
        if self.starts and self.ends and self.ends < self.starts:
            raise ValidationError({"ends": _("The last day is before the first day.")})


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


class Session(models.Model):
    """One run of a course at a site, from a Monday, with so many seats."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        CANCELLED = "cancelled", _("Cancelled")

    reference = models.CharField(_("reference"), max_length=20, unique=True)
    course = models.ForeignKey(
        Course, on_delete=models.PROTECT, related_name="sessions", verbose_name=_("course")
    )
    site = models.ForeignKey(
        TrainingSite,
        on_delete=models.PROTECT,
        related_name="sessions",
        verbose_name=_("training site"),
    )
    start_date = models.DateField(_("starts (Monday)"))
    seats = models.PositiveIntegerField(_("seats"), validators=between(1, PEOPLE_MAX))
    # Kept by the booking services only, under the site's lock; the constraint is the last guard.
    booked_trainees = models.PositiveIntegerField(
        _("trainees booked"), default=0, validators=between(0, PEOPLE_MAX)
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PLANNED
    )
    version = models.PositiveIntegerField(default=1, validators=between(1, VERSION_MAX))

    class Meta:
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")
        ordering = ["start_date", "reference"]
        indexes = [models.Index(fields=["site", "start_date"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(booked_trainees__lte=models.F("seats")),
                name="session_never_over_booked",
            )
        ]

    def __str__(self) -> str:
        return gettext("%(ref)s: %(course)s at %(site)s from %(day)s") % {
            "ref": self.reference,
            "course": self.course.code,
            "site": self.site,
            "day": self.start_date,
        }

    @property
    def end_date(self) -> dt.date:
        """The Monday from which its trainees count as trained."""
        return self.start_date + dt.timedelta(weeks=self.course.duration_weeks)

    @property
    def capacity(self) -> int:
        return min(self.seats, self.course.max_class_size)

    @property
    def free_seats(self) -> int:
        return max(0, self.capacity - self.booked_trainees)

    def booked_cohorts(self) -> str:
        return ", ".join(
            f"{b.cohort.reference} ({b.cohort.trainees})"
            for b in self.bookings.select_related("cohort")
        )

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.start_date and self.start_date.weekday() != 0:
            errors["start_date"] = _("Sessions start on a Monday; %(day)s is a %(wd)s.") % {
                "day": formats.date_format(self.start_date, "DATE_FORMAT"),
                "wd": formats.date_format(self.start_date, "l"),
            }
        if self.seats is not None and self.booked_trainees > self.seats:
            errors["seats"] = _(
                "%(booked)s trainees are already booked: seats cannot go below that."
            ) % {"booked": self.booked_trainees}
        if self.course_id and self.site_id and self.start_date and "start_date" not in errors:
            if not self.site.courses.filter(pk=self.course_id).exists():
                errors["course"] = _("%(site)s does not run %(course)s.") % {
                    "site": self.site,
                    "course": self.course,
                }
            else:
                end = self.end_date - dt.timedelta(days=1)
                clash = self.site.blackouts.filter(starts__lte=end, ends__gte=self.start_date)
                first = clash.first()
                if first is not None:
                    errors["start_date"] = _(
                        "The session (%(a)s – %(b)s) runs into the site's blackout %(c)s – %(d)s."
                    ) % {"a": self.start_date, "b": end, "c": first.starts, "d": first.ends}
        if errors:
            raise ValidationError(errors)


class Cohort(models.Model):
    """A group of the recipient's trainees who train together along an ordered course path to
    crew a capability."""

    reference = models.CharField(_("reference"), max_length=20, unique=True)
    unit = models.CharField(_("recipient unit"), max_length=200)
    trainees = models.PositiveIntegerField(_("trainees"), validators=between(1, PEOPLE_MAX))
    capability = models.ForeignKey(
        Capability,
        on_delete=models.PROTECT,
        related_name="cohorts",
        verbose_name=_("capability they crew"),
    )
    earliest_release = models.DateField(_("earliest release date"))
    priority = models.PositiveSmallIntegerField(_("priority"), default=3, validators=between(1, 5))
    qualifications = models.ManyToManyField(
        Course,
        blank=True,
        related_name="+",
        verbose_name=_("courses already passed"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    version = models.PositiveIntegerField(default=1, validators=between(1, VERSION_MAX))

    class Meta:
        verbose_name = _("cohort")
        verbose_name_plural = _("cohorts")
        ordering = ["reference"]

    def __str__(self) -> str:
        return f"{self.reference}: {self.unit} ({self.trainees})"

    def path(self) -> list[Course]:
        if "steps" in getattr(self, "_prefetched_objects_cache", {}):
            # A list prefetched them in order with their courses (cohorts_visible_to).
            return [step.course for step in self.steps.all()]
        return [step.course for step in self.steps.select_related("course").order_by("position")]

    def path_text(self) -> str:
        return " → ".join(c.code for c in self.path())


class CohortStep(models.Model):
    """One course on a cohort's path, in order."""

    cohort = models.ForeignKey(
        Cohort, on_delete=models.CASCADE, related_name="steps", verbose_name=_("cohort")
    )
    course = models.ForeignKey(
        Course, on_delete=models.PROTECT, related_name="+", verbose_name=_("course")
    )
    position = models.PositiveSmallIntegerField(
        validators=between(1, SMALLINT[1]), verbose_name=_("position")
    )

    class Meta:
        verbose_name = _("course path step")
        verbose_name_plural = _("course path steps")
        ordering = ["cohort", "position"]
        constraints = [
            models.UniqueConstraint(fields=["cohort", "course"], name="cohort_course_once"),
            models.UniqueConstraint(fields=["cohort", "position"], name="cohort_position_once"),
        ]

    def __str__(self) -> str:
        return f"{self.cohort.reference} #{self.position}: {self.course.code}"


class ScheduleRun(models.Model):
    """One run of the training scheduler over the registers, and its outcome."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Scheduled")
        FAILED = "failed", _("Failed")

    reference = models.CharField(_("reference"), max_length=20, unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    planning_start = models.DateField(_("week 0 starts (Monday)"))
    horizon_weeks = models.PositiveSmallIntegerField(
        _("horizon (weeks)"), default=52, validators=between(4, WEEKS_MAX)
    )
    time_limit_s = models.FloatField(
        _("time limit (s)"), default=10.0, validators=between(0.5, 600)
    )
    solver_status = models.CharField(_("solver status"), max_length=20, blank=True)
    objective = models.IntegerField(
        _("objective (weighted weeks late)"), null=True, blank=True, validators=between(*INTEGER)
    )
    best_bound = models.IntegerField(
        _("best bound"), null=True, blank=True, validators=between(*INTEGER)
    )
    gap = models.FloatField(_("gap"), null=True, blank=True, validators=between(*FLOAT))
    stats = models.JSONField(_("statistics"), default=dict, blank=True)
    messages = models.JSONField(_("messages"), default=list, blank=True)
    progress = models.PositiveSmallIntegerField(
        _("progress (%)"), default=0, validators=between(*PERCENT)
    )
    progress_message = models.CharField(max_length=200, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    started_at = models.DateTimeField(null=True, blank=True, verbose_name=_("started at"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finished at"))

    class Meta:
        verbose_name = _("scheduler run")
        verbose_name_plural = _("scheduler runs")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.reference} ({self.get_status_display()})"

    def week_of(self, day: dt.date) -> int:
        return (monday(day) - self.planning_start).days // 7

    def week_start(self, week: int) -> dt.date:
        return self.planning_start + dt.timedelta(weeks=week)


class Booking(models.Model):
    """A cohort booked on a session: by hand, or by a scheduler run."""

    class Source(models.TextChoices):
        MANUAL = "manual", _("By hand")
        SCHEDULER = "scheduler", _("Scheduler")

    class Outcome(models.TextChoices):
        """What the cohort made of the session; "" (not yet recorded) until the site says."""

        COMPLETED = "completed", _("Completed")
        FAILED = "failed", _("Failed")
        ABSENT = "absent", _("Absent")

    # Outcomes after which the crew is not trained on the course and must be booked again.
    NEEDS_REBOOKING = (Outcome.FAILED, Outcome.ABSENT)

    cohort = models.ForeignKey(
        Cohort, on_delete=models.CASCADE, related_name="bookings", verbose_name=_("cohort")
    )
    session = models.ForeignKey(
        Session,
        on_delete=models.PROTECT,
        related_name="bookings",
        verbose_name=_("training session"),
    )
    # Copied from the session so that the database refuses a cohort on one course twice.
    course = models.ForeignKey(
        Course, on_delete=models.PROTECT, related_name="+", verbose_name=_("course")
    )
    source = models.CharField(
        _("made"), max_length=10, choices=Source.choices, default=Source.MANUAL
    )
    run = models.ForeignKey(
        ScheduleRun,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="bookings",
        verbose_name=_("scheduler run"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    # Attendance and result, recorded by the session's site (services.attendance_record).
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=Outcome.choices, blank=True, default=""
    )
    attended = models.PositiveIntegerField(
        _("trainees attended"), null=True, blank=True, validators=between(0, PEOPLE_MAX)
    )
    outcome_note = models.TextField(_("note"), blank=True, max_length=2000)
    outcome_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("result recorded by"),
    )
    outcome_recorded_at = models.DateTimeField(_("result recorded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ["session__start_date", "cohort__reference"]
        constraints = [
            models.UniqueConstraint(fields=["cohort", "course"], name="cohort_books_course_once")
        ]

    def __str__(self) -> str:
        return gettext("%(cohort)s on %(session)s") % {
            "cohort": self.cohort.reference,
            "session": self.session.reference,
        }

    @property
    def completed(self) -> bool:
        return self.outcome == Booking.Outcome.COMPLETED

    @property
    def needs_rebooking(self) -> bool:
        return self.outcome in Booking.NEEDS_REBOOKING

    def clean(self) -> None:
        if self.attended is not None and self.cohort_id and self.attended > self.cohort.trainees:
            raise ValidationError(
                {
                    "attended": _(
                        "%(n)s attended, but the cohort has %(size)s trainees: give at most "
                        "%(size)s."
                    )
                    % {"n": self.attended, "size": self.cohort.trainees}
                }
            )
        if self.outcome == Booking.Outcome.COMPLETED and self.attended == 0:
            raise ValidationError(
                {"attended": _("No trainee attended: record the cohort as absent, not completed.")}
            )
        if not self.outcome and (self.attended is not None or self.outcome_note.strip()):
            raise ValidationError(
                {"outcome": _("Choose the outcome: completed, failed or absent.")}
            )


class CohortOutcome(models.Model):
    """What a scheduler run found for one cohort: when it finishes, how late, and why."""

    run = models.ForeignKey(ScheduleRun, on_delete=models.CASCADE, related_name="outcomes")
    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="outcomes")
    scheduled = models.BooleanField()
    target_week = models.IntegerField(validators=between(*SMALLINT))
    finish_week = models.IntegerField(null=True, blank=True, validators=between(*SMALLINT))
    lateness = models.IntegerField(null=True, blank=True, validators=between(*SMALLINT))
    reasons = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("cohort outcome")
        verbose_name_plural = _("cohort outcomes")
        ordering = ["-lateness", "cohort__reference"]
        constraints = [
            models.UniqueConstraint(fields=["run", "cohort"], name="outcome_once_per_run")
        ]

    def __str__(self) -> str:
        return f"{self.run.reference} {self.cohort.reference}"

    @property
    def binding_reason(self) -> str:
        return self.reasons[0]["text"] if self.reasons else ""
