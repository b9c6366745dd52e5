from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from coordcell.bounds import BIGINT, QUANTITY_MAX, VERSION_MAX
from coordcell.registry.forms import choice_field
from coordcell.registry.models import Location

from .lifecycle import S, transition_error
from .models import DISCREPANCY_NOTE_MAX as NOTE_MAX
from .models import Discrepancy
from .serials import duplicates, parse_serials


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


# Statuses whose event carries the serial numbers of serial-numbered lines: the manifest at the
# origin (ready), the checks at the hub and at handover; at receipt they are optional (without
# them everything on the manifest counts as arrived, see checks.py).
SERIALS_REQUIRED = (S.READY, S.AT_HUB, S.HANDED_OVER)
SERIALS_CHECKED = (S.AT_HUB, S.HANDED_OVER, S.RECEIVED)
NEEDS_QUANTITY = (S.HANDED_OVER, S.RECEIVED)
NEEDS_SIGNATURES = (S.HANDED_OVER, S.RECEIVED)
FUTURE_TOLERANCE = dt.timedelta(minutes=10)


def line_label(line: Any) -> str:
    return _("line %(id)s · %(category)s (%(quantity)s)") % {
        "id": line.pk,
        "category": line.category,
        "quantity": f"{line.quantity:,}",
    }


class NextStatusField(forms.ChoiceField):
    """Offers the next statuses only; another one is refused in words: what the lifecycle allows
    from the shipment's current status (``lifecycle.transition_error``)."""

    current: str | None = None

    def validate(self, value: Any) -> None:
        if value and self.current and value in S.values and not self.valid_value(value):
            error = transition_error(self.current, value)
            if error:
                raise forms.ValidationError(error, code="invalid_choice")
            raise forms.ValidationError(
                _("You may not record “%(status)s” on this shipment: choose a status offered.")
                % {"status": S(value).label},
                code="invalid_choice",
            )
        super().validate(value)


