"""What the cell accepts: numbers within what both databases store, JSON of a sane depth.

PostgreSQL stores an ``IntegerField`` in 32 bits and a ``SmallIntegerField`` in 16; SQLite takes
64 bits for both. SQLite keeps a decimal that is not a whole number as a REAL: 15 significant
digits survive, and a value that reads back with more digits than the field's ``max_digits``
makes every read of its row fail. So every numeric model field declares its range with
``between(low, high)``, inside :func:`storable` (what both databases keep exactly) and, where the
domain says so, tighter (a pledge of 10**12 missiles is a typing error). The model forms (their
base class calls :func:`bound_form_fields`), the API (DRF's ``ModelSerializer`` derives
``min_value``/``max_value`` from the validators) and imports (``full_clean``) then all refuse a
number out of range with the field's name and the range; ``tests/test_bounds.py`` fails on a
numeric field without such a range.

Sums: an integer column bounded by 2**31 - 1 cannot overflow SQLite's 64-bit ``SUM`` below
2**32 rows. Money is summed as floating point (:func:`float_sum`): a whole-number decimal is an
INTEGER in SQLite, and a million of the largest values would overflow an integer ``SUM``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.core.validators import BaseValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Case, F, FloatField, Q, Sum, Value, When
from django.db.models.functions import Cast

# What both databases store.
SMALLINT = (-(2**15), 2**15 - 1)  # PostgreSQL smallint
INTEGER = (-(2**31), 2**31 - 1)  # PostgreSQL integer
BIGINT = (-(2**63), 2**63 - 1)  # both
REAL_DIGITS = 15  # significant digits a SQLite REAL (an IEEE double) gives back exactly
FLOAT = (-1e300, 1e300)  # finite on both (forms and DRF refuse NaN and infinities themselves)

# What the domain allows (docs/api.md, "Numbers").
QUANTITY_MAX = 10**9  # units of one item in one pledge, requirement, line or count
MONEY_MAX = Decimal("9999999999999.99")  # ten trillion less a cent, in any currency
PEOPLE_MAX = 100_000  # trainees in a cohort, seats in a session or a site's week
STAFF_MAX = 10_000  # instructors
WEEKS_MAX = 104  # a planning horizon; week numbers within one
DAYS_MAX = 36_600  # a hundred years, early or late
PERCENT = (0, 100)
VERSION_MAX = INTEGER[1]  # optimistic-locking versions, one step per save
JSON_DEPTH_MAX = 32  # the deepest any of our JSON inputs is: 4

Number = int | float | Decimal


def between(low: Number, high: Number, message: Any = None) -> list[BaseValidator]:
    """The validators of a field whose values lie in ``low..high`` (both included)."""
    if message is None:
        return [MinValueValidator(low), MaxValueValidator(high)]
    return [MinValueValidator(low, message), MaxValueValidator(high, message)]


def storable(field: models.Field[Any, Any]) -> tuple[Number, Number]:
    """The range both SQLite and PostgreSQL store exactly for ``field``."""
    if isinstance(field, models.DecimalField):
        digits = min(field.max_digits or REAL_DIGITS, REAL_DIGITS)
        places = field.decimal_places or 0
        top = Decimal(10) ** (digits - places) - Decimal(1).scaleb(-places)
        return -top, top
    if isinstance(field, models.FloatField):
        return FLOAT
    if isinstance(field, models.SmallIntegerField | models.PositiveSmallIntegerField):
        low, high = SMALLINT
    elif isinstance(field, models.BigIntegerField | models.PositiveBigIntegerField):
        low, high = BIGINT
    elif isinstance(field, models.IntegerField):
        low, high = INTEGER
    else:
        raise TypeError(f"{field} is not a number field")
    positive = isinstance(
        field,
        models.PositiveIntegerField
        | models.PositiveSmallIntegerField
        | models.PositiveBigIntegerField,
    )
    return (0 if positive else low), high


def given_validators(field: models.Field[Any, Any]) -> list[Callable[[Any], None]]:
    """The validators given to the field (``validators=...``), without those Django adds."""
    # Django keeps them in a private attribute, which django-stubs leave out.
    given: list[Callable[[Any], None]] = field._validators  # type: ignore[attr-defined]  # noqa: SLF001
    return given


def declared(field: models.Field[Any, Any]) -> tuple[Number | None, Number | None]:
    """The range the field's own validators declare (``None`` where one side is missing).

    Only the validators given to the field count: Django adds the connection's integer range to
    ``field.validators``, which on SQLite is 64 bits and so proves nothing about PostgreSQL."""
    low: Number | None = None
    high: Number | None = None
    for validator in given_validators(field):
        if isinstance(validator, MinValueValidator):
            low = validator.limit_value if low is None else max(low, validator.limit_value)
        elif isinstance(validator, MaxValueValidator):
            high = validator.limit_value if high is None else min(high, validator.limit_value)
    return low, high


NUMBER_FIELDS = (models.IntegerField, models.DecimalField, models.FloatField)


def number_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    """The model's own numeric columns (not its keys)."""
    return [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, NUMBER_FIELDS) and not f.primary_key and not f.is_relation
    ]


