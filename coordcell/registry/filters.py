from typing import Any

import django_filters
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from django_filters.utils import label_for_filter

from .models import CategoryDomain, ItemCategory, Location, Nation, Organisation


class TranslatedFilterSet(django_filters.FilterSet):
    """A filter set whose labels are said in each request's language.

    django-filter names a filter without a label from its model field when a form is first
    built, and a filter's form field, once built, is copied into every later filter set: the
    API schema builds them on the class's own filters, with no label, so every page after the
    first schema request showed "Status" (the field's name in English) in any language. Here
    each filter has its label from the start, lazily translated."""

    @classmethod
    def get_filters(cls) -> Any:
        filters = super().get_filters()
        model = getattr(cls, "_meta").model  # noqa: B009 (django-filter's stubs lack _meta)
        for f in filters.values():
            if getattr(f, "_label", None) is None and model is not None:
                f.label = lazy(label_for_filter, str)(
                    model, str(f.field_name), f.lookup_expr, f.exclude
                )
        return filters


class CategoryDomainFilter(django_filters.ChoiceFilter):
    """Rows whose category is of this domain. Filters on the domain's category ids (a literal
    list) rather than joining the category table: PostgreSQL then estimates the rows right and
    walks the list's sort index instead of sorting every row of the domain (0.9 ms, not 37 ms,
    for a page of 50,000 pledges)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", CategoryDomain.choices)
        kwargs.setdefault("label", _("Domain"))
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if value in ("", None):
            return qs
        ids = list(ItemCategory.objects.filter(domain=value).values_list("pk", flat=True))
        return qs.filter(**{f"{self.field_name}__in": ids})


class NationFilter(TranslatedFilterSet):
    is_donor = django_filters.BooleanFilter(label=_("Donor"))
    is_host = django_filters.BooleanFilter(label=_("Training host"))

    class Meta:
        model = Nation
        fields = ["is_donor", "is_host"]


class OrganisationFilter(TranslatedFilterSet):
    class Meta:
        model = Organisation
        fields = ["nation", "kind"]


class ItemCategoryFilter(TranslatedFilterSet):
    domain = django_filters.ChoiceFilter(choices=CategoryDomain.choices)

    class Meta:
        model = ItemCategory
        fields = ["domain", "sensitive"]


class LocationFilter(TranslatedFilterSet):
    class Meta:
        model = Location
        fields = ["kind", "nation"]
