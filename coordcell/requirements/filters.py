import django_filters
from django import forms

from coordcell.registry.filters import CategoryDomainFilter

from .models import Requirement


class RequirementFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Requirement.Status.choices)
    priority = django_filters.ChoiceFilter(choices=Requirement.PRIORITY_CHOICES)
    domain = CategoryDomainFilter(field_name="category")
    need_by_before = django_filters.DateFilter(
        field_name="need_by",
        lookup_expr="lte",
        label="Needed by (on or before)",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = Requirement
        fields = ["status", "priority", "domain", "capability", "delivery_point"]