class EventForm(forms.Form):
    """The next status of one shipment. Offers only the statuses the lifecycle allows next (and
    the user may record); checks everything a user can get wrong at once, in words, before the
    event action (``services.shipment_record_event``) checks it again."""

    status = NextStatusField(
        label=_("Next status"),
        choices=[],
        error_messages={
            "invalid_choice": _(
                "This status is not a next step for this shipment (it may have moved on): "
                "choose one of the statuses offered."
            )
        },
    )
    occurred_at = forms.DateTimeField(
        label=_("When (UTC)"),
        required=False,
        help_text=_("Leave empty for now. Not in the future."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"invalid": _("Enter a date and time, e.g. 2027-01-05 14:10.")},
    )
    quantity = forms.IntegerField(
        label=_("Quantity counted"), min_value=0, max_value=QUANTITY_MAX, required=False
    )
    lines = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        label=_("Quantity per line"),
        help_text=_("line id: quantity, one per line (when a count differs from the plan)"),
    )
    handed_over_by = forms.CharField(label=_("Handed over by"), max_length=150, required=False)
    taken_over_by = forms.CharField(label=_("Taken over by"), max_length=150, required=False)
    note = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(
        self,
        *args: Any,
        statuses: list[str],
        lines: list[Any] | None = None,
        current: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        field = choice_field(self, "status")
        field.choices = [(s, S(s).label) for s in statuses]
        if isinstance(field, NextStatusField):
            field.current = current
        self.shipment_lines = list(lines or [])
        self.serial_lines = [ln for ln in self.shipment_lines if ln.category.sensitive]
        help_text = _("Paste or scan: one per line, or separated by spaces or commas.")
        if len(self.serial_lines) == 1:
            self.fields["serials"] = forms.CharField(
                label=_("Serial numbers of %(line)s") % {"line": line_label(self.serial_lines[0])},
                widget=forms.Textarea(attrs={"rows": 4, "autocomplete": "off"}),
                required=False,
                help_text=help_text,
            )
        elif self.serial_lines:
            for line in self.serial_lines:
                self.fields[f"serials_{line.pk}"] = forms.CharField(
                    label=_("Serial numbers of %(line)s") % {"line": line_label(line)},
                    widget=forms.Textarea(attrs={"rows": 4, "autocomplete": "off"}),
                    required=False,
                    help_text=help_text,
                )
        else:  # the feed's own check tells a shipment without serial-numbered lines
            self.fields["serials"] = forms.CharField(
                label=_("Serial numbers"),
                widget=forms.Textarea(attrs={"rows": 2}),
                required=False,
                help_text=help_text,
            )
        order = ["status", "occurred_at", "quantity", "lines", "handed_over_by", "taken_over_by"]
        serial_fields = [n for n in self.fields if n.startswith("serials")]
        self.order_fields([*order, *serial_fields, "note"])

    def clean_lines(self) -> dict[int, int] | None:
        return parse_moves(self.cleaned_data["lines"]) or None

    def clean_occurred_at(self) -> dt.datetime | None:
        value = self.cleaned_data.get("occurred_at")
        if value is not None and value > timezone.now() + FUTURE_TOLERANCE:
            raise forms.ValidationError(
                _("%(when)s UTC is in the future: record an event once it has happened.")
                % {"when": formats.date_format(value, "DATETIME_FORMAT")}
            )
        return value

    def serials_by_line(self) -> dict[int | None, list[str]]:
        """What was pasted: per line id, or under None for the one box of the shipment."""
        data = getattr(self, "cleaned_data", {})
        found: dict[int | None, list[str]] = {}
        if "serials" in self.fields:
            values = parse_serials(data.get("serials") or "")
            if values:
                key = self.serial_lines[0].pk if len(self.serial_lines) == 1 else None
                found[key] = values
        for line in self.serial_lines:
            values = parse_serials(data.get(f"serials_{line.pk}") or "")
            if values:
                found[line.pk] = values
        return found

    def serial_list(self) -> list[str] | dict[str, list[str]] | None:
        """The serials for the event action: per line id when given per line, else a list."""
        found = self.serials_by_line()
        if not found:
            return None
        if None in found:
            return found[None]
        return {str(k): v for k, v in found.items()}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        status = data.get("status")
        if not status:
            return data
        if status in NEEDS_SIGNATURES:
            if not data.get("handed_over_by"):
                self.add_error(
                    "handed_over_by",
                    _("Give the name of the person handing over: custody changes hands."),
                )
            if not data.get("taken_over_by"):
                self.add_error(
                    "taken_over_by",
                    _("Give the name of the person taking over: custody changes hands."),
                )
        if (
            status in NEEDS_QUANTITY
            and data.get("quantity") is None
            and not data.get("lines")
            and "lines" not in self.errors
        ):
            self.add_error("quantity", _("Give the quantity counted."))
        self._check_quantity(data)
        self._check_serials(status)
        return data

    def _check_quantity(self, data: dict[str, Any]) -> None:
        quantity, per_line = data.get("quantity"), data.get("lines")
        planned = {ln.pk: ln.quantity for ln in self.shipment_lines}
        if per_line:
            unknown = sorted(set(per_line) - set(planned))
            if planned and unknown:
                self.add_error(
                    "lines",
                    _("Lines %(unknown)s are not on this shipment (its lines: %(lines)s).")
                    % {
                        "unknown": ", ".join(map(str, unknown)),
                        "lines": ", ".join(map(str, planned)),
                    },
                )
            if quantity is not None and quantity != sum(per_line.values()):
                self.add_error(
                    "quantity",
                    _("The quantity differs from the sum of the quantities per line."),
                )
        elif quantity is not None and len(planned) > 1 and quantity != sum(planned.values()):
            self.add_error(
                "lines",
                _(
                    "This shipment has %(n)d lines and the count differs from the plan "
                    "(%(planned)s): give the quantity of each line."
                )
                % {"n": len(planned), "planned": f"{sum(planned.values()):,}"},
            )

    def _serial_field(self, line: Any) -> str:
        return "serials" if len(self.serial_lines) == 1 else f"serials_{line.pk}"

    def _check_serials(self, status: str) -> None:
        if not self.serial_lines:
            return
        found = self.serials_by_line()
        missing = [ln for ln in self.serial_lines if ln.pk not in found]
        some = bool(found)
        if status in SERIALS_REQUIRED or (status == S.RECEIVED and some):
            for line in missing:
                self.add_error(
                    self._serial_field(line),
                    _("Paste or scan the serial numbers of %(line)s.") % {"line": line_label(line)},
                )
        if status != S.READY:
            return
        for line in self.serial_lines:
            values = found.get(line.pk)
            if not values:
                continue
            twice = duplicates(values)
            if twice:
                self.add_error(
                    self._serial_field(line),
                    _("Listed more than once: %(serials)s. Each item has one serial number.")
                    % {"serials": ", ".join(twice)},
                )
            if len(values) != line.quantity:
                self.add_error(
                    self._serial_field(line),
                    _(
                        "%(line)s carries %(quantity)s items: give %(quantity)s serial "
                        "numbers, not %(given)s."
                    )
                    % {
                        "line": line_label(line),
                        "quantity": f"{line.quantity:,}",
                        "given": f"{len(values):,}",
                    },
                )


class BulkAdvanceForm(forms.Form):
    """The same next status for the shipments ticked on the list, each recorded through the
    event action; statuses that need a count, names or serials are recorded one by one."""

    status = forms.ChoiceField(label=_("Record for the ticked shipments"), choices=[])
    occurred_at = forms.DateTimeField(
        label=_("When (UTC)"),
        required=False,
        help_text=_("Leave empty for now."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"invalid": _("Enter a date and time, e.g. 2027-01-05 14:10.")},
    )

    def __init__(self, *args: Any, statuses: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "status").choices = [(s, S(s).label) for s in statuses]

    clean_occurred_at = EventForm.clean_occurred_at


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


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
    hub = forms.ModelChoiceField(
        label=_("Hub"), queryset=Location.objects.filter(kind=Location.Kind.HUB)
    )
    field_order = ["hub", "reason", "override_capacity", "override_reason"]


class MergeForm(CapacityOverrideForm):
    other = forms.CharField(label=_("Merge in shipment (reference)"), max_length=20)
    field_order = ["other", "reason", "override_capacity", "override_reason"]


class SplitForm(ReasonForm):
    moves = forms.CharField(
        label=_("Move to a new shipment"),
        help_text=_("line id: quantity, one per line, e.g. 17: 40"),
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
    kind = forms.ChoiceField(label=_("Kind"), choices=Discrepancy.Kind.choices)
    line = forms.IntegerField(
        min_value=1, max_value=BIGINT[1], required=False, label=_("Shipment line id")
    )
    quantity = forms.IntegerField(
        label=_("Quantity"), min_value=1, max_value=QUANTITY_MAX, required=False
    )
    serial = forms.CharField(label=_("Serial"), max_length=100, required=False)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 2}))
    photos = MultipleFileField(label=_("Photos"), required=False)


class InventoryCheckForm(forms.Form):
    serials = forms.CharField(
        label=_("Serials"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One per line."),
    )
    # End-use checks are made where the items are used, in the recipient's country: the list
    # names no donor's depot (a route's start) nor another nation's site.
    location = forms.ModelChoiceField(
        label=_("Location"), queryset=Location.objects.filter(nation__is_recipient=True)
    )
    note = forms.CharField(label=_("Note"), required=False)


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
