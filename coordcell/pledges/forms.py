from __future__ import annotations

from typing import Any

from django import forms

from coordcell.registry.forms import (
    UndisclosedQuantityMixin,
    UserAwareModelForm,
    choice_field,
    model_choice_field,
)
from coordcell.registry.models import Location, Nation

from .models import Pledge, PledgeDelivery
from .services import pledge_status_refusal


class PledgeForm(UndisclosedQuantityMixin, UserAwareModelForm):
    class Meta:
        model = Pledge
        fields = list(Pledge.INPUT_FIELDS)
        widgets = {"available_from": forms.DateInput()}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.place_undisclosed()
        model_choice_field(self, "donor").queryset = Nation.objects.filter(is_donor=True)
        model_choice_field(self, "origin").queryset = Location.objects.filter(
            kind=Location.Kind.DEPOT
        )
        if self.user is not None and getattr(self.user, "is_donor_liaison", False):
            # A donor liaison pledges for its own nation: the field is not theirs to choose.
            del self.fields["donor"]
            self.instance.donor_id = self.user.nation_id
            model_choice_field(self, "origin").queryset = Location.objects.filter(
                kind=Location.Kind.DEPOT, nation_id=self.user.nation_id
            )
            # The statuses it may give (services.pledge_status_refusal decides; this is the
            # choice list that follows from it).
            current = self.instance.status if self.instance.pk else None
            choice_field(self, "status").choices = [
                (value, label)
                for value, label in Pledge.Status.choices
                if not pledge_status_refusal(self.user, current, value)
            ]


class PledgeDeliveryForm(UndisclosedQuantityMixin, UserAwareModelForm):
    """One entry of a pledge's delivered history (the pledge is the page's)."""

    class Meta:
        model = PledgeDelivery
        fields = list(PledgeDelivery.INPUT_FIELDS)
        widgets = {"delivered_on": forms.DateInput()}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.place_undisclosed()
