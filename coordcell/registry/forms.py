from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.forms.renderers import DjangoTemplates, Jinja2
from django.template import TemplateDoesNotExist
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from coordcell.bounds import VERSION_MAX, bound_form_fields

from .models import (
    Capability,
    CapabilityCoalition,
    CategoryDomain,
    HubCapacity,
    ItemCategory,
    Location,
    Nation,
    Organisation,
)

# A form's fields are known to django-stubs only as ``Field``: these give one as the choice field
# it is, to set its choices or records (a ModelChoiceField is a ChoiceField too).


def choice_field(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField), name
    return field


def model_choice_field(form: forms.BaseForm, name: str) -> forms.ModelChoiceField[Any]:
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField), name
    return field


class UserAwareModelForm(forms.ModelForm):
    """A model form that knows who fills it in, and carries the record's version.

    The version travels with the form so that a save over someone else's newer change is refused
    instead of silently overwriting it.
    """

    version = forms.IntegerField(
        widget=forms.HiddenInput, required=False, min_value=1, max_value=VERSION_MAX
    )

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        if self.instance.pk is not None and hasattr(self.instance, "version"):
            self.fields["version"].initial = self.instance.version
        else:
            del self.fields["version"]
        for field in self.fields.values():
            if isinstance(field.widget, forms.DateInput):
                field.widget.input_type = "date"
        bound_form_fields(self)

    @property
    def expected_version(self) -> int | None:
        return self.cleaned_data.get("version")

    def m2m_data(self) -> dict[str, Any]:
        return {
            f.name: self.cleaned_data[f.name]
            for f in self.instance._meta.many_to_many
            if f.name in self.cleaned_data
        }


class UndisclosedQuantityMixin(forms.Form):
    """A record whose quantity may be undisclosed (pledges, requirements): an explicit tick, so
    that a quantity left empty by mistake is an error, never an undisclosed quantity."""

    quantity_undisclosed = forms.BooleanField(
        label=_("Quantity undisclosed"),
        required=False,
        help_text=_(
            "Tick when the source does not disclose the quantity: the record is left out of "
            "allocation until you give it."
        ),
    )

    def place_undisclosed(self) -> None:
        order = list(self.fields)
        order.remove("quantity_undisclosed")
        order.insert(
            order.index("quantity") + 1 if "quantity" in order else 0, "quantity_undisclosed"
        )
        self.order_fields(order)
        instance = getattr(self, "instance", None)
        if instance is not None and instance.pk is not None and instance.quantity is None:
            self.fields["quantity_undisclosed"].initial = True

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        undisclosed = data.get("quantity_undisclosed")
        if "quantity" in self.errors:
            return data
        if undisclosed and data.get("quantity") is not None:
            self.add_error(
                "quantity",
                _("Leave the quantity empty when it is undisclosed, or untick “undisclosed”."),
            )
        elif not undisclosed and data.get("quantity") is None:
            self.add_error(
                "quantity",
                _(
                    "Give the quantity, or tick “Quantity undisclosed” if the source does not "
                    "give it."
                ),
            )
        return data


class NationForm(UserAwareModelForm):
    class Meta:
        model = Nation
        fields = ["code", "name", "is_donor", "is_recipient", "is_host"]


class OrganisationForm(UserAwareModelForm):
    class Meta:
        model = Organisation
        fields = ["nation", "name", "kind"]


class ItemCategoryForm(UserAwareModelForm):
    class Meta:
        model = ItemCategory
        fields = ["code", "name", "domain", "unit", "nsc", "sensitive", "can_serve"]
        widgets = {"can_serve": forms.SelectMultiple(attrs={"size": 8})}


class LocationForm(UserAwareModelForm):
    class Meta:
        model = Location
        fields = ["code", "name", "kind", "nation", "latitude", "longitude", "is_main_hub"]


class CoalitionForm(UserAwareModelForm):
    class Meta:
        model = CapabilityCoalition
        fields = ["name", "domain", "lead_nations", "members"]


class CapabilityForm(UserAwareModelForm):
    class Meta:
        model = Capability
        fields = ["code", "name", "coalition", "description"]
        labels = {"coalition": _("capability coalition")}


def next_monday(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=7 - day.weekday())


class HubCapacityForm(UserAwareModelForm):
    """One capacity row of a hub: the hub comes from the page, never from the form."""

    class Meta:
        model = HubCapacity
        fields = ["domain", "valid_from", "valid_until", "weekly_capacity", "reason"]
        widgets = {
            "valid_from": forms.DateInput(),
            "valid_until": forms.DateInput(),
            "reason": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, hub: Location | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if hub is not None:
            self.instance.hub = hub
        if self.instance.pk is None:  # a new row is mostly for weeks to come: next Monday
            self.initial.setdefault("valid_from", next_monday(timezone.now().date()))


class HubClosureForm(forms.Form):
    """Close a hub for one domain over some weeks: 0 units per week, with the reason."""

    domain = forms.ChoiceField(label=_("domain"), choices=CategoryDomain.choices)
    valid_from = forms.DateField(
        label=_("from the week of (Monday)"),
        widget=forms.DateInput(attrs={"type": "date"}),
        initial=lambda: next_monday(timezone.now().date()),
    )
    valid_until = forms.DateField(
        label=_("until the week of"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Empty: closed until further notice."),
    )
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 2}))


class FormRenderer(Jinja2):
    """Forms and widgets render with Django's Jinja2 templates for them (the same HTML as the
    Django-language ones for less CPU); a widget template that exists only in the Django template
    language (the admin's ``related_widget_wrapper``, its date and file widgets) renders with
    Django's own engine instead of failing."""

    @cached_property
    def _django(self) -> DjangoTemplates:
        return DjangoTemplates()

    def get_template(self, template_name: str) -> Any:
        try:
            return super().get_template(template_name)
        except TemplateDoesNotExist:
            return self._django.get_template(template_name)
