"""Reading values as a person would: case and spacing do not matter, "." or "-" mean missing,
dates come in the common European, ISO and Excel forms. Each parser returns the value or raises
``Invalid`` with a message saying what is allowed."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from coordcell.escaping import spreadsheet_unquote

MISSING = {"", ".", "-", "–", "—", "n/a", "na", "none", "null", "?"}
_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
_EXCEL_EPOCH = dt.date(1899, 12, 30)


class Invalid(ValueError):
    """A value that cannot be read; ``rule`` names the rule it breaks."""

    def __init__(self, message: str, rule: str = "format") -> None:
        super().__init__(message)
        self.rule = rule


def key(value: Any) -> str:
    """The form in which names and codes are compared: case, spaces, '_' and '-' do not count,
    nor coordcell's own quote against formulas (a code "-x" is "'-x" in its CSV exports)."""
    return _key(str(value))


_SEPARATORS = re.compile(r"[\s_\-]+")


# The same few names and codes (donors, categories, depots) fill most rows of a file.
@functools.lru_cache(maxsize=65536)
def _key(text: str) -> str:
    return _SEPARATORS.sub(" ", spreadsheet_unquote(text)).strip().casefold()


def is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip().casefold() in MISSING)


def text(value: Any) -> str:
    """A text cell as one line of single spaces; coordcell's own quote against formulas
    (``'=1+1`` in its CSV exports) taken off again, so an export reads back unchanged."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(spreadsheet_unquote(str(value)).split())


def parse_int(value: Any) -> int:
    if isinstance(value, bool):
        raise Invalid("Give a whole number.")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise Invalid(f"{value} is not a whole number.")
    raw = re.sub(r"[\s\u00a0'_]", "", str(value))
    if re.fullmatch(r"\d{1,3}([,.]\d{3})+", raw):
        raw = re.sub(r"[,.]", "", raw)
    elif re.fullmatch(r"-?\d+\.0+", raw):
        raw = raw.split(".")[0]
    if not re.fullmatch(r"-?\d+", raw):
        raise Invalid(f"{text(value)!r} is not a whole number.")
    if len(raw.lstrip("-")) > 18:  # beyond any bound, and int() refuses 4,300 digits and more
        raise Invalid(f"{text(value)[:30]!r} is far too large a number.")
    return int(raw)


def parse_decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise Invalid("Give a number.")
    if isinstance(value, int | float | Decimal):
        return Decimal(str(value))
    raw = re.sub(r"[\s\u00a0'_]", "", str(value))
    if "," in raw and "." in raw:  # 1,234.50 or 1.234,50: the last one is the decimal mark
        raw = raw.replace(",", "") if raw.rfind(".") > raw.rfind(",") else raw.replace(".", "")
        raw = raw.replace(",", ".")
    elif raw.count(",") == 1 and not re.fullmatch(r"-?\d{1,3},\d{3}", raw):
        raw = raw.replace(",", ".")
    else:
        raw = raw.replace(",", "")
    try:
        return Decimal(raw)
    except InvalidOperation as exc:
        raise Invalid(f"{text(value)!r} is not a number.") from exc


def parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raw = key(value)
    if raw in {"yes", "y", "true", "1", "x", "✓", "✔", "ja", "oui", "tak", "так"}:
        return True
    if raw in {"no", "n", "false", "0", "nein", "non", "nie", "ні"}:
        return False
    raise Invalid(f"{text(value)!r} is not yes or no.")


def _date(year: int, month: int, day: int, original: Any) -> dt.date:
    if year < 100:
        year += 2000
    try:
        return dt.date(year, month, day)
    except ValueError as exc:
        raise Invalid(f"{text(original)!r} is not a date that exists ({exc}).", "date") from exc


DAY_FIRST, MONTH_FIRST = "dmy", "mdy"

# Words before a date that make it a bound or an estimate: the date is read, flagged approximate.
_APPROXIMATE = re.compile(
    r"^(?:until|till|til|by|as of|before|not before|not later than|no later than|after|from|"
    r"approximately|approx\.?|about|around|circa|ca\.?|c\.|estimated|est\.?|expected|"
    r"~|≈|<=|>=|<|>)\s*",
    re.IGNORECASE,
)
_DAY_MONTH = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})")
_DATE_HINT = gettext_lazy(
    "write 2027-12-31, 31/12/2027 (day first) or 12/31/2027 (month first), or give the "
    "column's format under 'dates:' in the mapping (e.g. m/d/yyyy or d.m.yyyy)"
)


@dataclass(frozen=True)
class DateRead:
    """A date as read from a cell: ``approximate`` when a word such as "until" or "~" came
    before it; ``ambiguous`` when it could be day/month or month/day and was read by ``order``
    (or day first, when no order was given)."""

    date: dt.date
    approximate: bool = False
    ambiguous: bool = False
    text: str = ""


def strip_approximate(raw: str) -> tuple[str, bool]:
    """The date without a leading "until", "by", "as of", "~" ...; and whether one was there."""
    stripped, count = _APPROXIMATE.subn("", raw.strip(), count=1)
    return stripped.strip(" ,:"), bool(count) and stripped != raw.strip()


def date_order_evidence(value: Any) -> str | None:
    """What a text date says about its column's order: ``DAY_FIRST`` when its first part is above
    12, ``MONTH_FIRST`` when its second is, "" when it reads either way, None when it is not a
    numeric day/month date at all."""
    if not isinstance(value, str):
        return None
    m = _DAY_MONTH.fullmatch(strip_approximate(value)[0])
    if not m:
        return None
    first, second = int(m[1]), int(m[2])
    if first > 12 >= second:
        return DAY_FIRST
    if second > 12 >= first:
        return MONTH_FIRST
    return ""


_TOKENS = [
    ("yyyy", "%Y"),
    ("yy", "%y"),
    ("mmmm", "%B"),
    ("mmm", "%b"),
    ("mm", "%m"),
    ("m", "%m"),
    ("dd", "%d"),
    ("d", "%d"),
]


def date_format(fmt: str) -> str:
    """A column's date format as ``strptime`` takes it: "%m/%d/%Y" as it is, or spreadsheet-style
    "m/d/yyyy", "dd.mm.yy", "d mmm yyyy". Raises ``Invalid`` for one that names no day, month
    and year."""
    fmt = fmt.strip()
    if "%" not in fmt:
        out, rest = "", fmt.casefold()
        while rest:
            for token, code in _TOKENS:
                if rest.startswith(token):
                    out, rest = out + code, rest[len(token) :]
                    break
            else:
                out, rest = out + rest[0], rest[1:]
        fmt = out
    codes = set(re.findall(r"%([A-Za-z])", fmt))
    if not ({"d"} <= codes and codes & {"m", "b", "B"} and codes & {"Y", "y"}):
        raise Invalid(
            _(
                "%(format)r is not a date format: write it as m/d/yyyy, d.m.yyyy, yyyy-mm-dd or "
                "%%m/%%d/%%Y (a day, a month and a year)."
            )
            % {"format": fmt},
            "format",
        )
    return fmt


def read_date(value: Any, *, fmt: str = "", order: str = "") -> DateRead:
    """A date from a cell: ISO 2027-12-31, 31/12/2027, 31.12.2027, 31-12-2027, 31 Dec 2027,
    Dec 31, 2027, Excel date cells and serial numbers; "until 7/27/2022" is read as 2022-07-27,
    approximate.

    ``fmt`` (``date_format``) is the column's own format: then only it (or ISO) is read.
    ``order`` (``DAY_FIRST``/``MONTH_FIRST``) reads a day/month date that could be either way;
    without it such a date is read day first and marked ``ambiguous``. A date whose first part
    is above 12 is day first, whose second is, month first, whatever the order.
    """
    if isinstance(value, dt.datetime):
        return DateRead(value.date())
    if isinstance(value, dt.date):
        return DateRead(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 20000 <= value <= 80000:  # an Excel serial date in a cell without a date format
            return DateRead(_EXCEL_EPOCH + dt.timedelta(days=int(value)))
        raise Invalid(f"{value} is not a date.", "date")
    original = " ".join(str(value).split())
    raw, approximate = strip_approximate(original)
    if m := re.fullmatch(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T ][\d:.]+Z?)?", raw):
        return DateRead(_date(int(m[1]), int(m[2]), int(m[3]), value), approximate, text=original)
    if fmt:
        try:
            parsed = dt.datetime.strptime(raw, fmt).date()  # noqa: DTZ007  # a date, no time
        except ValueError as exc:
            shown = fmt.replace("%Y", "yyyy").replace("%y", "yy").replace("%m", "m")
            shown = shown.replace("%d", "d").replace("%b", "mmm").replace("%B", "mmmm")
            raise Invalid(
                _(
                    "%(value)r is not a date in this column's format %(format)s (the mapping's "
                    "'dates:'); write it so, or as 2027-12-31."
                )
                % {"value": original, "format": shown},
                "date",
            ) from exc
        return DateRead(parsed, approximate, text=original)
    if m := _DAY_MONTH.fullmatch(raw):
        first, second, year = int(m[1]), int(m[2]), int(m[3])
        ambiguous = first <= 12 and second <= 12 and first != second
        month_first = second > 12 >= first or (ambiguous and order == MONTH_FIRST)
        day, month = (second, first) if month_first else (first, second)
        return DateRead(
            _date(year, month, day, value),
            approximate,
            ambiguous=ambiguous and not order,
            text=original,
        )
    if m := re.fullmatch(r"(\d{1,2})[ .\-/]*([A-Za-z]+)\.?[ .\-/,]*(\d{4})", raw):
        named = _MONTHS.get(m[2].casefold())
        if named:
            return DateRead(_date(int(m[3]), named, int(m[1]), value), approximate, text=original)
    if m := re.fullmatch(r"([A-Za-z]+)\.? (\d{1,2}),? (\d{4})", raw):
        named = _MONTHS.get(m[1].casefold())
        if named:
            return DateRead(_date(int(m[3]), named, int(m[2]), value), approximate, text=original)
    raise Invalid(
        _("%(value)r is not a date: %(hint)s.") % {"value": original, "hint": _DATE_HINT}, "date"
    )


def parse_date(value: Any) -> dt.date:
    """A date as ``read_date`` reads it without a column format: a date that reads either way is
    read day first, as the coalition writes it (01/02/2027 is 1 February); 12/31/2027 is 31
    December because no month 31 exists. An import reads a column with ``read_date`` instead,
    knowing the column's format or order (``layout``)."""
    return read_date(value).date


def parse_choice(value: Any, choices: Iterable[tuple[Any, Any]]) -> Any:
    """A choice by its stored value or its label, in any case."""
    wanted = key(value)
    options = list(choices)
    for stored, label in options:
        if wanted in (key(stored), key(label)):
            return stored
    allowed = ", ".join(str(stored) for stored, _ in options)
    raise Invalid(f"{text(value)!r} is not one of: {allowed}.", "choice")