def bound_form_fields(form: Any) -> None:
    """Give a model form's number fields their model field's declared range: the form refuses a
    number outside it with one message, and the browser is told (``min``/``max``)."""
    from django import forms

    opts = form._meta.model._meta
    for name, form_field in form.fields.items():
        if not isinstance(form_field, forms.IntegerField):  # Decimal and Float fields too
            continue
        try:
            model_field = opts.get_field(name)
        except FieldDoesNotExist:
            continue
        if not isinstance(model_field, NUMBER_FIELDS) or model_field.is_relation:
            continue
        ranges = (MinValueValidator, MaxValueValidator)
        form_field.validators = [
            *(v for v in form_field.validators if not isinstance(v, ranges)),
            *(v for v in given_validators(model_field) if isinstance(v, ranges)),
        ]
        # django-stubs type these as int on IntegerField, the base of Float- and DecimalField too.
        form_field.min_value, form_field.max_value = declared(model_field)  # type: ignore[assignment]
        form_field.widget.attrs.update(form_field.widget_attrs(form_field.widget))


def float_sum(expression: Any) -> Sum:
    """``SUM`` as floating point on both databases: never an integer overflow, whatever the
    values (money, whose whole-number values SQLite stores as INTEGER)."""
    if isinstance(expression, str):
        expression = F(expression)
    return Sum(Cast(expression, FloatField()), output_field=FloatField())


def clamp_to_bounds(app_label: str) -> Any:
    """A ``RunPython`` operation's function: rows of the app's models whose numbers lie outside
    their fields' declared range get the nearest bound (one UPDATE per model, so that a
    constraint between two columns, like a pledge's allocated <= quantity, holds after it).

    Such rows were written before the bounds existed; on SQLite some cannot even be read (a
    decimal with more digits than the field holds), and a few of them overflow every sum."""

    def clamp(apps: Any, schema_editor: Any) -> None:
        alias = schema_editor.connection.alias
        for model in apps.get_app_config(app_label).get_models():
            outside = Q()
            updates: dict[str, Any] = {}
            for field in number_fields(model):
                low, high = declared(field)
                if low is None or high is None:
                    continue
                lo = Value(low, output_field=field.clone())
                hi = Value(high, output_field=field.clone())
                outside |= Q(**{f"{field.name}__lt": low}) | Q(**{f"{field.name}__gt": high})
                updates[field.name] = Case(
                    When(**{f"{field.name}__lt": low}, then=lo),
                    When(**{f"{field.name}__gt": high}, then=hi),
                    default=F(field.name),
                )
            if updates:
                model._base_manager.using(alias).filter(outside).update(**updates)

    return clamp


class TooDeep(ValueError):
    """JSON nested deeper than any input of ours is."""


def json_loads(text: str | bytes, *, max_depth: int = JSON_DEPTH_MAX) -> Any:
    """``json.loads`` for what a user sends: a ``ValueError`` (never a ``RecursionError``) for
    JSON nested more than ``max_depth`` deep, and no NaN or Infinity."""
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise TooDeep(f"The JSON is nested more than {max_depth} levels deep.") from None
    check_depth(value, max_depth)
    return value


def check_depth(value: Any, max_depth: int = JSON_DEPTH_MAX) -> None:
    """Raise :class:`TooDeep` when ``value`` (parsed JSON) nests more than ``max_depth`` deep."""
    level: Iterable[Any] = [value]
    for _depth in range(max_depth):
        below: list[Any] = []
        for item in level:
            if isinstance(item, dict):
                below.extend(item.values())
            elif isinstance(item, list):
                below.extend(item)
        if not below:
            return
        level = below
    raise TooDeep(f"The JSON is nested more than {max_depth} levels deep.")


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number JSON allows.")


def whole_number(value: Any, low: int, high: int) -> int | None:
    """``value`` if it is an ``int`` (a JSON whole number, not a bool) within ``low..high``."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if low <= value <= high else None
