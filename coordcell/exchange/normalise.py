"""Reading values as a person would: case and spacing do not matter, "." or "-" mean missing,
dates come in the common European, ISO and Excel forms. Each parser returns the value or raises
``Invalid`` with a message saying what is allowed."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

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


def parse_date(value: Any) -> dt.date:
    """ISO 2027-12-31, 31/12/2027, 31.12.2027, 31-12-2027, 31 Dec 2027, Excel date cells.

    Day before month, as the coalition writes it; 12/31/2027 is read as 31 December because
    no month 31 exists, but 01/02/2027 is 1 February.
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 20000 <= value <= 80000:  # an Excel serial date in a cell without a date format
            return _EXCEL_EPOCH + dt.timedelta(days=int(value))
        raise Invalid(f"{value} is not a date.", "date")
    raw = str(value).strip()
    if m := re.fullmatch(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T ][\d:.]+Z?)?", raw):
        return _date(int(m[1]), int(m[2]), int(m[3]), value)
    if m := re.fullmatch(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})", raw):
        day, month, year = int(m[1]), int(m[2]), int(m[3])
        if month > 12 >= day:
            day, month = month, day
        return _date(year, month, day, value)
    if m := re.fullmatch(r"(\d{1,2})[ .\-/]*([A-Za-z]+)\.?[ .\-/,]*(\d{4})", raw):
        named = _MONTHS.get(m[2].casefold())
        if named:
            return _date(int(m[3]), named, int(m[1]), value)
    if m := re.fullmatch(r"([A-Za-z]+)\.? (\d{1,2}),? (\d{4})", raw):
        named = _MONTHS.get(m[1].casefold())
        if named:
            return _date(int(m[3]), named, int(m[2]), value)
    raise Invalid(f"{raw!r} is not a date: write 2027-12-31, 31/12/2027 or 31.12.2027.", "date")


def parse_choice(value: Any, choices: Iterable[tuple[Any, Any]]) -> Any:
    """A choice by its stored value or its label, in any case."""
    wanted = key(value)
    options = list(choices)
    for stored, label in options:
        if wanted in (key(stored), key(label)):
            return stored
    allowed = ", ".join(str(stored) for stored, _ in options)
    raise Invalid(f"{text(value)!r} is not one of: {allowed}.", "choice")
