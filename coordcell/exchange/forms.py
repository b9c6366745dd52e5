from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat

from coordcell.registry.forms import choice_field, model_choice_field

from .mapping import Mapping
from .models import SavedMapping
from .readers import SUPPORTED
from .specs import ImportSpec
from .unknown_values import add_unknown_fields, apply_unknown, clean_unknown


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label="What the file holds")
    file = forms.FileField(label="Spreadsheet (.csv or .xlsx)")
    saved_mapping = forms.ModelChoiceField(
        SavedMapping.objects.none(), required=False, label="Use a saved column mapping"
    )
    mapping_file = forms.FileField(required=False, label="…or a mapping file (.yaml or .json)")

    def __init__(self, *args: Any, kinds: list[str], user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "kind").choices = [(k, k.capitalize()) for k in kinds]
        model_choice_field(self, "saved_mapping").queryset = SavedMapping.objects.filter(owner=user)

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(SUPPORTED):
            raise forms.ValidationError(
                f"{upload.name}: send a .csv or .xlsx file (save the sheet in one of these)."
            )
        limit = settings.COORDCELL_IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                f"The file is {filesizeformat(upload.size)}; the page takes up to "
                f"{filesizeformat(limit)} (COORDCELL_IMPORT_MAX_MB). Split it into several "
                "files, or save a workbook as .csv (smaller), or use 'coordcell import' on the "
                "server."
            )
        return upload


class MappingForm(forms.Form):
    """One select per field (which column fills it), and a select per unknown value."""

    save_as = forms.CharField(
        required=False, max_length=100, label="Save this mapping as (optional)"
    )
    skip_invalid = forms.BooleanField(
        required=False, label="Commit the valid rows and reject the others (default: all or none)"
    )

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
        choices = [("", "— not in this sheet —")] + [(h, h) for h in headers]
        for f in spec.fields:
            self.fields[f"col:{f.name}"] = forms.ChoiceField(
                choices=choices,
                required=False,
                label=f.label + (" *" if f.required else ""),
                help_text=f.help,
                initial=mapping.columns.get(f.name, ""),
            )
        self.unknown = add_unknown_fields(self, spec, unknown, mapping, user)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        clean_unknown(self, self.unknown)
        return cleaned

    def column_fields(self) -> list[Any]:
        return [self[name] for name in self.fields if name.startswith("col:")]

    def value_fields(self) -> list[Any]:
        """Each unknown value: (it, its select, its new record's fields)."""
        return [
            (value, self[value.select], [self[name] for name in value.new.values()])
            for value in self.unknown
        ]

    def mapping(self, previous: Mapping) -> Mapping:
        data = self.cleaned_data
        values = {k: dict(v) for k, v in previous.values.items()}
        create = {k: dict(v) for k, v in previous.create.items()}
        result = Mapping(kind=self.spec.kind, values=values, create=create)
        for f in self.spec.fields:
            header = data.get(f"col:{f.name}")
            if header:
                result.columns[f.name] = header
        apply_unknown(data, self.unknown, result)
        return result
