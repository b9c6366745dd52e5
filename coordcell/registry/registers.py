"""One description per register drives its list, detail, create, edit and delete pages.

Each register names the single access function for its objects (``visible``/``editable``), so a
page can never show or change what that function does not allow.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

import django_filters
from django.db import models

if TYPE_CHECKING:
    from .forms import UserAwareModelForm

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
    form_class: type[UserAwareModelForm] | None = None
    filterset_class: type[django_filters.FilterSet] | None = None
    search_fields: tuple[str, ...] = ()
    detail_fields: tuple[str, ...] = ()
    save: Callable[..., models.Model] | None = None  # service: (actor, form, expected_version)
    delete: Callable[..., None] | None = None  # service: (actor, instance)
    default_sort: str = ""
    actions: tuple[RecordAction, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)
    # More on the detail page, from the apps above this record's (a requirement's ledger):
    # (user, record) -> context with its "template", or None when that user sees nothing of it.
    panels: tuple[Callable[[Any, Any], dict[str, Any] | None], ...] = ()
    # The record's ledger of quantities in the API, for a page of records: (user, ids) -> by id.
    ledger: Callable[[Any, list[int]], dict[int, dict[str, Any]]] | None = None
    ledger_fields: Callable[[Any], list[str]] | None = None  # user -> the figures it reads

    def ledger_keys(self, user: Any) -> list[str]:
        return self.ledger_fields(user) if self.ledger_fields is not None else []

    # A quantity's unit of measure: quantity path -> the path of its unit ("category.unit"), so
    # that lists and detail pages print "204,954 litre", never a bare number.
    units: dict[str, str] = field(default_factory=dict)

    # The fields a user may not read (e.g. a pledge's value for the recipient): the one function
    # of the record's app that decides field visibility per role (``pledges_fields_hidden_from``).
    hidden: Callable[[Any], frozenset[str]] | None = None
    # Pages for several records at once linked from the list (confirm the offered pledges):
    # (label, URL name, allowed(user)).
    list_links: tuple[tuple[Any, str, Callable[[Any], bool]], ...] = ()

    @property
    def verbose_name(self) -> str:
        return str(self.model._meta.verbose_name)

    def hidden_for(self, user: Any) -> frozenset[str]:
        return self.hidden(user) if self.hidden is not None else frozenset()

    def for_user(self, user: Any) -> Register:
        """This register as ``user`` may read it: without the hidden fields in its columns,
        detail fields (so exports), search fields and filters, so that a hidden field is neither
        shown nor found out by searching, filtering or sorting on it. Pages, exports and the API
        all start from here."""
        hidden = self.hidden_for(user)
        if not hidden:
            return self

        def shown(path: str) -> bool:
            return path.split(".")[0].split("__")[0] not in hidden

        return dataclasses.replace(
            self,
            columns=tuple(c for c in self.columns if shown(c.path) and shown(c.sort or c.path)),
            detail_fields=tuple(f for f in self.detail_fields if shown(f)),
            search_fields=tuple(f for f in self.search_fields if shown(f)),
            filterset_class=(
                _without_filters(self.filterset_class, hidden) if self.filterset_class else None
            ),
        )


@cache
def _without_filters(
    filterset_class: type[django_filters.FilterSet], hidden: frozenset[str]
) -> type[django_filters.FilterSet]:
    """The filter set without the filters on hidden fields (their parameters are ignored)."""
    names = {
        name
        for name, f in filterset_class.base_filters.items()
        if name in hidden or str(f.field_name).split("__")[0] in hidden
    }
    trimmed: type[django_filters.FilterSet] = type(filterset_class.__name__, (filterset_class,), {})
    # After the class is made: the metaclass sets base_filters from the declarations.
    trimmed.base_filters = OrderedDict(
        (k, v) for k, v in filterset_class.base_filters.items() if k not in names
    )
    return trimmed


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


def shown(obj: Any, path: str, units: dict[str, str]) -> Any:
    """The value at ``path`` as a page prints it in the current language: a quantity with its
    unit, a whole number or amount with the language's separators, a date in its one format,
    a moment to the minute (``registry/templatetags/figures.py``); anything else as it is."""
    import datetime as dt
    from decimal import Decimal

    from .templatetags.figures import day, moment, number, qty

    value = resolve(obj, path)
    if path in units:
        return qty(value, resolve(obj, units[path]))
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | Decimal):
        return number(value)
    if isinstance(value, dt.datetime):
        return moment(value)
    if isinstance(value, dt.date):
        return day(value)
    return value


class BadFilter(ValueError):
    """A filter value the register cannot read; the message says which and why."""


def filter_errors(filterset: Any) -> list[str]:
    """What is wrong with a list's filter values, in words: "Status: 'nonsense' is not one of
    the choices." (empty when all are readable). Takes a filter set or a plain form of filters
    (the lists that are not registers: audit trail, inbox, discrepancies...)."""
    if filterset is None or filterset.is_valid():
        return []
    out = []
    form = getattr(filterset, "form", filterset)
    for name, errors in filterset.errors.items():
        field = form.fields.get(name)
        label = str(field.label) if field is not None and field.label else name
        value = filterset.data.get(name, "")
        for error in errors:
            out.append(f"{label} ({value!s:.40}): {error}" if field is not None else str(error))
    return out


def page_or_error(paginator: Any, raw: Any) -> tuple[Any, str]:
    """The page a list's ``?page=`` asks for, or (an empty page, why) when it names none:
    never another page shown as if it were the one asked for."""
    from django.core.paginator import EmptyPage, Page, PageNotAnInteger
    from django.utils.translation import gettext as _

    if raw in (None, ""):
        return paginator.page(1), ""
    try:
        return paginator.page(raw), ""
    except PageNotAnInteger:
        error = _("“%(page)s” is not a page number.") % {"page": str(raw)[:20]}
    except EmptyPage:
        error = _("There is no page %(page)s: the list has %(pages)s.") % {
            "page": str(raw)[:20],
            "pages": paginator.num_pages,
        }
    return Page([], 1, paginator), error


def filter_rows(register: Register, request: Any) -> tuple[models.QuerySet[Any], Any, str, str]:
    """A register's rows as its list page shows them to ``request.user`` for ``request.GET``
    (its search, filters and sort): the list page and the exports both start here.
    Returns (rows, filterset, search text, sort)."""
    register = register.for_user(request.user)  # no search, filter or sort on hidden fields
    qs = register.visible(request.user)
    query = request.GET.get("q", "").strip()
    if query and register.search_fields:
        condition = models.Q()
        for name in register.search_fields:
            condition |= models.Q(**{f"{name}__icontains": query})
        qs = qs.filter(condition)
    filterset = None
    if register.filterset_class is not None:
        filterset = register.filterset_class(request.GET, queryset=qs, request=request)
        # django-filter leaves out a value it cannot read and filters by the others: the page
        # would show everything as if filtered. A bad value shows nothing, and says why.
        qs = filterset.qs if filterset.is_valid() else qs.none()
    sortable = {c.sort for c in register.columns if c.sort}
    sort = request.GET.get("sort", register.default_sort)
    if sort.lstrip("-") in sortable:
        qs = qs.order_by(sort, "pk")
    else:
        if sort_error(register, request):
            qs = qs.none()  # as for a bad filter: nothing shown as if sorted
        sort = ""
    return qs, filterset, query, sort


def sort_error(register: Register, request: Any) -> str:
    """Why a register cannot sort as ``?sort=`` asks ("" when it can, or none is asked):
    a column it does not sort by (or one the user may not read) is not silently ignored."""
    from django.utils.translation import gettext as _

    raw = str(request.GET.get("sort", ""))
    sortable = {c.sort for c in register.for_user(request.user).columns if c.sort}
    if not raw or raw.lstrip("-") in sortable:
        return ""
    return _("Sort (%(sort)s): the list does not sort by this.") % {"sort": raw[:40]}


def register_list_errors(register: Register, request: Any, filterset: Any) -> list[str]:
    """Every reason a register's list cannot show what ``request`` asks (filters, sort)."""
    error = sort_error(register, request)
    return filter_errors(filterset) + ([error] if error else [])
