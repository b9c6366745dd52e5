"""The page's section for values the registers do not know: each listed once, with how many rows
give it and what it may stand for; a select maps it to a record of the register, or (for those
who keep reference data) to a new record created within the import, whose code, name, domain and
unit the page asks for (prefilled: the code from the name, a nation's from its ISO name).

What the user chose goes into the mapping: ``values:`` for a record of the register, ``create:``
for a new one (``references``), so a downloaded mapping file does the same on the next file."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from coordcell.registry.access import can_write_registers
from coordcell.registry.models import CategoryDomain, ItemCategory, Nation

from .mapping import Mapping
from .references import default_code, default_name
from .specs import ImportSpec, Lookups

NEW = "__new__"  # the select's choice for "create it"
# The kinds the page creates (a location with its nation and coordinates).
CREATED_ON_THE_PAGE = {"category", "nation", "location"}


@dataclass
class UnknownValue:
    """One unknown value's select and, if it may be created here, its new record's fields."""

    field_name: str
    raw: str
    rows: int | None
    suggestions: list[Any]
    select: str  # the form field's name
    new: dict[str, str] = field(default_factory=dict)  # attribute -> form field's name


def add_unknown_fields(
    form: forms.Form,
    spec: ImportSpec,
    unknown: dict[str, Any],
    mapping: Mapping,
    user: Any,
) -> list[UnknownValue]:
    """Add a select (and the new record's fields) to ``form`` for each unknown value."""
    lookups = Lookups(user)
    creates = can_write_registers(user)
    out: list[UnknownValue] = []
    for field_name, values in unknown.items():
        try:
            kind = spec.field(field_name).kind
        except StopIteration:
            continue  # the field is gone from the import type
        creatable = creates and kind in CREATED_ON_THE_PAGE
        options = [("", str(_("— leave as error —")))]
        if creatable:
            options.append((NEW, str(_("— create it (below) —"))))
        options += [
            (getattr(o, "code", str(o)), f"{o} ({getattr(o, 'code', '')})")
            for o in lookups.options(kind)
        ]
        details = values if isinstance(values, dict) else {raw: {} for raw in values}
        for index, (raw, about) in enumerate(details.items()):
            suggestions = about.get("suggestions", []) if isinstance(about, dict) else []
            name = f"val:{field_name}:{raw}"
            form.fields[name] = forms.ChoiceField(
                choices=options,
                required=False,
                label=_("%(field)s %(value)r means")
                % {"field": spec.field(field_name).label, "value": raw},
                initial=_initial(field_name, raw, mapping, suggestions, creatable),
            )
            value = UnknownValue(
                field_name,
                raw,
                about.get("rows") if isinstance(about, dict) else None,
                suggestions,
                name,
            )
            if creatable:
                given = mapping.create.get(field_name, {}).get(raw, {})
                value.new = _new_fields(form, f"new:{field_name}:{index}", kind, raw, given)
            out.append(value)
    return out


def _initial(
    field_name: str, raw: str, mapping: Mapping, suggestions: list[Any], creatable: bool
) -> str:
    if raw in mapping.create.get(field_name, {}):
        return NEW
    chosen = mapping.values.get(field_name, {}).get(raw)
    if chosen:
        return chosen
    # An ISO name or alias of a nation in the register ("Czech Republic" is Czechia) is all but
    # certain: offered chosen. Close spellings are listed, never chosen for the user.
    if suggestions and suggestions[0][2] == "existing" and field_name in _NATION_FIELDS:
        return str(suggestions[0][0])
    if suggestions and suggestions[0][2] == "new" and creatable:
        return NEW
    return ""


_NATION_FIELDS = {"donor", "nation"}


def _new_fields(
    form: forms.Form, prefix: str, kind: str, raw: str, given: dict[str, Any]
) -> dict[str, str]:
    names = {"code": f"{prefix}:code", "name": f"{prefix}:name"}
    form.fields[names["code"]] = forms.CharField(
        required=False,
        max_length=40,
        label=_("Code"),
        initial=given.get("code") or default_code(kind, raw),
    )
    form.fields[names["name"]] = forms.CharField(
        required=False,
        max_length=200,
        label=_("Name"),
        initial=given.get("name") or default_name(kind, raw),
    )
    if kind == "category":
        names["domain"] = f"{prefix}:domain"
        names["unit"] = f"{prefix}:unit"
        form.fields[names["domain"]] = forms.ChoiceField(
            choices=[("", "—"), *CategoryDomain.choices],
            required=False,
            label=_("Domain"),
            initial=given.get("domain", ""),
        )
        form.fields[names["unit"]] = forms.ChoiceField(
            choices=[("", "—"), *ItemCategory.Unit.choices],
            required=False,
            label=_("Unit of measure"),
            initial=given.get("unit", ""),
        )
    if kind == "location":
        for attribute, label in (
            ("nation", _("Nation")),
            ("latitude", _("Latitude (decimal degrees)")),
            ("longitude", _("Longitude (decimal degrees)")),
        ):
            names[attribute] = f"{prefix}:{attribute}"
            if attribute == "nation":
                form.fields[names[attribute]] = forms.ChoiceField(
                    choices=[
                        ("", "—"),
                        *Nation.objects.order_by("name").values_list("code", "name"),
                    ],
                    required=False,
                    label=label,
                    initial=given.get("nation", ""),
                )
            else:
                form.fields[names[attribute]] = forms.CharField(
                    required=False, max_length=20, label=label, initial=given.get(attribute, "")
                )
    return names


def clean_unknown(form: forms.Form, unknown: list[UnknownValue]) -> None:
    """A value to create needs each of its attributes (the register's rules check them again)."""
    data = form.cleaned_data
    for value in unknown:
        if data.get(value.select) != NEW:
            continue
        for attribute, name in value.new.items():
            if not data.get(name):
                form.add_error(name, _("Give the new record's %(what)s.") % {"what": attribute})


def apply_unknown(data: dict[str, Any], unknown: list[UnknownValue], result: Mapping) -> None:
    """What the user chose for each unknown value, into ``result``'s ``values`` and ``create``."""
    for value in unknown:
        chosen = data.get(value.select)
        values = result.values.setdefault(value.field_name, {})
        creates = result.create.setdefault(value.field_name, {})
        if chosen == NEW:
            values.pop(value.raw, None)
            creates[value.raw] = {a: data[name] for a, name in value.new.items() if data.get(name)}
        elif chosen:
            creates.pop(value.raw, None)
            values[value.raw] = chosen
        else:  # left as an error
            creates.pop(value.raw, None)
            values.pop(value.raw, None)
    result.values = {k: v for k, v in result.values.items() if v}
    result.create = {k: v for k, v in result.create.items() if v}
