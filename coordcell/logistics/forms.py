from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from coordcell.bounds import BIGINT, QUANTITY_MAX, VERSION_MAX
from coordcell.registry.forms import choice_field
from coordcell.registry.models import Location

from .lifecycle import S
from .models import DISCREPANCY_NOTE_MAX as NOTE_MAX
from .models import Discrepancy


def parse_moves(text: str) -> dict[int, int]:
    """'17: 40' rows -> {17: 40}."""
    moves = {}
    for row in text.splitlines():
        if not row.strip():
            continue
        try:
            line, qty = (int(x) for x in row.split(":"))
        except ValueError as exc:
            raise forms.ValidationError(f"'{row}': write line id: quantity.") from exc
        if not (1 <= line <= BIGINT[1] and 0 <= qty <= QUANTITY_MAX):
            raise forms.ValidationError(
                f"'{row}': a quantity is 0 to {QUANTITY_MAX:,}, a line id a shipment's line."
            )
        moves[line] = qty
    return moves


class EventForm(forms.Form):
    status = forms.ChoiceField(choices=[])
    occurred_at = forms.DateTimeField(
        label="When (UTC)", required=False, help_text="Leave empty for now."
    )
    quantity = forms.IntegerField(min_value=0, max_value=QUANTITY_MAX, required=False)
    lines = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        label="Quantity per line",
        help_text="line id: quantity, one per line (several lines)",
    )
    serials = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="Serial numbers of serial-numbered items, one per line.",
    )
    handed_over_by = forms.CharField(max_length=150, required=False)
    taken_over_by = forms.CharField(max_length=150, required=False)
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args: Any, statuses: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "status").choices = [(s, S(s).label) for s in statuses]

    def clean_lines(self) -> dict[int, int] | None:
        return parse_moves(self.cleaned_data["lines"]) or None

    def serial_list(self) -> list[str] | None:
        values = [v.strip() for v in self.cleaned_data["serials"].splitlines() if v.strip()]
        return values or None


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))


class CapacityOverrideForm(ReasonForm):
    """A change by hand that may take a hub over its capacity: the override and its reason."""

    override_capacity = forms.BooleanField(
        label=_("Go over the hub's capacity"),
        required=False,
        help_text=_("Only when the hub cannot take it that week and it must go anyway."),
    )
    override_reason = forms.CharField(
        label=_("Reason to go over the capacity"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("override_capacity") and not (data.get("override_reason") or "").strip():
            self.add_error(
                "override_reason", _("Give the reason to go over the capacity: it is audited.")
            )
        if not data.get("override_capacity"):
            data["override_reason"] = ""
        return data


class RerouteForm(CapacityOverrideForm):
    hub = forms.ModelChoiceField(queryset=Location.objects.filter(kind=Location.Kind.HUB))
    field_order = ["hub", "reason", "override_capacity", "override_reason"]


class MergeForm(CapacityOverrideForm):
    other = forms.CharField(label="Merge in shipment (reference)", max_length=20)
    field_order = ["other", "reason", "override_capacity", "override_reason"]


class SplitForm(ReasonForm):
    moves = forms.CharField(
        label="Move to a new shipment",
        help_text="line id: quantity, one per line, e.g. 17: 40",
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean_moves(self) -> dict[int, int]:
        return parse_moves(self.cleaned_data["moves"])


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"})
        )
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data]
        return [super().clean(data, initial)] if data else []


class DiscrepancyForm(forms.Form):
    kind = forms.ChoiceField(choices=Discrepancy.Kind.choices)
    line = forms.IntegerField(
        min_value=1, max_value=BIGINT[1], required=False, label="Shipment line id"
    )
    quantity = forms.IntegerField(min_value=1, max_value=QUANTITY_MAX, required=False)
    serial = forms.CharField(max_length=100, required=False)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    photos = MultipleFileField(required=False)


class InventoryCheckForm(forms.Form):
    serials = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), help_text="One per line.")
    # End-use checks are made where the items are used, in the recipient's country: the list
    # names no donor's depot (a route's start) nor another nation's site.
    location = forms.ModelChoiceField(queryset=Location.objects.filter(nation__is_recipient=True))
    note = forms.CharField(required=False)


# ---- a discrepancy's lifecycle (the actions check who may; these only parse) ----


class DiscrepancyActionForm(forms.Form):
    """The version the user saw (a change since answers "changed by someone else")."""

    version = forms.IntegerField(
        min_value=1, max_value=VERSION_MAX, required=False, widget=forms.HiddenInput
    )


class DiscrepancyResolveForm(DiscrepancyActionForm):
    resolution = forms.ChoiceField(label=_("Resolution"), choices=[])
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required unless found: who replaces, claims, or decided to write off."),
    )

    def __init__(self, *args: Any, resolutions: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "resolution").choices = [
            (value, Discrepancy.Resolution(value).label) for value in resolutions
        ]


class DiscrepancyReassignForm(DiscrepancyActionForm):
    owner = forms.ChoiceField(label=_("Owner"), choices=[], required=False)

    def __init__(self, *args: Any, donor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "owner").choices = [("", _("The cell")), (str(donor.pk), str(donor))]

    def owner_nation_id(self) -> int | None:
        value = self.cleaned_data.get("owner") or ""
        return int(value) if value else None


class DiscrepancyDueForm(DiscrepancyActionForm):
    due_on = forms.DateField(label=_("Due on"), widget=forms.DateInput(attrs={"type": "date"}))
