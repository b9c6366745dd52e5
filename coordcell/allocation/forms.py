from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from coordcell.bounds import QUANTITY_MAX, WEEKS_MAX, json_loads
from coordcell.pledges.models import Pledge
from coordcell.registry.models import CategoryDomain, Location

from .models import AllocationRun
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
            % {
                "day": formats.date_format(value, "DATE_FORMAT"),
                "weekday": formats.date_format(value, "l"),
            }
        )
    return value


class WhatIfForm(forms.Form):
    """One change of any kind, as the API takes it (kept for scripts; the page uses the
    what-if formsets below)."""

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
        "hub_capacity": ["hub", "domain", "from_week", "to_week", "per_week"],
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


# -- the what-if page: one small formset per kind of change ----------------------------------
# Each row is one change in the words a planner uses (a pledge and its new date, a hub's
# capacity between two dates); ``change(run)`` turns it into the change object the API takes
# (allocation/scenarios.py), so the page and the API build the same what-if.


def _week(run: AllocationRun, day: dt.date) -> int:
    return (day - run.planning_start).days // 7


class _ChangeRow(forms.Form):
    run: AllocationRun

    def __init__(self, *args: Any, run: AllocationRun, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.run = run

    def _within(self, name: str, day: dt.date | None) -> int | None:
        """The planning week of ``day``, or an error on the field when outside the run."""
        if day is None:
            return None
        week = _week(self.run, day)
        last = self.run.week_start(self.run.horizon_weeks - 1)
        if not 0 <= week < self.run.horizon_weeks:
            self.add_error(
                name,
                _("Give a day from %(first)s to %(last)s: the weeks this run plans.")
                % {"first": day_text(self.run.planning_start), "last": day_text(last)},
            )
            return None
        return week

    def change(self) -> dict[str, Any] | None:
        """The change object of a filled, valid row (None for an empty row)."""
        return None


def day_text(value: dt.date) -> str:
    from coordcell.registry.templatetags.figures import day

    return day(value)


def _pledge(reference: str) -> Pledge:
    pledge = Pledge.objects.filter(reference=reference.strip()).first()
    if pledge is None:
        raise forms.ValidationError(
            _("There is no pledge %(ref)s.") % {"ref": reference.strip()[:30]}
        )
    if pledge.status != Pledge.Status.CONFIRMED:
        raise forms.ValidationError(
            _("Pledge %(ref)s is %(status)s: a plan uses confirmed pledges only.")
            % {"ref": pledge.reference, "status": pledge.get_status_display().lower()}
        )
    return pledge


class SlipRow(_ChangeRow):
    pledge = forms.CharField(label=_("Pledge (reference)"), max_length=30)
    available = forms.DateField(
        label=_("Now available from"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean_pledge(self) -> Pledge:
        return _pledge(self.cleaned_data["pledge"])

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        pledge, available = data.get("pledge"), data.get("available")
        if isinstance(pledge, Pledge) and available is not None:
            now = max(0, _week(self.run, pledge.available_from))
            later = self._within("available", available)
            if later is not None and later <= now:
                self.add_error(
                    "available",
                    _(
                        "Pledge %(ref)s is available from the week of %(day)s already: a slip "
                        "gives a day in a later week."
                    )
                    % {"ref": pledge.reference, "day": day_text(self.run.week_start(now))},
                )
            elif later is not None:
                data["weeks"] = later - now
        return data

    def change(self) -> dict[str, Any] | None:
        data = self.cleaned_data
        if not data.get("pledge") or "weeks" not in data:
            return None
        return {"type": "slip_pledge", "pledge": data["pledge"].reference, "weeks": data["weeks"]}


class WithdrawRow(_ChangeRow):
    pledge = forms.CharField(label=_("Pledge (reference)"), max_length=30)

    def clean_pledge(self) -> Pledge:
        return _pledge(self.cleaned_data["pledge"])

    def change(self) -> dict[str, Any] | None:
        pledge = self.cleaned_data.get("pledge")
        return {"type": "withdraw_pledge", "pledge": pledge.reference} if pledge else None


class CapacityRow(_ChangeRow):
    hub = forms.ModelChoiceField(
        label=_("Hub"),
        queryset=Location.objects.filter(kind=Location.Kind.HUB).order_by("name"),
        to_field_name="code",
    )
    domain = forms.ChoiceField(
        label=_("Domain"),
        choices=[("", _("all domains (closes the hub)")), *CategoryDomain.choices],
        required=False,
    )
    first = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    last = forms.DateField(
        label=_("To (a day of the last week)"), widget=forms.DateInput(attrs={"type": "date"})
    )
    per_week = forms.IntegerField(
        label=_("Units per week"),
        min_value=0,
        max_value=QUANTITY_MAX,
        help_text=_("0 closes the hub for the domain (or for all domains)."),
    )

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        first = self._within("first", data.get("first"))
        last = self._within("last", data.get("last"))
        if first is not None and last is not None and last < first:
            self.add_error("last", _("The last week comes before the first."))
        data["from_week"], data["to_week"] = first, last
        if not data.get("domain") and data.get("per_week"):
            self.add_error(
                "domain",
                _("Choose the domain whose capacity changes (or 0 units to close the hub)."),
            )
        return data

    def change(self) -> dict[str, Any] | None:
        data = self.cleaned_data
        if data.get("hub") is None or data.get("from_week") is None or data.get("to_week") is None:
            return None
        weeks = {"from_week": data["from_week"], "to_week": data["to_week"]}
        if not data.get("domain"):
            return {"type": "close_hub", "hub": data["hub"].code, **weeks}
        return {
            "type": "hub_capacity",
            "hub": data["hub"].code,
            "domain": data["domain"],
            **weeks,
            "per_week": data["per_week"],
        }


class PriorityRow(_ChangeRow):
    requirement = forms.CharField(label=_("Requirement (reference)"), max_length=30)
    priority = forms.TypedChoiceField(
        label=_("New priority"),
        choices=[("", "—"), *((p, str(p)) for p in range(1, 6))],
        coerce=int,
    )

    def clean_requirement(self) -> str:
        from coordcell.requirements.models import Requirement

        reference = self.cleaned_data["requirement"].strip()
        if not Requirement.objects.filter(reference=reference).exists():
            raise forms.ValidationError(
                _("There is no requirement %(ref)s.") % {"ref": reference[:30]}
            )
        return reference

    def change(self) -> dict[str, Any] | None:
        data = self.cleaned_data
        if not data.get("requirement") or not data.get("priority"):
            return None
        return {
            "type": "raise_priority",
            "requirement": data["requirement"],
            "priority": data["priority"],
        }


WHATIF_ROWS: dict[str, tuple[type[_ChangeRow], Any]] = {
    "slip": (SlipRow, _("A pledge slips to a later date")),
    "withdraw": (WithdrawRow, _("A pledge is withdrawn")),
    "capacity": (CapacityRow, _("A hub's capacity changes for some weeks")),
    "priority": (PriorityRow, _("A requirement's priority changes")),
}
ROWS_SHOWN = 2  # empty rows per kind; a posted form keeps every row it was given


class WhatIfChanges:
    """The what-if page's formsets, one per kind of change; ``changes()`` once valid."""

    def __init__(self, run: AllocationRun, data: Any = None) -> None:
        self.run = run
        self.formsets = {
            prefix: forms.formset_factory(
                row, extra=ROWS_SHOWN, max_num=MAX_ROWS, validate_max=True, absolute_max=MAX_ROWS
            )(data, prefix=prefix, form_kwargs={"run": run})
            for prefix, (row, _label) in WHATIF_ROWS.items()
        }
        self.sections = [
            (prefix, label, self.formsets[prefix]) for prefix, (_row, label) in WHATIF_ROWS.items()
        ]
        self.empty_error = ""

    def is_valid(self) -> bool:
        valid = all(fs.is_valid() for fs in self.formsets.values())
        if valid and not self.changes():
            self.empty_error = str(_("Fill in at least one change."))
            return False
        return valid

    def changes(self) -> list[dict[str, Any]]:
        out = []
        for fs in self.formsets.values():
            for form in fs.forms:
                if form.has_changed() and form.is_valid():
                    change = form.change()
                    if change:
                        out.append(change)
        return out

    def errors(self) -> list[str]:
        """Every error of the page in words: the kind of change, the row and the field."""
        out = [self.empty_error] if self.empty_error else []
        for _prefix, label, fs in self.sections:
            out.extend(f"{label}: {e}" for e in fs.non_form_errors())
            for number, form in enumerate(fs.forms, start=1):
                for name, errors in form.errors.items():
                    where = form.fields[name].label if name in form.fields else ""
                    for e in errors:
                        out.append(
                            _("%(kind)s, row %(row)s%(field)s: %(error)s")
                            % {
                                "kind": label,
                                "row": number,
                                "field": f" ({where})" if where else "",
                                "error": e,
                            }
                        )
        return out


MAX_ROWS = 25


class LineEditForm(forms.Form):
    quantity = forms.IntegerField(
        label=_("Quantity"),
        min_value=0,
        max_value=QUANTITY_MAX,
        help_text=_("0 removes the line."),
    )
    hub = forms.ModelChoiceField(
        label=_("Hub"), queryset=Location.objects.filter(kind=Location.Kind.HUB)
    )
