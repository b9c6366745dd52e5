from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from coordcell.registry.forms import choice_field, model_choice_field

from . import normalise as n
from .layout import ColumnError, column_choices, duplicate_headers, duplicate_message, resolve
from .mapping import KeyRule, Mapping, MappingError, RowFilter, date_order, mapping_from_dict
from .models import SavedMapping
from .readers import SUPPORTED
from .specs import ImportSpec
from .unknown_values import add_unknown_fields, apply_unknown, clean_unknown


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What the file holds"))
    file = forms.FileField(label=gettext_lazy("Spreadsheet (.csv or .xlsx)"))
    saved_mapping = forms.ModelChoiceField(
        SavedMapping.objects.none(),
        required=False,
        label=gettext_lazy("Use a saved column mapping"),
    )
    mapping_file = forms.FileField(
        required=False, label=gettext_lazy("…or a mapping file (.yaml or .json)")
    )

    def __init__(self, *args: Any, kinds: list[str], user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "kind").choices = [(k, _(k).capitalize()) for k in kinds]
        model_choice_field(self, "saved_mapping").queryset = SavedMapping.objects.filter(owner=user)

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(SUPPORTED):
            raise forms.ValidationError(
                _("%(name)s: send a .csv or .xlsx file (save the sheet in one of these).")
                % {"name": upload.name}
            )
        limit = settings.COORDCELL_IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _(
                    "The file is %(size)s; the page takes up to %(limit)s "
                    "(COORDCELL_IMPORT_MAX_MB). Split it into several files, or save a workbook "
                    "as .csv (smaller), or use 'coordcell import' on the server."
                )
                % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)}
            )
        return upload


FILTER_LABELS = {
    "equals": gettext_lazy("equals"),
    "one_of": gettext_lazy("is one of"),
    "is_not": gettext_lazy("is not"),
    "not_one_of": gettext_lazy("is none of"),
}


