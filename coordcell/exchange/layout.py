"""How a mapping reads one sheet: which column each field comes from (by header, by letter, or
the n-th of several columns with the same header), the rows the filter leaves out, the natural
key made of several columns or of a column and the row's place, constants and defaults, value
translations and each date column's format or order.

``Layout`` is what ``staging.Importer`` asks for a row's raw values; everything here reads, none
of it writes. Messages name the sheet's columns as the user sees them (header and letter).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext as _
from openpyxl.utils import column_index_from_string, get_column_letter

from . import normalise as n
from .mapping import Mapping, date_order, key_field
from .readers import Table
from .report import ImportReport, RowWarning
from .specs import FieldSpec, ImportSpec, Lookups, parse_value

_LETTER = re.compile(r"\(?\s*col(?:umn)?\.?\s+([A-Za-z]{1,3})\s*\)?", re.IGNORECASE)
_NTH = re.compile(r"(.*?)\s*#\s*(\d+)")
MIXED = "mixed"
# A column a rejects file carries with the key made for each row (an id and its place among the
# rows with that id cannot be made again from the rejected rows alone): when a sheet has it, a
# filled cell is the row's key.
KEY_COLUMN = "coordcell key"
_KEYS_KEPT = 20_000  # made keys kept for the rows being checked (a chunk is 2,000)
_NUMBERS = {2: "Two", 3: "Three", 4: "Four"}


class ColumnError(ValueError):
    """A mapping names a column the sheet does not have, or one header of several."""


def letter(index: int) -> str:
    return get_column_letter(index + 1)


def duplicate_headers(headers: list[str]) -> dict[str, list[int]]:
    """Each header that heads more than one column, with the columns (0-based)."""
    found: dict[str, list[int]] = {}
    for index, header in enumerate(headers):
        found.setdefault(n.key(header), []).append(index)
    return {headers[i[0]]: i for i in found.values() if len(i) > 1}


def duplicate_message(header: str, indexes: list[int]) -> str:
    letters = [letter(i) for i in indexes]
    return _(
        "%(count)s columns are headed %(header)r: %(letters)s; choose one: %(refs)s (or %(nth)s)."
    ) % {
        "count": _NUMBERS.get(len(indexes), str(len(indexes))),
        "header": header,
        "letters": ", ".join(letters[:-1]) + " and " + letters[-1],
        "refs": " or ".join(f"'column {x}'" for x in letters),
        "nth": ", ".join(f"'{header}#{k}'" for k in range(1, len(indexes) + 1)),
    }


def resolve(ref: str, headers: list[str]) -> int:
    """The column (0-based) a mapping's ``ref`` names: a header (its case and spacing do not
    count), "Quantity#2" (the second column headed Quantity), or "column K" / "(column K)"."""
    wanted = n.key(ref)
    matches = [i for i, h in enumerate(headers) if n.key(h) == wanted]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise ColumnError(duplicate_message(headers[matches[0]], matches))
    if m := _NTH.fullmatch(ref.strip()):
        same = [i for i, h in enumerate(headers) if n.key(h) == n.key(m[1])]
        if same and 1 <= int(m[2]) <= len(same):
            return same[int(m[2]) - 1]
    if m := _LETTER.fullmatch(ref.strip()):
        index = column_index_from_string(m[1].upper()) - 1
        if index < 16384:
            return index
    raise ColumnError(_("the sheet has no column %(ref)r") % {"ref": ref})


def column_choices(headers: list[str]) -> list[tuple[str, str]]:
    """(what a mapping calls each column, what a person reads): a header heading two columns
    is named by its letter ("column K"), so that choosing one is choosing exactly one."""
    twice = {n.key(h) for h in duplicate_headers(headers)}
    return [
        (f"column {letter(i)}", f"{h} (column {letter(i)})") if n.key(h) in twice else (h, h)
        for i, h in enumerate(headers)
    ]


def sheets_hint(table: Table) -> str:
    if len(table.sheets) < 2:
        return ""
    return " " + _(
        "The workbook's sheets are %(sheets)s; this is %(sheet)r. Choose the sheet with --sheet "
        "NAME on the command line, 'sheet:' in the mapping file, or the sheet list on the "
        "import page."
    ) % {"sheets": ", ".join(repr(s) for s in table.sheets), "sheet": table.sheet}


def sheet_score(mapping: Mapping | None, spec: ImportSpec) -> Any:
    """How well a sheet's headers fit: the mapping's columns found there by header (a letter
    fits any sheet, so it does not count), or else the fields a header is proposed for."""
    from .mapping import propose

    def score(headers: list[str]) -> float:
        refs = [r for r in (mapping.column_refs() if mapping else []) if not _LETTER.fullmatch(r)]
        if refs:
            keys = {n.key(h) for h in headers}
            return sum(1 for r in refs if n.key(_NTH.sub(r"\1", r)) in keys)
        return len(propose(headers, spec).columns)

    return score


class Layout:
    """A mapping bound to one sheet's header row; raises ``ValueError`` with what to do when
    they do not fit."""

    def __init__(
        self,
        spec: ImportSpec,
        table: Table,
        mapping: Mapping,
        fixed: dict[str, Any],
        report: ImportReport,
    ) -> None:
        self.spec, self.table, self.mapping, self.report = spec, table, mapping, report
        problems: list[str] = []

        def find(ref: str, what: str) -> int | None:
            try:
                return resolve(ref, table.headers)
            except ColumnError as exc:
                problems.append(
                    _("The mapping takes %(what)s from column %(ref)r, but %(why)s.")
                    % {"what": what, "ref": ref, "why": exc}
                )
                return None

        self.columns: dict[str, int] = {}
        for name, ref in mapping.columns.items():
            index = find(ref, name)
            if index is not None:
                self.columns[name] = index
        self.key = mapping.key
        self.key_field = key_field(spec) if self.key is not None else None
        self.key_indexes = [
            i
            for ref in (self.key.columns if self.key else [])
            if (i := find(ref, "the key")) is not None
        ]
        self.filters = [(f, find(f.column, _("the filter"))) for f in mapping.filters]
        if problems:
            raise ValueError(
                " ".join(problems)
                + " "
                + _("Its columns are: %(columns)s.") % {"columns": ", ".join(table.headers)}
                + sheets_hint(table)
            )
        used = {*self.columns.values(), *self.key_indexes, *(i for _f, i in self.filters)}
        # A column right of the last header ("column M" with no header) is read all the same.
        while used and max(i for i in used if i is not None) >= len(table.headers):
            table.headers.append(f"(column {letter(len(table.headers))})")
        report.ignored_columns = [h for i, h in enumerate(table.headers) if i not in used]
        given = {*self.columns, *mapping.constants, *mapping.defaults, *fixed}
        if self.key_field:
            given.add(self.key_field)
        absent = [f.label for f in spec.fields if f.required and f.name not in given]
        if absent:
            raise ValueError(
                _("No column gives %(fields)s: map a column to each (the sheet's columns are: ")
                % {"fields": ", ".join(absent)}
                + ", ".join(table.headers)
                + ")."
                + sheets_hint(table)
            )
        for header, indexes in duplicate_headers(table.headers).items():
            if set(indexes) & used:
                report.notes.append(duplicate_message(header, indexes))
        self._dates: dict[tuple[Any, ...], n.DateRead] = {}
        self.orders: dict[str, str] = {}  # a date column's order: given, or found in its values
        self.formats: dict[str, str] = {}
        for name, fmt in mapping.dates.items():
            order = date_order(fmt)
            if order:
                self.orders[name] = order
            else:
                self.formats[name] = n.date_format(fmt)
        self._keys: dict[int, str | None] = {}
        self._given_key = next(
            (i for i, h in enumerate(table.headers) if n.key(h) == n.key(KEY_COLUMN)), None
        )
        self._occurrences: Counter[str] = Counter()
        self._twice = {n.key(h) for h in duplicate_headers(table.headers)}

    # -- the sheet's rows -----------------------------------------------------------------
    def header(self, name: str) -> str | None:
        """The column a field is read from, as the user sees it; None when it has none."""
        if name == self.key_field and self.key is not None:
            return " + ".join(self.label(i) for i in self.key_indexes) or _("(generated key)")
        index = self.columns.get(name)
        return None if index is None else self.label(index)

    def label(self, index: int) -> str:
        header = self.table.headers[index]
        if n.key(header) in self._twice:
            return f"{header} (column {letter(index)})"
        return header

    def rows(self) -> Iterator[tuple[int, tuple[Any, ...]]]:
        """The sheet's rows that the filter keeps; those it leaves out are counted in the report
        (``left_out``). A key's occurrence counts every row of the sheet, left out or not, so
        that changing the filter never renames a record."""
        for number, values in self.table.rows():
            if self.key is not None:
                self._keys[number] = self._make_key(values)
                if len(self._keys) > _KEYS_KEPT:
                    del self._keys[next(iter(self._keys))]
            if self.keeps(values):
                yield number, values
            else:
                self.report.left_out += 1
                self._keys.pop(number, None)

    def made_key(self, number: int) -> str:
        """The key made for a row being checked ("" without a ``key:``): a rejects file keeps it
        in its KEY_COLUMN, so that the corrected rows come back under the same keys."""
        return self._keys.get(number) or ""

    def keeps(self, values: tuple[Any, ...]) -> bool:
        return all(
            f.keeps(values[i] if i is not None and i < len(values) else None)
            for f, i in self.filters
        )

    def _make_key(self, values: tuple[Any, ...]) -> str | None:
        assert self.key is not None
        given = self._given_key
        if given is not None and given < len(values) and not n.is_missing(values[given]):
            return n.text(values[given])
        parts = [values[i] if i < len(values) else None for i in self.key_indexes]
        if self.key.generated:
            cells = parts if self.key_indexes else list(values[: len(self.table.headers)])
            text = "\x1f".join("" if c is None else n.text(c) for c in cells)
            base = "g" + hashlib.sha256(text.encode()).hexdigest()[:10]
        elif any(n.is_missing(p) for p in parts):
            return None
        else:
            base = (self.key.separator or "|").join(n.text(p) for p in parts)
        if self.key.occurrence or self.key.generated:
            self._occurrences[base] += 1
            base = f"{base}/{self._occurrences[base]}"
        return base

    def raw(self, name: str, number: int, values: tuple[Any, ...]) -> tuple[Any, Any]:
        """(the cell as the sheet has it, the value to read): the key made for the row, a
        constant, or the cell translated by ``values:`` and, when empty, the default."""
        if name == self.key_field:
            made = self._keys.get(number)
            return made, made
        if name in self.mapping.constants:
            constant = self.mapping.constants[name]
            return constant, self.mapping.translate(name, constant)
        index = self.columns.get(name)
        cell = values[index] if index is not None and index < len(values) else None
        # Most fields have no translation and no default: nothing to do for them, row by row.
        value = self.mapping.translate(name, cell) if name in self.mapping.values else cell
        if name in self.mapping.defaults and n.is_missing(value):
            value = self.mapping.translate(name, self.mapping.defaults[name])
        return cell, value

    # -- values ---------------------------------------------------------------------------
    def parse(self, spec_field: FieldSpec, value: Any, lookups: Lookups, number: int) -> Any:
        if spec_field.kind == "date":
            return self._date(spec_field, value, number)
        return parse_value(spec_field, value, lookups)

    def _read_date(self, value: Any, fmt: str, order: str) -> n.DateRead:
        """``normalise.read_date``, remembered: a column repeats a few hundred dates."""
        try:
            key = (type(value), value, fmt, order)
            return self._dates[key]
        except TypeError:
            return n.read_date(value, fmt=fmt, order=order)
        except KeyError:
            read = n.read_date(value, fmt=fmt, order=order)  # raises Invalid: not remembered
            if len(self._dates) >= 20_000:
                self._dates.clear()
            self._dates[key] = read
            return read

    def _date(self, spec_field: FieldSpec, value: Any, number: int) -> Any:
        name = spec_field.name
        order = self.orders.get(name, "")
        read = self._read_date(value, self.formats.get(name, ""), order)
        if read.ambiguous:  # no format, and the column's order not known yet
            order = self._find_order(name)
            if order == MIXED:
                raise n.Invalid(
                    _(
                        "%(value)r could be read day first or month first, and this column has "
                        "dates written both ways: write it as 2027-12-31, or give the column's "
                        "format under 'dates:' in the mapping (d/m/yyyy or m/d/yyyy)."
                    )
                    % {"value": read.text},
                    "ambiguous date",
                )
            read = self._read_date(value, "", order)
        if read.approximate:
            self.report.warnings.append(
                RowWarning(
                    number,
                    self.header(name) or spec_field.label,
                    read.text,
                    "approximate date",
                    _("read %(value)r as %(date)s (approximate)")
                    % {"value": read.text, "date": read.date.isoformat()},
                )
            )
        return read.date

    def _find_order(self, name: str) -> str:
        """The order of a column's day/month dates, from those that read only one way (a first
        part above 12: day first; a second: month first), in every row of the sheet (left out by
        the filter or not). Read once, when the first date that reads either way comes up (a
        file of ISO dates or date cells is never read twice)."""
        index = self.columns.get(name)
        examples: dict[str, str] = {}
        if index is not None:
            for value in self.table.column_values(index):
                cell = self.mapping.translate(name, value)
                evidence = n.date_order_evidence(cell)
                if evidence:
                    examples.setdefault(evidence, n.text(cell))
                    if len(examples) == 2:
                        break
        column = self.header(name) or name
        hint = {"field": name}
        if len(examples) == 2:
            order = MIXED
            self.report.notes.append(
                _(
                    "Column %(column)r has dates written day first (e.g. %(dmy)r) and month "
                    "first (e.g. %(mdy)r): a date that reads either way is reported. Give the "
                    "column's format under 'dates:' in the mapping (e.g. dates: {%(field)s: "
                    "m/d/yyyy})."
                )
                % (
                    {"column": column, "dmy": examples[n.DAY_FIRST], "mdy": examples[n.MONTH_FIRST]}
                    | hint
                )
            )
        elif n.MONTH_FIRST in examples:
            order = n.MONTH_FIRST
            self.report.notes.append(
                _(
                    "Column %(column)r is read month first (m/d/yyyy), as dates such as "
                    "%(example)r show; if that is wrong, give its format under 'dates:' in the "
                    "mapping (dates: {%(field)s: d/m/yyyy})."
                )
                % ({"column": column, "example": examples[n.MONTH_FIRST]} | hint)
            )
        elif n.DAY_FIRST in examples:
            order = n.DAY_FIRST
        else:
            order = n.DAY_FIRST
            self.report.notes.append(
                _(
                    "Column %(column)r: every day/month date in it reads either way; they are "
                    "read day first (01/03/2027 is 1 March 2027). If the column is month first, "
                    "give its format under 'dates:' in the mapping (dates: {%(field)s: "
                    "m/d/yyyy})."
                )
                % ({"column": column} | hint)
            )
        self.orders[name] = order
        return order
