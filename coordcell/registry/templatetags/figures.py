"""Numbers, quantities and dates as a reader expects them in the page's language.

Built into every template (``TEMPLATES[...]["OPTIONS"]["builtins"]``):

- ``{{ n|number }}``: 204,954 (English) or 204 954 (Ukrainian); ``None`` prints as an em dash.
- ``{{ n|qty:unit }}``: the number with its unit of measure (an ``ItemCategory.Unit`` value),
  "204,954 litre"; ``None`` is an undisclosed quantity.
- ``{{ d|day }}``: a date in the language's one date format; ``{{ t|moment }}``: a timestamp to
  the minute (never microseconds).

Numbers are not localised globally (``USE_THOUSAND_SEPARATOR`` stays off) because ids and
quantities also go into URLs, form values and htmx attributes, where a separator would break them.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django import template
from django.utils import formats, timezone
from django.utils.translation import gettext as _

register = template.Library()

DASH = "\u2014"


@register.filter
def number(value: object, decimals: int | None = None) -> str:
    if value is None or value == "":
        return DASH
    if not isinstance(value, (int, float, Decimal)):
        return str(value)
    if decimals is None and isinstance(value, float) and not value.is_integer():
        decimals = 1
    return formats.number_format(value, decimals, use_l10n=True, force_grouping=True)


@register.filter
def qty(value: object, unit: object = "") -> str:
    if value is None:
        return _("undisclosed")
    if isinstance(value, str):  # already words ("undisclosed"): no unit after them
        return value
    from coordcell.registry.models import ItemCategory

    label = ItemCategory.Unit(unit).label if unit in ItemCategory.Unit.values else str(unit or "")
    shown = number(value)
    return f"{shown}\xa0{label}" if label else shown


@register.filter
def day(value: object, empty: object = None) -> str:
    """``{{ d|day }}``; ``{{ d|day:_("no date") }}`` says what a missing date means."""
    if value in (None, ""):
        return DASH if empty is None else str(empty)
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        value = value.date()
    if not isinstance(value, dt.date):
        return str(value)
    return formats.date_format(value, "DATE_FORMAT", use_l10n=True)


@register.filter
def moment(value: object, empty: object = None) -> str:
    if value in (None, ""):
        return DASH if empty is None else str(empty)
    if not isinstance(value, dt.datetime):
        return day(value)
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return formats.date_format(value.replace(microsecond=0), "DATETIME_FORMAT", use_l10n=True)


_ISO_DAY = re.compile(r"\b(\d{4})-(\d\d)-(\d\d)\b")


@register.filter
def dates(text: object) -> str:
    """A text written with ISO dates (readiness explanations, "week 2027-03-01 – 2027-03-07")
    with each date in the language's one format instead; the rest of the text unchanged."""
    if text in (None, ""):
        return ""

    def one(match: re.Match[str]) -> str:
        try:
            return day(dt.date(int(match[1]), int(match[2]), int(match[3])))
        except ValueError:
            return match[0]

    return _ISO_DAY.sub(one, str(text))
