"""One description per register drives its list, detail, create, edit and delete pages.

Each register names the single access function for its objects (``visible``/``editable``), so a
page can never show or change what that function does not allow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import django_filters
from django import forms
from django.db import models

SaveFn = Callable[..., models.Model]


@dataclass(frozen=True)
class Column:
    path: str  # attribute path, e.g. "donor.name"
    label: str
    sort: str = ""  # ORM ordering key; empty = not sortable


@dataclass(frozen=True)
class RecordAction:
    """A change a record's detail page offers beside edit and delete (cancel a requirement...):
    a page of its own at ``<slug>/<pk>/<path>/``, shown to those ``allowed(user, obj)`` admits."""

    label: str
    path: str  # "cancel" -> URL name "<slug>:cancel"
    view: Callable[..., Any]  # (request, pk) -> response
    allowed: Callable[[Any, Any], bool]


@dataclass(frozen=True)
class Register:
    slug: str  # URL prefix and name prefix: "pledges" -> /pledges/, "pledges:list"
    model: type[models.Model]
    title: str
    columns: tuple[Column, ...]
    visible: Callable[[Any], models.QuerySet[Any]]
    editable: Callable[[Any], models.QuerySet[Any]]
    can_create: Callable[[Any], bool]
    form_class: type[forms.ModelForm[Any]] | None = None
    filterset_class: type[django_filters.FilterSet] | None = None
    search_fields: tuple[str, ...] = ()
    detail_fields: tuple[str, ...] = ()
    save: Callable[..., models.Model] | None = None  # service: (actor, form, expected_version)
    delete: Callable[..., None] | None = None  # service: (actor, instance)
    default_sort: str = ""
    actions: tuple[RecordAction, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def verbose_name(self) -> str:
        return str(self.model._meta.verbose_name)


def resolve(obj: Any, path: str) -> Any:
    """The value at ``path`` on obj, using get_FOO_display for fields with choices."""
    value = obj
    for part in path.split("."):
        if value is None:
            return None
        display = getattr(value, f"get_{part}_display", None)
        value = display() if callable(display) else getattr(value, part)
        if callable(value) and not isinstance(value, models.Manager):
            value = value()
    if isinstance(value, models.Manager):
        return ", ".join(str(v) for v in value.all())
    return value
