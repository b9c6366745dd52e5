import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from coordcell.registry.filters import CategoryDomainFilter, TranslatedFilterSet

from .models import Pledge, ValuationBasis


class PledgeFilter(TranslatedFilterSet):
    status = django_filters.ChoiceFilter(choices=Pledge.Status.choices)
    domain = CategoryDomainFilter(field_name="category")
    valuation_basis = django_filters.ChoiceFilter(choices=ValuationBasis.choices)
    available_after = django_filters.DateFilter(
        field_name="available_from",
        lookup_expr="gte",
        label=_("Available from (on or after)"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = Pledge
        fields = ["status", "donor", "domain", "category", "valuation_basis"]
