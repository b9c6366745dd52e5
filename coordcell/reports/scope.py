"""The scope of a report: one donor, one capability coalition, a date range (each optional).

A donor liaison's scope is always its own nation: the access functions would hide the rest
anyway, and pinning it here keeps the headings honest.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from coordcell.registry.access import as_user, nations_visible_to
from coordcell.registry.forms import model_choice_field
from coordcell.registry.models import CapabilityCoalition, Nation


@dataclass(frozen=True)
class Scope:
    donor: Nation | None = None
    coalition: CapabilityCoalition | None = None
    start: dt.date | None = None
    end: dt.date | None = None

    def describe(self) -> str:
        parts = []
        if self.donor:
            parts.append(str(self.donor))
        if self.coalition:
            parts.append(str(self.coalition))
        if self.start or self.end:
            parts.append(f"{self.start or '…'} – {self.end or '…'}")
        return " · ".join(parts) if parts else str(_("Everything you can see"))

    def query(self) -> str:
        """The scope as query-string parameters, for links to exports."""
        params = []
        if self.donor:
            params.append(f"donor={self.donor.code}")
        if self.coalition:
            params.append(f"coalition={self.coalition.pk}")
        if self.start:
            params.append(f"start={self.start.isoformat()}")
        if self.end:
            params.append(f"end={self.end.isoformat()}")
        return "&".join(params)

    def pledges(self, qs: QuerySet[Any], prefix: str = "") -> QuerySet[Any]:
        """Narrow pledges (or rows reached through ``prefix`` + pledge fields)."""
        if self.donor:
            qs = qs.filter(**{f"{prefix}donor_id": self.donor.pk})
        if self.coalition and self.coalition.domain:
            qs = qs.filter(**{f"{prefix}category__domain": self.coalition.domain})
        if self.start:
            qs = qs.filter(**{f"{prefix}available_from__gte": self.start})
        if self.end:
            qs = qs.filter(**{f"{prefix}available_from__lte": self.end})
        return qs

    def requirements(self, qs: QuerySet[Any], prefix: str = "") -> QuerySet[Any]:
        if self.coalition:
            qs = qs.filter(**{f"{prefix}capability__coalition_id": self.coalition.pk})
        if self.start:
            qs = qs.filter(**{f"{prefix}need_by__gte": self.start})
        if self.end:
            qs = qs.filter(**{f"{prefix}need_by__lte": self.end})
        return qs


class ScopeForm(forms.Form):
    donor = forms.ModelChoiceField(
        label=_("Donor"), queryset=Nation.objects.none(), required=False, to_field_name="code"
    )
    coalition = forms.ModelChoiceField(
        label=_("Capability coalition"),
        queryset=CapabilityCoalition.objects.all(),
        required=False,
    )
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = as_user(user)
        donors = nations_visible_to(user).filter(is_donor=True)
        if self.user is not None and self.user.is_donor_liaison:
            assert self.user.nation_id is not None  # a donor liaison acts for a nation
            donors = donors.filter(pk=self.user.nation_id)
        model_choice_field(self, "donor").queryset = donors

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", _("The end date comes after the start date."))
        return data

    def scope(self) -> Scope:
        """The chosen scope; an invalid form gives the widest scope the user may see."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        donor = data.get("donor")
        if self.user is not None and self.user.is_donor_liaison:
            donor = self.user.nation
        return Scope(
            donor=donor,
            coalition=data.get("coalition"),
            start=data.get("start"),
            end=data.get("end"),
        )
