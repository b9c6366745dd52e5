"""The shipment list's filters and sorts, as far as the viewer's role reads what they filter by.

Routes and times are need-to-know (docs/security.md): the hub, the departure weeks and "late
only" filter and sort only for those who see every listed shipment in full (the cell, auditors,
a donor its own); anyone else would learn them from which shipments a filter keeps."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, overload

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coordcell.registry.access import as_user
from coordcell.registry.filters import TranslatedFilterSet
from coordcell.registry.models import ItemCategory, Location, Nation
from coordcell.requirements.models import Requirement

from .lifecycle import S
from .models import Shipment
from .selectors import late_shipments, sees_routes_of_all

# sort key -> the fields it orders by; the route-and-time ones only for those who see them
SORTS = {
    "reference": ("reference",),
    "donor": ("donor__name", "reference"),
    "delivery_point": ("delivery_point__name", "reference"),
    "status": ("status", "reference"),
}
ROUTE_SORTS = {
    "departure": ("planned_departure", "reference"),
    "handover": ("planned_arrival", "reference"),
    "eta": ("eta", "reference"),
    "hub": ("hub__name", "reference"),
    "load": ("load", "reference"),
}


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"})


class ShipmentFilter(TranslatedFilterSet):
    q = django_filters.CharFilter(
        label=_("Reference"),
        field_name="reference",
        lookup_expr="icontains",
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    status = django_filters.ChoiceFilter(label=_("Status"), choices=S.choices)
    donor = django_filters.ModelChoiceFilter(
        label=_("Donor"),
        queryset=Nation.objects.filter(is_donor=True).order_by("name"),
        to_field_name="code",
    )
    category = django_filters.ModelChoiceFilter(
        label=_("Category"),
        field_name="lines__category",
        queryset=ItemCategory.objects.order_by("name"),
        to_field_name="code",
        distinct=True,
    )
    delivery_point = django_filters.ModelChoiceFilter(
        label=_("Delivery point"),
        queryset=Location.objects.filter(kind=Location.Kind.DELIVERY_POINT).order_by("name"),
        to_field_name="code",
    )
    priority = django_filters.TypedChoiceFilter(
        label=_("Priority"),
        field_name="lines__requirement__priority",
        # Django's TypedChoiceField adds no empty choice: without one, every filter sent from the
        # page would also filter to priority 1.
        choices=[("", _("any")), *Requirement.PRIORITY_CHOICES],
        coerce=int,
        empty_value=None,
        distinct=True,
    )
    hub = django_filters.ModelChoiceFilter(
        label=_("Hub"),
        queryset=Location.objects.filter(kind=Location.Kind.HUB).order_by("name"),
        to_field_name="code",
    )
    load = django_filters.CharFilter(
        label=_("Load"),
        field_name="load",
        lookup_expr="iexact",
        widget=forms.TextInput(attrs={"placeholder": "L-000012"}),
    )
    departing_from = django_filters.DateFilter(
        label=_("Departing on or after"),
        field_name="planned_departure",
        lookup_expr="gte",
        widget=_date_input(),
    )
    departing_until = django_filters.DateFilter(
        label=_("Departing on or before"),
        field_name="planned_departure",
        lookup_expr="lte",
        widget=_date_input(),
    )
    late = django_filters.BooleanFilter(
        label=_("Late only"),
        method="filter_late",
        widget=forms.CheckboxInput,
    )
    sort = django_filters.ChoiceFilter(label=_("Sort by"), method="filter_sort", empty_label=None)

    class Meta:
        model = Shipment
        fields: list[str] = []

    def __init__(self, data: Any = None, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(data, *args, **kwargs)
        self.user = user
        routes = sees_routes_of_all(user)
        u = as_user(user)
        if not routes:
            for name in ("hub", "load", "departing_from", "departing_until", "late"):
                del self.filters[name]
        if u is not None and u.is_donor_liaison:
            del self.filters["donor"]  # its own nation's shipments only
        sorts = {**SORTS, **(ROUTE_SORTS if routes else {})}
        choices = [
            ("", _("next departure first") if routes else _("reference")),
            *((key, label) for key, label in _SORT_LABELS if key in sorts),
            *(
                (f"-{key}", _("%(sort)s, descending") % {"sort": label})
                for key, label in _SORT_LABELS
                if key in sorts
            ),
        ]
        self.filters["sort"].extra["choices"] = choices
        self.sorts = sorts

    def filter_late(self, qs: QuerySet[Shipment], name: str, value: Any) -> QuerySet[Shipment]:
        return late_shipments(qs, timezone.now().date()) if value else qs

    def filter_sort(self, qs: QuerySet[Shipment], name: str, value: str) -> QuerySet[Shipment]:
        return qs  # applied in ``ordered`` once every filter has run

    def ordered(self, qs: QuerySet[Shipment]) -> QuerySet[Shipment] | Chained:
        """The list's order: the sort asked for, else the next departure first (those who see
        times) or by reference (the others: the order itself would tell the plan)."""
        sort = (self.form.cleaned_data.get("sort") or "") if self.is_valid() else ""
        key = sort.lstrip("-")
        if key in self.sorts:
            fields = self.sorts[key]
            if sort.startswith("-"):
                return qs.order_by(*(f"-{f}" for f in fields))
            return qs.order_by(*fields)
        if not sees_routes_of_all(self.user):
            return qs.order_by("-reference")
        today = timezone.now().date()
        # Upcoming departures first, the soonest first; then those gone, the latest first: two
        # queries, each read in the order of the departure index, paged as one list.
        return Chained(
            qs.filter(planned_departure__gte=today).order_by("planned_departure", "pk"),
            qs.filter(planned_departure__lt=today).order_by("-planned_departure", "-pk"),
        )


class Chained:
    """Two ordered querysets read as one list by a paginator (``count`` and slices): each
    query keeps the order its index gives, where one ORDER BY over both would sort them all."""

    def __init__(self, first: QuerySet[Shipment], second: QuerySet[Shipment]) -> None:
        self.first, self.second = first, second
        self._first_count: int | None = None

    def _head(self) -> int:
        if self._first_count is None:
            self._first_count = self.first.count()
        return self._first_count

    def count(self) -> int:
        return self._head() + self.second.count()

    def __len__(self) -> int:
        return self.count()

    def __iter__(self) -> Iterator[Shipment]:
        yield from self.first
        yield from self.second

    @overload
    def __getitem__(self, index: int) -> Shipment: ...
    @overload
    def __getitem__(self, index: slice) -> list[Shipment]: ...
    def __getitem__(self, index: int | slice) -> Shipment | list[Shipment]:
        if isinstance(index, int):
            return self[index : index + 1][0]
        start, stop = index.start or 0, index.stop
        head = self._head()
        rows = list(self.first[start : min(stop, head)]) if start < head else []
        if stop > head:
            rows += list(self.second[max(start - head, 0) : stop - head])
        return rows


_SORT_LABELS = [
    ("reference", _("reference")),
    ("donor", _("donor")),
    ("delivery_point", _("delivery point")),
    ("status", _("status")),
    ("hub", _("hub")),
    ("load", _("load")),
    ("departure", _("planned departure")),
    ("handover", _("planned handover")),
    ("eta", _("expected handover")),
]


def _set_choices(form: forms.Form, name: str, choices: list[Any]) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


class DiscrepancyFilterForm(forms.Form):
    """What the discrepancy register's filters may say: a value outside them is a message and
    an empty list (a 400), never the whole register shown as if filtered."""

    donor = forms.ChoiceField(label=_("Donor"), required=False)
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    state = forms.ChoiceField(label=_("State"), required=False)
    age = forms.ChoiceField(label=_("Age"), required=False)
    sort = forms.ChoiceField(label=_("Sort"), required=False)
    overdue = forms.ChoiceField(label=_("Overdue only"), required=False, choices=[("1", "1")])

    def __init__(self, data: Any) -> None:
        from .models import Discrepancy
        from .selectors import AGE_BANDS, REGISTER_SORTS

        if data is not None and data.get("donor"):
            data = data.copy()
            data["donor"] = str(data["donor"]).upper()  # "de" names Germany too
        super().__init__(data)
        blank = [("", "")]
        # Any donor nation reads (a donor's own scope then keeps its own discrepancies only).
        donors = Nation.objects.filter(is_donor=True).order_by("name")
        _set_choices(self, "donor", blank + [(n.code, n.name) for n in donors])
        _set_choices(self, "kind", blank + list(Discrepancy.Kind.choices))
        _set_choices(
            self,
            "state",
            blank
            + [
                ("unresolved", "unresolved"),
                *Discrepancy.Status.choices,
            ],
        )
        _set_choices(self, "age", blank + [(k, k) for k in AGE_BANDS])
        _set_choices(self, "sort", blank + [(k, k) for k in REGISTER_SORTS])


DELAY_SORTS = {
    "": ("next_due", "pk"),  # the longest overdue first
    "-next_due": ("-next_due", "-pk"),
    "donor": ("donor__name", "next_due", "pk"),
    "hub": ("hub__name", "next_due", "pk"),
    "delivery_point": ("delivery_point__name", "next_due", "pk"),
}


class DelayFilterForm(forms.Form):
    """The late shipments' filters (a page for those who see routes: the cell, auditors, a
    donor its own): donor, hub, delivery point and sort. A value outside them is a 400."""

    donor = forms.ModelChoiceField(
        label=_("Donor"),
        queryset=Nation.objects.filter(is_donor=True).order_by("name"),
        to_field_name="code",
        required=False,
    )
    hub = forms.ModelChoiceField(
        label=_("Hub"),
        queryset=Location.objects.filter(kind=Location.Kind.HUB).order_by("name"),
        to_field_name="code",
        required=False,
    )
    delivery_point = forms.ModelChoiceField(
        label=_("Delivery point"),
        queryset=Location.objects.filter(kind=Location.Kind.DELIVERY_POINT).order_by("name"),
        to_field_name="code",
        required=False,
    )
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("", _("longest overdue first")),
            ("-next_due", _("most recently due first")),
            ("donor", _("donor")),
            ("hub", _("hub")),
            ("delivery_point", _("delivery point")),
        ],
    )

    def __init__(self, data: Any, *, with_donor: bool = True) -> None:
        super().__init__(data)
        if not with_donor:
            del self.fields["donor"]  # one donor's page

    def apply(self, qs: QuerySet[Shipment]) -> QuerySet[Shipment]:
        """``qs`` filtered and ordered as asked (nothing when a value cannot be read)."""
        if not self.is_valid():
            return qs.none()
        data = self.cleaned_data
        for name in ("donor", "hub", "delivery_point"):
            if data.get(name) is not None:
                qs = qs.filter(**{name: data[name]})
        return qs.order_by(*DELAY_SORTS[data.get("sort") or ""])


class InventoryFilterForm(forms.Form):
    """The end-use inventory's filters: an item's state, overdue only, a category. A value
    outside them is a message (400), never every item shown as if filtered."""

    state = forms.ChoiceField(label=_("State"), required=False)
    overdue = forms.ChoiceField(label=_("Overdue only"), required=False, choices=[("1", "1")])
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=ItemCategory.objects.filter(sensitive=True).order_by("name"),
        to_field_name="code",
        required=False,
    )

    def __init__(self, data: Any) -> None:
        from .selectors import ItemState

        super().__init__(data)
        _set_choices(self, "state", [("", _("all")), *ItemState.choices])
