import django_filters

from .models import CategoryDomain, ItemCategory, Location, Nation, Organisation


class NationFilter(django_filters.FilterSet):
    is_donor = django_filters.BooleanFilter(label="Donor")
    is_host = django_filters.BooleanFilter(label="Training host")

    class Meta:
        model = Nation
        fields = ["is_donor", "is_host"]


class OrganisationFilter(django_filters.FilterSet):
    class Meta:
        model = Organisation
        fields = ["nation", "kind"]


class ItemCategoryFilter(django_filters.FilterSet):
    domain = django_filters.ChoiceFilter(choices=CategoryDomain.choices)

    class Meta:
        model = ItemCategory
        fields = ["domain", "sensitive"]


class LocationFilter(django_filters.FilterSet):
    class Meta:
        model = Location
        fields = ["kind", "nation"]
