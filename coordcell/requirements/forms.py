from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coordcell.registry.forms import UserAwareModelForm
from coordcell.registry.models import Location

from .models import Requirement


class RequirementForm(UserAwareModelForm):
    class Meta:
        model = Requirement
        fields = [
            "capability",
            "category",
            "quantity",
            "need_by",
            "delivery_point",
            "priority",
            "justification",
        ]
        widgets = {"need_by": forms.DateInput()}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["delivery_point"].queryset = Location.objects.filter(
            kind=Location.Kind.DELIVERY_POINT
        )

    def clean_need_by(self) -> dt.date:
        value: dt.date = self.cleaned_data["need_by"]
        today = timezone.now().date()
        changed = self.instance.pk is None or value != self.instance.need_by
        if changed and value < today:
            raise forms.ValidationError(
                _("The need-by date %(date)s is already past; give a date from today on.")
                % {"date": value.isoformat()}
            )
        return value
