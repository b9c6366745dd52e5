"""The capability package form: its name and capability, then which of the capability's
requirements it holds and in which role (one row per requirement: a role, or none)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from coordcell.registry.models import Capability
from coordcell.requirements.models import Requirement

from .models import CapabilityPackage, PackageItem


class PackageForm(forms.ModelForm):
    class Meta:
        model = CapabilityPackage
        fields = ["name", "capability"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        capability = self.fields["capability"]
        if self.instance.pk is None:
            # One package per capability: offer those that have none yet.
            capability.queryset = Capability.objects.filter(package__isnull=True).order_by("code")  # type: ignore[attr-defined]
            capability.help_text = _(
                "A capability has one package; those that have one are not offered."
            )
        else:
            capability.disabled = True  # its items are the capability's requirements
            capability.help_text = _("The package's items are this capability's requirements.")


class PackageItemsForm(forms.Form):
    """For each requirement of the package's capability: its role in the package (or none) and,
    for sustainment, its tranche."""

    def __init__(
        self, *args: Any, requirements: list[Requirement], items: list[PackageItem], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        held = {item.requirement_id: item for item in items}
        self.requirements = requirements
        roles = [("", _("not in the package")), *PackageItem.Role.choices]
        for requirement in requirements:
            item = held.get(requirement.pk)
            self.fields[f"role_{requirement.pk}"] = forms.ChoiceField(
                label=str(requirement),
                choices=roles,
                required=False,
                initial=item.role if item else "",
                widget=forms.Select(
                    attrs={"aria-label": _("Role of %(ref)s") % {"ref": requirement.reference}}
                ),
            )
            self.fields[f"tranche_{requirement.pk}"] = forms.IntegerField(
                label=_("sustainment tranche"),
                min_value=1,
                max_value=99,
                required=False,
                initial=item.tranche if item else 1,
                widget=forms.NumberInput(
                    attrs={"aria-label": _("Tranche of %(ref)s") % {"ref": requirement.reference}}
                ),
            )

    def rows(self) -> list[tuple[Requirement, Any, Any]]:
        return [(r, self[f"role_{r.pk}"], self[f"tranche_{r.pk}"]) for r in self.requirements]

    def items(self) -> list[tuple[Requirement, str, int]]:
        """(requirement, role, tranche) of the rows given a role: what ``package_save`` takes."""
        chosen = []
        for requirement in self.requirements:
            role = self.cleaned_data.get(f"role_{requirement.pk}")
            if role:
                chosen.append(
                    (requirement, role, self.cleaned_data.get(f"tranche_{requirement.pk}") or 1)
                )
        return chosen
