from __future__ import annotations

from typing import Any

from django import forms

from coordcell.registry.forms import (
    UndisclosedQuantityMixin,
    UserAwareModelForm,
    model_choice_field,
)
from coordcell.registry.models import Location

from .models import Requirement


class RequirementForm(UndisclosedQuantityMixin, UserAwareModelForm):
    class Meta:
        model = Requirement
        fields = list(Requirement.INPUT_FIELDS)
        widgets = {"need_by": forms.DateInput()}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.place_undisclosed()
        model_choice_field(self, "delivery_point").queryset = Location.objects.filter(
            kind=Location.Kind.DELIVERY_POINT
        )
