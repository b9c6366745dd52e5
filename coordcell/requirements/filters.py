from typing import Any

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from coordcell.registry.filters import CategoryDomainFilter, TranslatedFilterSet

from .models import Requirement


class RequirementFilter(TranslatedFilterSet):
    status = django_filters.ChoiceFilter(choices=Requirement.Status.choices)
    unmet = django_filters.BooleanFilter(
        method="filter_unmet", label=_("Still waiting for an allocation")
    )
    priority = django_filters.ChoiceFilter(choices=Requirement.PRIORITY_CHOICES)
    domain = CategoryDomainFilter(field_name="category")
    need_by_before = django_filters.DateFilter(
        field_name="need_by",
        lookup_expr="lte",
        label=_("Needed by (on or before)"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = Requirement
        fields = ["status", "unmet", "priority", "domain", "capability", "delivery_point"]

    def filter_unmet(self, queryset: Any, name: str, value: bool | None) -> Any:
        if value is None:
            return queryset
        unmet = {"status__in": Requirement.UNMET}
        return queryset.filter(**unmet) if value else queryset.exclude(**unmet)
