"""The course sessions' and cohorts' register filters: what their users look for (a session's
status and start weeks, a cohort's priority and release dates). Only values of the records
themselves: a choice list of sites or courses would name another nation's sites to an officer."""

from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from coordcell.registry.filters import TranslatedFilterSet

from .models import Cohort, Session


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"})


class SessionFilter(TranslatedFilterSet):
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Session.Status.choices)
    starts_from = django_filters.DateFilter(
        label=_("Starting on or after"),
        field_name="start_date",
        lookup_expr="gte",
        widget=_date_input(),
    )
    starts_until = django_filters.DateFilter(
        label=_("Starting on or before"),
        field_name="start_date",
        lookup_expr="lte",
        widget=_date_input(),
    )

    class Meta:
        model = Session
        fields: list[str] = []


class CohortFilter(TranslatedFilterSet):
    priority = django_filters.TypedChoiceFilter(
        label=_("Priority"),
        choices=[(n, str(n)) for n in range(1, 6)],
        coerce=int,
    )
    released_from = django_filters.DateFilter(
        label=_("Released on or after"),
        field_name="earliest_release",
        lookup_expr="gte",
        widget=_date_input(),
    )
    released_until = django_filters.DateFilter(
        label=_("Released on or before"),
        field_name="earliest_release",
        lookup_expr="lte",
        widget=_date_input(),
    )

    class Meta:
        model = Cohort
        fields: list[str] = []
