"""The audit trail's filters, for its page and its API alike."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from coordcell.registry.filters import TranslatedFilterSet

from .models import AuditEvent


class PlausibleDateTimeField(forms.DateTimeField):
    """A moment a person could mean: year 1900-9999, UTC offset within ±14 hours.

    Anything else is a 400 with this message, not a database error (PostgreSQL refuses offsets
    beyond ±15:59)."""

    def clean(self, value: Any) -> dt.datetime | None:
        moment: dt.datetime | None = super().clean(value)
        if moment is None:
            return None
        offset = moment.utcoffset()
        if moment.year < 1900 or (offset is not None and abs(offset) > dt.timedelta(hours=14)):
            raise forms.ValidationError(
                _("Give a date and time from 1900 on, with a UTC offset within ±14:00.")
            )
        return moment


class PlausibleDateTimeFilter(django_filters.DateTimeFilter):
    field_class = PlausibleDateTimeField


class AuditEventFilter(TranslatedFilterSet):
    actor_name = django_filters.CharFilter(lookup_expr="icontains", label=_("Who"))
    verb = django_filters.CharFilter(label=_("What (verb)"))
    target_type = django_filters.CharFilter(label=_("Object type (e.g. pledges.pledge)"))
    target_id = django_filters.CharFilter(label=_("Object id"))
    after = PlausibleDateTimeFilter(field_name="at", lookup_expr="gte", label=_("From"))
    before = PlausibleDateTimeFilter(field_name="at", lookup_expr="lt", label=_("Until"))

    class Meta:
        model = AuditEvent
        fields = ["actor_name", "verb", "target_type", "target_id"]