class MappingForm(forms.Form):
    """One select per field (which column fills it), and a select per unknown value; then what a
    mapping file says beyond the columns: the key, constants and defaults, a row filter and the
    date columns' formats (docs/import.md). A column the mapping names that the sheet lacks, or a
    header on two columns, is shown selected and refused until the user chooses."""

    save_as = forms.CharField(
        required=False, max_length=100, label=gettext_lazy("Save this mapping as (optional)")
    )
    skip_invalid = forms.BooleanField(
        required=False,
        label=gettext_lazy("Commit the valid rows and reject the others (default: all or none)"),
    )
    key_columns = forms.MultipleChoiceField(
        required=False,
        label=gettext_lazy("Key made of these columns (instead of one column)"),
        widget=forms.CheckboxSelectMultiple,
    )
    key_occurrence = forms.BooleanField(
        required=False,
        label=gettext_lazy(
            "…plus the row's place among the rows sharing them (1234/1, 1234/2): for an id "
            "shared by many rows"
        ),
    )
    key_generated = forms.BooleanField(
        required=False,
        label=gettext_lazy("No key in the sheet: make one from each row's cells"),
    )
    FILTER_ROWS = 3

    def __init__(
        self,
        *args: Any,
        spec: ImportSpec,
        headers: list[str],
        mapping: Mapping,
        unknown: dict[str, Any],
        user: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.spec = spec
        self.headers = headers
        self.problems: list[str] = []  # said on the page before anything is posted
        # form field -> the mapping's references the sheet lacks (refused), or that lie right of
        # its last header ("column M" of an unheaded column: read all the same)
        self.unresolved: dict[str, list[str]] = {}
        self.beyond: dict[str, list[str]] = {}
        columns = column_choices(headers)
        choices = [("", _("— not in this sheet —")), *columns]
        for f in spec.fields:
            name = f"col:{f.name}"
            ref = mapping.columns.get(f.name, "")
            initial = self._initial(name, ref, f.label)
            self.fields[name] = forms.ChoiceField(
                choices=choices + self._missing_choice(name),
                required=False,
                label=_(f.label) + (" *" if f.required else ""),
                help_text=_(f.help) if f.help else "",
                initial=initial,
            )
        for header, indexes in duplicate_headers(headers).items():
            self.problems.append(duplicate_message(header, indexes))
        self.unknown = add_unknown_fields(self, spec, unknown, mapping, user)
        # The key, when no one column holds it.
        key = mapping.key
        key_refs = [
            self._initial("key_columns", ref, _("the key")) for ref in (key.columns if key else [])
        ]
        field = self.fields["key_columns"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = columns + self._missing_choice("key_columns")
        field.initial = key_refs
        self.fields["key_occurrence"].initial = bool(key and key.occurrence)
        self.fields["key_generated"].initial = bool(key and key.generated)
        # Constants, defaults, date formats.
        for f in spec.fields:
            self.fields[f"const:{f.name}"] = forms.CharField(
                required=False,
                max_length=200,
                label=_(f.label),
                initial=mapping.constants.get(f.name, ""),
            )
            self.fields[f"default:{f.name}"] = forms.CharField(
                required=False,
                max_length=200,
                label=_(f.label),
                initial=mapping.defaults.get(f.name, ""),
            )
            if f.kind == "date":
                self.fields[f"date:{f.name}"] = forms.CharField(
                    required=False,
                    max_length=40,
                    label=_(f.label),
                    help_text=_(
                        "e.g. m/d/yyyy, d.m.yyyy, month first; empty: found from the dates"
                    ),
                    initial=mapping.dates.get(f.name, ""),
                )
        # The row filter: a few conditions, all of which a row must meet.
        tests = list(FILTER_LABELS.items())
        for i in range(max(self.FILTER_ROWS, len(mapping.filters) + 1)):
            rule = mapping.filters[i] if i < len(mapping.filters) else None
            name = f"filter:{i}:column"
            initial = self._initial(name, rule.column, _("the filter")) if rule else ""
            self.fields[name] = forms.ChoiceField(
                choices=[("", "—"), *columns, *self._missing_choice(name)],
                required=False,
                label=_("Column"),
                initial=initial,
            )
            self.fields[f"filter:{i}:test"] = forms.ChoiceField(
                choices=tests, required=False, label=_("Test"), initial=rule.test if rule else ""
            )
            self.fields[f"filter:{i}:values"] = forms.CharField(
                required=False,
                max_length=500,
                label=_("Value (several: separate them with ;)"),
                initial="; ".join(rule.values) if rule else "",
            )

    def _initial(self, name: str, ref: str, what: str) -> str:
        """The choice for the mapping's ``ref``: its column's, or ``ref`` itself, kept visible
        (and refused when posted) when the sheet lacks it or has it twice."""
        if not ref:
            return ""
        try:
            index = resolve(ref, self.headers)
        except ColumnError as exc:
            self.unresolved.setdefault(name, []).append(ref)
            self.problems.append(
                _("The mapping takes %(what)s from column %(ref)r, but %(why)s: choose a column.")
                % {"what": what, "ref": ref, "why": exc}
            )
            return ref
        if index >= len(self.headers):
            self.beyond.setdefault(name, []).append(ref)
            return ref
        return column_choices(self.headers)[index][0]

    def _missing_choice(self, name: str) -> list[tuple[str, str]]:
        missing = [
            (ref, _("%(ref)s — not in this sheet: choose") % {"ref": ref})
            for ref in self.unresolved.get(name, [])
        ]
        return missing + [(ref, ref) for ref in self.beyond.get(name, [])]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        clean_unknown(self, self.unknown)
        for name, refs in self.unresolved.items():
            chosen = data.get(name)
            for ref in refs:
                if chosen == ref or (isinstance(chosen, list) and ref in chosen):
                    self.add_error(
                        name,
                        _("This sheet has no column %(ref)r (or has it twice): choose one.")
                        % {"ref": ref},
                    )
        for f in self.spec.fields:
            fmt = data.get(f"date:{f.name}")
            if fmt and date_order(fmt) is None:
                try:
                    n.date_format(fmt)
                except n.Invalid as exc:
                    self.add_error(f"date:{f.name}", str(exc))
        if not self.errors:
            try:
                mapping_from_dict(self._build(Mapping()).as_dict(), self.spec)
            except MappingError as exc:
                self.add_error(None, str(exc))
        return data

    def column_fields(self) -> list[Any]:
        return [self[name] for name in self.fields if name.startswith("col:")]

    def value_fields(self) -> list[Any]:
        """Each unknown value: (it, its select, its new record's fields)."""
        return [
            (value, self[value.select], [self[name] for name in value.new.values()])
            for value in self.unknown
        ]

    def constant_rows(self) -> list[tuple[Any, Any]]:
        return [(self[f"const:{f.name}"], self[f"default:{f.name}"]) for f in self.spec.fields]

    def date_fields(self) -> list[Any]:
        return [self[name] for name in self.fields if name.startswith("date:")]

    def filter_rows(self) -> list[tuple[Any, Any, Any]]:
        count = sum(
            1 for name in self.fields if name.endswith(":column") and name.startswith("filter:")
        )
        return [
            (self[f"filter:{i}:column"], self[f"filter:{i}:test"], self[f"filter:{i}:values"])
            for i in range(count)
        ]

    def mapping(self, previous: Mapping) -> Mapping:
        return self._build(previous)

    def _build(self, previous: Mapping) -> Mapping:
        data = self.cleaned_data
        values = {k: dict(v) for k, v in previous.values.items()}
        create = {k: dict(v) for k, v in previous.create.items()}
        result = Mapping(kind=self.spec.kind, values=values, create=create, sheet=previous.sheet)
        for f in self.spec.fields:
            header = data.get(f"col:{f.name}")
            if header:
                result.columns[f.name] = header
            if data.get(f"const:{f.name}"):
                result.constants[f.name] = data[f"const:{f.name}"].strip()
            if data.get(f"default:{f.name}"):
                result.defaults[f.name] = data[f"default:{f.name}"].strip()
            if data.get(f"date:{f.name}"):
                result.dates[f.name] = data[f"date:{f.name}"].strip()
        if data.get("key_columns") or data.get("key_generated"):
            result.key = KeyRule(
                columns=list(data.get("key_columns") or []),
                occurrence=bool(data.get("key_occurrence")),
                generated=bool(data.get("key_generated")),
                separator=previous.key.separator if previous.key else "",
            )
        for i in range(len(self.filter_rows())):
            column = data.get(f"filter:{i}:column")
            if column:
                test = data.get(f"filter:{i}:test") or "equals"
                raw = data.get(f"filter:{i}:values") or ""
                parts = [v.strip() for v in raw.split(";")] if ";" in raw else [raw.strip()]
                if test in ("equals", "is_not") and len(parts) > 1:
                    test = "one_of" if test == "equals" else "not_one_of"
                result.filters.append(RowFilter(column, test, parts))
        apply_unknown(data, self.unknown, result)
        return result


class SheetForm(forms.Form):
    """Which sheet of a workbook to read."""

    sheet = forms.ChoiceField(label=gettext_lazy("Sheet"))

    def __init__(self, *args: Any, sheets: tuple[str, ...], current: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = choice_field(self, "sheet")
        field.choices = [(s, s) for s in sheets]
        field.initial = current
