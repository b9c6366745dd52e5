"""The scope of a report: one donor, one capability coalition, a date range (each optional).

A donor liaison's scope is always its own nation: the access functions would hide the rest
anyway, and pinning it here keeps the headings honest.

Three choices say what the charts show without narrowing the scope: the unit of measure of the
quantity charts (quantities are never added up across units), the valuation basis and currency
of the value chart, and the hub of the hub-load chart (the cell's and auditors' only). Left
empty, the charts take the unit, basis and hub with the most records (``picture.py``).
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
from coordcell.registry.models import CapabilityCoalition, ItemCategory, Location, Nation


@dataclass(frozen=True)
class Scope:
    donor: Nation | None = None
    coalition: CapabilityCoalition | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    # What the charts show (not a narrowing of the scope): "" lets the charts choose.
    unit: str = ""
    valuation: str = ""  # "<basis>:<currency>"
    hub: int | None = None

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
        if self.unit:
            params.append(f"unit={self.unit}")
        if self.valuation:
            params.append(f"valuation={self.valuation}")
        if self.hub:
            params.append(f"hub={self.hub}")
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

    unit = forms.ChoiceField(
        label=_("Unit of measure"),
        required=False,
        choices=[("", _("the most pledged")), *ItemCategory.Unit.choices],
    )
    valuation = forms.ChoiceField(label=_("Valuation basis and currency"), required=False)
    hub = forms.TypedChoiceField(label=_("Hub"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = as_user(user)
        donors = nations_visible_to(user).filter(is_donor=True)
        if self.user is not None and self.user.is_donor_liaison:
            assert self.user.nation_id is not None  # a donor liaison acts for a nation
            donors = donors.filter(pk=self.user.nation_id)
        model_choice_field(self, "donor").queryset = donors
        self._chart_choices()

    def _chart_choices(self) -> None:
        """The value and hub choices this user may have: none where it may not read them."""
        from coordcell.pledges.selectors import pledge_fields_hidden_from, pledges_visible_to

        u = self.user
        if u is None or {"value", "valuation_basis", "currency"} & pledge_fields_hidden_from(u):
            del self.fields["valuation"]
        else:
            from coordcell.pledges.models import ValuationBasis

            pairs = (
                pledges_visible_to(u)
                .filter(value__isnull=False)
                .exclude(valuation_basis="")
                .values_list("valuation_basis", "currency")
                .distinct()
                .order_by("valuation_basis", "currency")
            )
            choices = [("", _("the most pledged"))] + [
                (
                    f"{basis}:{currency}",
                    f"{ValuationBasis(basis).label if basis in ValuationBasis.values else basis}"
                    f", {currency}",
                )
                for basis, currency in pairs
            ]
            self.fields["valuation"].choices = choices  # type: ignore[attr-defined]
        if u is None or not u.sees_everything:
            del self.fields["hub"]  # hub schedules are the cell's planning picture
        else:
            hubs = Location.objects.filter(kind=Location.Kind.HUB).order_by("name")
            self.fields["hub"].choices = [  # type: ignore[attr-defined]
                ("", _("the busiest")),
                *hubs.values_list("pk", "name"),
            ]

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
            unit=data.get("unit") or "",
            valuation=data.get("valuation") or "",
            hub=data.get("hub"),
        )
