from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from coordcell.bounds import PEOPLE_MAX
from coordcell.registry.forms import UserAwareModelForm, model_choice_field
from coordcell.registry.models import Location

from . import selectors
from .models import Booking, Cohort, Course, ScheduleRun, Session, TrainingSite


class CourseForm(UserAwareModelForm):
    class Meta:
        model = Course
        fields = [
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
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            model_choice_field(self, "prerequisites").queryset = Course.objects.exclude(
                pk=self.instance.pk
            )


class TrainingSiteForm(UserAwareModelForm):
    class Meta:
        model = TrainingSite
        fields = ["location", "courses", "instructors", "seats_per_week"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        places = Location.objects.filter(kind=Location.Kind.TRAINING_SITE, nation__is_host=True)
        user = self.user
        if getattr(user, "is_training_site_officer", False):
            places = places.filter(nation_id=user.nation_id)
        model_choice_field(self, "location").queryset = places


class SessionForm(UserAwareModelForm):
    class Meta:
        model = Session
        fields = ["course", "site", "start_date", "seats", "status"]
        widgets = {"start_date": forms.DateInput()}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "site").queryset = selectors.sites_editable_by(self.user)
        if self.instance.pk is None:
            self.fields["status"].disabled = True
        elif self.instance.status == Session.Status.PLANNED:
            # Cancelling rebooks the cohorts and reports what became of them: its own page.
            status = self.fields["status"]
            status.disabled = True
            status.help_text = _(
                "To cancel the session, use “Cancel session” on its page: it rebooks its cohorts."
            )


def _path_help() -> str:
    """The path's help, its example taken from the course catalogue (a course and the one it
    requires first), so that the codes it shows exist."""
    course = Course.objects.filter(prerequisites__isnull=False).order_by("code").first()
    if course is not None:
        codes = [*(c.code for c in course.prerequisites.order_by("code")[:1]), course.code]
    else:
        codes = list(Course.objects.order_by("code").values_list("code", flat=True)[:2])
    if not codes:
        return str(_("Course codes in the order the cohort takes them (see Courses)."))
    return str(
        _("Course codes in the order the cohort takes them, e.g. %(codes)s.")
        % {"codes": ", ".join(codes)}
    )


class CohortForm(UserAwareModelForm):
    path = forms.CharField(
        label=_("course path"),
        help_text=_("Course codes in the order the cohort takes them (see Courses)."),
    )

    class Meta:
        model = Cohort
        fields = [
            "unit",
            "trainees",
            "capability",
            "earliest_release",
            "priority",
            "path",
            "qualifications",
        ]
        widgets = {"earliest_release": forms.DateInput()}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["path"].initial = ", ".join(c.code for c in self.instance.path())
        self.fields["path"].help_text = _path_help()

    def clean_path(self) -> list[Course]:
        codes = [c.strip() for c in self.cleaned_data["path"].replace("→", ",").split(",")]
        codes = [c for c in codes if c]
        found = {c.code: c for c in Course.objects.filter(code__in=codes)}
        unknown = [c for c in codes if c not in found]
        if unknown:
            raise forms.ValidationError(
                _("No course with code %(codes)s. Use the codes of the course catalogue.")
                % {"codes": ", ".join(unknown)}
            )
        return [found[c] for c in codes]


class BookingForm(UserAwareModelForm):
    class Meta:
        model = Booking
        fields = ["cohort", "session"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "cohort").queryset = selectors.cohorts_visible_to(self.user)
        model_choice_field(self, "session").queryset = selectors.sessions_visible_to(
            self.user
        ).filter(status=Session.Status.PLANNED)


class RunForm(forms.Form):
    planning_start = forms.DateField(
        label=_("week 0 starts (Monday)"), widget=forms.DateInput(attrs={"type": "date"})
    )
    horizon_weeks = forms.IntegerField(
        label=_("horizon (weeks)"), min_value=4, max_value=104, initial=52
    )
    time_limit_s = forms.FloatField(
        label=_("time limit (s)"), min_value=0.5, max_value=600, initial=10
    )


class AttendanceForm(forms.Form):
    """A cohort's attendance and result on a session, one small form per cohort."""

    outcome = forms.ChoiceField(
        label=_("outcome"),
        choices=[("", _("— not yet recorded —")), *Booking.Outcome.choices],
    )
    attended = forms.IntegerField(
        label=_("trainees attended"),
        required=False,
        min_value=0,
        max_value=PEOPLE_MAX,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        help_text=_("Optional; at most the cohort's size."),
    )
    note = forms.CharField(
        label=_("note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class CancelSessionForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("Cancel the session and rebook its cohorts on other sessions of the course"),
        required=True,
    )


class RunFilterForm(forms.Form):
    """The scheduler runs' filter: one status. A value outside it is a message (400)."""

    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("all")), *ScheduleRun.Status.choices],
        required=False,
    )
