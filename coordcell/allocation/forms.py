from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from coordcell.bounds import QUANTITY_MAX, WEEKS_MAX, json_loads
from coordcell.registry.models import CategoryDomain, Location

from .scenarios import CHANGE_TYPES


class RunForm(forms.Form):
    planning_start = forms.DateField(
        label=_("Week 0 starts (a Monday)"), widget=forms.DateInput(attrs={"type": "date"})
    )
    horizon_weeks = forms.IntegerField(
        label=_("Horizon (weeks)"), min_value=4, max_value=104, initial=26
    )
    lexicographic = forms.BooleanField(
        label=_("Priority 1 first (lexicographic)"),
        required=False,
        help_text=_("Meet priority-1 requirements as far as possible before any other."),
    )
    greedy = forms.BooleanField(label=_("Greedy hand method (for comparison only)"), required=False)
    hub_share_cap = forms.FloatField(
        label=_("Resilient plan: the most any hub may pass of a week's units (share, optional)"),
        required=False,
        min_value=0.1,
        max_value=1.0,
        help_text=_(
            "For example 0.5: no hub passes more than half of a domain's units in any week, so "
            "the loss of one hub cuts less. It costs some value; the run shows both plans."
        ),
    )
    n_minus_one = forms.BooleanField(
        label=_("Analyse the loss of each hub (N−1)"),
        required=False,
        help_text=_("Re-plans once per hub without it: the run takes longer."),
    )
    n_minus_one_from_week = forms.IntegerField(
        label=_("N−1: hub closed from week (optional)"), required=False, min_value=0, max_value=103
    )
    n_minus_one_to_week = forms.IntegerField(
        label=_("N−1: hub closed to week (optional; empty: to the end)"),
        required=False,
        min_value=0,
        max_value=103,
    )
    replan_from = forms.DateField(
        label=_("Re-plan from (a Monday, optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_(
            "Re-plan the shipments planned to leave on or after this day, with what is free and "
            "open: committing cancels them. Empty: plan only what is still free and open."
        ),
    )

    def clean_planning_start(self) -> dt.date:
        return _monday(self.cleaned_data["planning_start"])

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        first, last = data.get("n_minus_one_from_week"), data.get("n_minus_one_to_week")
        if (first is not None or last is not None) and not data.get("n_minus_one"):
            raise forms.ValidationError(_("Weeks for N−1 need “Analyse the loss of each hub”."))
        if first is not None and last is not None and last < first:
            raise forms.ValidationError(
                _("N−1: the last closed week (%(last)s) is before the first (%(first)s).")
                % {"first": first, "last": last}
            )
        if data.get("lexicographic") and data.get("hub_share_cap") is not None:
            raise forms.ValidationError(
                _(
                    "Choose either priority 1 first or a resilient plan: the hub share cap "
                    "applies to the weighted plan only."
                )
            )
        return data

    def parameters(self) -> dict[str, Any]:
        """The run's parameters from the cleaned form (kept on the run and in its audit)."""
        data = self.cleaned_data
        out: dict[str, Any] = {"lexicographic": bool(data["lexicographic"])}
        if data.get("hub_share_cap") is not None:
            out["hub_share_cap"] = float(data["hub_share_cap"])
        if data.get("n_minus_one"):
            out["n_minus_one"] = True
            first, last = data.get("n_minus_one_from_week"), data.get("n_minus_one_to_week")
            if first is not None or last is not None:
                out["n_minus_one_weeks"] = [first or 0, last if last is not None else 103]
        return out

    def clean_replan_from(self) -> dt.date | None:
        value: dt.date | None = self.cleaned_data.get("replan_from")
        return _monday(value) if value else None


def _monday(value: dt.date) -> dt.date:
    if value.weekday() != 0:
        raise forms.ValidationError(
            _("Planning weeks start on a Monday; %(day)s is a %(weekday)s.")
            % {"day": value.isoformat(), "weekday": value.strftime("%A")}
        )
    return value


class WhatIfForm(forms.Form):
    """One change per submission keeps the form simple; a scenario may hold several (JSON)."""

    change = forms.ChoiceField(label=_("What if"), choices=list(CHANGE_TYPES.items()))
    hub = forms.ModelChoiceField(
        queryset=Location.objects.filter(kind=Location.Kind.HUB),
        to_field_name="code",
        required=False,
    )
    from_week = forms.IntegerField(
        min_value=0, max_value=WEEKS_MAX, required=False, label=_("from week")
    )
    to_week = forms.IntegerField(
        min_value=0, max_value=WEEKS_MAX, required=False, label=_("to week")
    )
    domain = forms.ChoiceField(choices=[("", "---"), *CategoryDomain.choices], required=False)
    per_week = forms.IntegerField(
        min_value=1, max_value=QUANTITY_MAX, required=False, label=_("extra units per week")
    )
    pledge = forms.CharField(required=False, label=_("pledge reference"))
    weeks = forms.IntegerField(
        min_value=1, max_value=WEEKS_MAX, required=False, label=_("weeks of slip")
    )
    requirement = forms.CharField(required=False, label=_("requirement reference"))
    priority = forms.IntegerField(min_value=1, max_value=5, required=False)
    more_changes = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label=_("More changes (JSON list, optional)"),
    )

    NEEDS = {
        "close_hub": ["hub", "from_week", "to_week"],
        "extra_capacity": ["hub", "domain", "per_week"],
        "slip_pledge": ["pledge", "weeks"],
        "withdraw_pledge": ["pledge"],
        "raise_priority": ["requirement", "priority"],
    }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("change")
        if not kind:
            return data
        change: dict[str, Any] = {"type": kind}
        for name in self.NEEDS[kind]:
            value = data.get(name)
            if value in (None, ""):
                self.add_error(name, _("Needed for this change."))
                continue
            change[name] = value.code if isinstance(value, Location) else value
        if (
            kind == "close_hub"
            and data.get("to_week") is not None
            and data.get("from_week") is not None
            and data["to_week"] < data["from_week"]
        ):
            self.add_error("to_week", _("The last week comes after the first."))
        changes = [change]
        if data.get("more_changes"):
            try:
                extra = json_loads(data["more_changes"])
                if not isinstance(extra, list):
                    raise ValueError
            except ValueError:
                self.add_error("more_changes", _("Give a JSON list of change objects."))
            else:
                changes.extend(extra)
        data["changes"] = changes
        return data


class LineEditForm(forms.Form):
    quantity = forms.IntegerField(
        min_value=0, max_value=QUANTITY_MAX, help_text=_("0 removes the line.")
    )
    hub = forms.ModelChoiceField(queryset=Location.objects.filter(kind=Location.Kind.HUB))
