"""Filters by the codes people use: ``donor=DE``, ``category=ammo-155``, ``origin=depot-de``.

The registers' filter sets (shared with the list pages, whose forms send ids) are turned, for the
API, into filter sets whose related-object filters take the object's code. A numeric id is still
accepted where no object has that text as its code (clients written against ids keep working).
The objects a filter can name are those the user may see (the register's ``visible`` of the
related model): another nation's depot is answered like a code nobody has, never with an empty
list that would confirm it exists.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from coordcell.registry import register_defs as reg
from coordcell.registry.models import Capability, ItemCategory, Location, Nation

# The related models named by a code, and who may see which of them.
CODE_SCOPES: dict[type[Model], Callable[[Any], QuerySet[Any]]] = {
    Nation: reg.NATIONS.visible,
    ItemCategory: reg.CATEGORIES.visible,
    Location: reg.LOCATIONS.visible,
    Capability: reg.CAPABILITIES.visible,
}


class CodeField(forms.ModelChoiceField):  # type: ignore[type-arg,unused-ignore]
    """The object whose code is the value (exact, then ignoring case), else whose id it is."""

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values:
            return None
        text = str(value).strip()
        rows: Any = self.queryset  # set per request (CodedFilterSet)
        found = rows.filter(code=text).first() or rows.filter(code__iexact=text).first()
        if found is None and text.isdigit() and len(text) <= 18:
            found = rows.filter(pk=int(text)).first()
        if found is None:
            noun = rows.model._meta.verbose_name
            # Values as params: django-filter formats the message with them ("%" in a code).
            raise forms.ValidationError(
                "No %(noun)s has the code %(code)s (among those you may see).",
                code="invalid_choice",
                params={"noun": noun, "code": repr(text[:60])},
            )
        return found


@extend_schema_field(OpenApiTypes.STR)
class CodeFilter(django_filters.ModelChoiceFilter):
    field_class: Any = CodeField


def _related_with_code(model: type[Model], field_name: str | None) -> type[Model] | None:
    try:
        related: Any = model._meta.get_field(field_name or "").related_model
    except FieldDoesNotExist:
        return None
    return related if related in CODE_SCOPES else None


@cache
def _coded(
    filterset_class: type[django_filters.FilterSet], extra: tuple[str, ...]
) -> type[django_filters.FilterSet]:
    model = filterset_class._meta.model  # type: ignore[attr-defined]
    filters: dict[str, Any] = {}
    for name, current in filterset_class.base_filters.items():
        related = None
        if isinstance(current, django_filters.ModelChoiceFilter) and not isinstance(
            current, django_filters.ModelMultipleChoiceFilter
        ):
            related = _related_with_code(model, current.field_name)
        filters[name] = (
            CodeFilter(field_name=current.field_name, label=current.label)
            if related is not None
            else current
        )
    for name in extra:
        if name not in filters and _related_with_code(model, name) is not None:
            filters[name] = CodeFilter(field_name=name)
    coded: type[django_filters.FilterSet] = type(
        f"Coded{filterset_class.__name__}", (CodedFilterSet, filterset_class), {}
    )
    coded.base_filters = filters  # type: ignore[assignment]  # after the class is made: its metaclass would make id filters
    return coded


class CodedFilterSet(django_filters.FilterSet):
    """Each code filter chooses among what the request's user may see."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user = getattr(self.request, "user", None)
        for current in self.filters.values():  # this filter set's own copies
            if isinstance(current, CodeFilter):
                related = _related_with_code(
                    self._meta.model,  # type: ignore[attr-defined]
                    current.field_name,
                )
                assert related is not None  # a CodeFilter is made only for those
                current.queryset = CODE_SCOPES[related](user)


def with_codes(
    filterset_class: type[django_filters.FilterSet] | None,
    extra: tuple[str, ...] = (),
    hidden: frozenset[str] = frozenset(),
) -> type[django_filters.FilterSet] | None:
    """The API's filter set of a register (as ``Register.for_user`` trimmed it): related objects
    by code, plus the ``extra`` ones the page does not offer, except fields ``hidden``."""
    if filterset_class is None:
        return None
    return _coded(filterset_class, tuple(n for n in extra if n not in hidden))
