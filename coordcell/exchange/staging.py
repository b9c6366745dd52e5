"""Read and check every row, outside any transaction: nothing is locked while a file is parsed.

Each row is parsed (``specs``), checked by the model's own rules, the page's rules and the user's
scope, and its natural key is looked up in the file so far and in the database (a chunk at a time;
the registers are read once, by ``Lookups``). What passes is kept, ready to write: new objects, and
changed objects with a snapshot of what they were (``apply`` checks that nobody changed them since).
In memory: 100,000 new pledges take about 80 MB (measured; the limit on rows bounds it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from django.db import models

from coordcell.audit.services import values_of
from coordcell.db import instance_factory

from . import normalise as n
from .mapping import Mapping
from .readers import Table
from .report import ImportReport, RowError
from .specs import ImportSpec, Lookups, parse_value

CHUNK = 2000
_MEMO = 10_000  # parsed values remembered per column (see Importer._parse_value)
Progress = Callable[[str, int, int | None], None]  # (phase, rows done, rows expected)
READING, WRITING = "reading", "writing"


@dataclass
class Staged:
    """The rows ready to write: ``creates`` (row, new object), ``updates`` (row, the stored
    values as read, the changed object)."""

    creates: list[tuple[int, Any]] = field(default_factory=list)
    updates: list[tuple[int, dict[str, Any], Any]] = field(default_factory=list)


def _chunks(rows: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _key_value(value: Any) -> Any:
    return value.pk if isinstance(value, models.Model) else value


def _attname(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field), name  # a key is the model's own column
    return field.attname


class Importer:
    def __init__(
        self, spec: ImportSpec, table: Table, mapping: Mapping, user: Any, report: ImportReport
    ) -> None:
        self.spec, self.table, self.mapping, self.user, self.report = (
            spec,
            table,
            mapping,
            user,
            report,
        )
        self.lookups = Lookups(user)
        self.defaults = spec.defaults(user)
        self.seen: dict[tuple[Any, ...], int] = {}
        self._memo: dict[str, dict[tuple[type, Any], tuple[bool, Any]]] = {}
        self.model = spec.model
        self.new = instance_factory(self.model)  # model(**values), faster (coordcell.db)
        self.key_attnames = [_attname(self.model, name) for name in spec.key_fields]
        self.versioned = any(f.name == "version" for f in self.model._meta.concrete_fields)
        header_index = {n.key(h): i for i, h in enumerate(table.headers)}
        self.columns: dict[str, int] = {}
        for name, header in mapping.columns.items():
            index = header_index.get(n.key(header))
            if index is None:
                raise ValueError(
                    f"The mapping takes {name} from column {header!r}, which the sheet does not "
                    f"have. Its columns are: {', '.join(table.headers)}."
                )
            self.columns[name] = index
        used = set(self.columns.values())
        report.ignored_columns = [h for i, h in enumerate(table.headers) if i not in used]
        absent = [
            f.label
            for f in spec.fields
            if f.required and f.name not in self.columns and f.name not in self.defaults
        ]
        if absent:
            raise ValueError(
                f"No column gives {', '.join(absent)}: map a column to each "
                f"(the sheet's columns are: {', '.join(table.headers)})."
            )

    def header(self, name: str) -> str:
        index = self.columns.get(name)
        if index is not None:
            return self.table.headers[index]
        try:
            return self.spec.field(name).label
        except StopIteration:
            return name

    # -- one row ---------------------------------------------------------------------------
    def parse(self, number: int, values: tuple[Any, ...]) -> tuple[dict[str, Any], list[RowError]]:
        parsed: dict[str, Any] = dict(self.defaults)
        errors: list[RowError] = []
        for spec_field in self.spec.fields:
            index = self.columns.get(spec_field.name)
            raw = values[index] if index is not None and index < len(values) else None
            if n.is_missing(raw):
                if spec_field.required and spec_field.name not in parsed:
                    errors.append(
                        RowError(
                            number,
                            self.header(spec_field.name),
                            "" if raw is None else n.text(raw),
                            "required",
                            f"{spec_field.label} is required.",
                        )
                    )
                continue
            try:
                parsed[spec_field.name] = self._parse_value(spec_field, raw)
            except n.Invalid as exc:
                errors.append(
                    RowError(number, self.header(spec_field.name), n.text(raw), exc.rule, str(exc))
                )
                if exc.rule.startswith("unknown"):
                    self.report.unknown[spec_field.name][n.text(raw)] += 1
        return parsed, errors

    def _parse_value(self, spec_field: Any, raw: Any) -> Any:
        """``parse_value`` of a cell, remembered per column for the values that repeat (dates,
        quantities, names, choices: a 200,000-row file has a few hundred of each), so each
        distinct value is parsed once; a free text is parsed each time."""
        if spec_field.kind == "text":
            return parse_value(
                spec_field, self.mapping.translate(spec_field.name, raw), self.lookups
            )
        memo = self._memo.setdefault(spec_field.name, {})
        try:
            key = (type(raw), raw)
            outcome = memo[key]
        except TypeError:  # unhashable: not remembered
            return parse_value(
                spec_field, self.mapping.translate(spec_field.name, raw), self.lookups
            )
        except KeyError:
            try:
                outcome = (
                    True,
                    parse_value(
                        spec_field, self.mapping.translate(spec_field.name, raw), self.lookups
                    ),
                )
            except n.Invalid as exc:
                outcome = (False, exc)
            if len(memo) >= _MEMO:
                memo.clear()
            memo[key] = outcome
        if outcome[0]:
            return outcome[1]
        raise outcome[1].with_traceback(None)  # not a traceback growing with each raise

    def key_of(self, values: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(_key_value(values.get(name)) for name in self.spec.key_fields)

    def key_of_object(self, obj: models.Model) -> tuple[Any, ...]:
        return tuple(getattr(obj, attname) for attname in self.key_attnames)

    def key_text(self, values: Any) -> str:
        """The natural key as a person reads it: codes, not database ids."""
        parts = []
        for name in self.spec.key_fields:
            value = values.get(name) if isinstance(values, dict) else getattr(values, name)
            parts.append(getattr(value, "code", value))
        return " / ".join(str(p) for p in parts)

    def existing(self, keys: list[tuple[Any, ...]]) -> dict[tuple[Any, ...], models.Model]:
        if not keys:
            return {}
        filters = {
            f"{attname}__in": {k[i] for k in keys} for i, attname in enumerate(self.key_attnames)
        }
        wanted = set(keys)
        found = {}
        for obj in self.model._default_manager.filter(**filters):
            k = self.key_of_object(obj)
            if k in wanted:
                found[k] = obj
        return found

    def pks(self, objects: list[Any]) -> dict[tuple[Any, ...], int]:
        """The ids of just-inserted objects, by natural key."""
        keys = [self.key_of_object(o) for o in objects]
        attnames = self.key_attnames
        filters = {f"{a}__in": {k[i] for k in keys} for i, a in enumerate(attnames)}
        rows = self.model._default_manager.filter(**filters).values_list(*attnames, "pk")
        return {tuple(row[:-1]): row[-1] for row in rows}

    def validate(
        self, chunk: list[tuple[int, tuple[Any, ...]]]
    ) -> tuple[list[Any], list[Any], dict[int, list[RowError]]]:
        """(new objects, (before, changed object) pairs, errors by row) for one chunk."""
        parsed_rows = [(number, *self.parse(number, values)) for number, values in chunk]
        stored = self.existing([self.key_of(p) for _, p, errors in parsed_rows if not errors])
        creates, updates = [], []
        errors_by_row: dict[int, list[RowError]] = {}
        for number, parsed, errors in parsed_rows:
            if not errors:
                obj, before, errors = self.build(number, parsed, stored)
                if not errors:
                    if before is None:
                        creates.append((number, obj))
                    elif self.same(before, values_of(obj, self.compared)):
                        self.report.unchanged += 1
                    else:
                        updates.append((number, before, obj))
            if errors:
                errors_by_row[number] = errors
        return creates, updates, errors_by_row

    @property
    def compared(self) -> list[str]:
        return [f.name for f in self.spec.fields]

    @property
    def concrete(self) -> list[str]:
        return [f.name for f in self.model._meta.concrete_fields]

    @staticmethod
    def same(before: dict[str, Any], after: dict[str, Any]) -> bool:
        return all(before.get(k) == v for k, v in after.items())

    def build(
        self, number: int, parsed: dict[str, Any], stored: dict[tuple[Any, ...], Any]
    ) -> tuple[Any, dict[str, Any] | None, list[RowError]]:
        key = self.key_of(parsed)
        first = self.seen.get(key)
        if first is not None:
            name = self.spec.key_fields[-1]
            return (
                None,
                None,
                [
                    RowError(
                        number,
                        self.header(name),
                        self.key_text(parsed),
                        "duplicate",
                        f"Row {first} already has {self.key_text(parsed)}: each appears once.",
                    )
                ],
            )
        self.seen[key] = number
        existing = stored.get(key)
        before = None
        if existing is None:
            obj = self.new(parsed)
        else:
            obj = existing
            before = values_of(obj)
            for name, value in parsed.items():
                setattr(obj, name, value)
        # The record's own rules, the same its page and its API apply (the spec's ``check``).
        error = self.spec.check(self.user, obj, before=before)
        if error is not None:
            return None, None, self._errors(number, obj, error)
        return obj, before, []

    def _errors(self, number: int, obj: Any, error: Any) -> list[RowError]:
        out = []
        for name, errors in error.error_dict.items():
            value = "" if name == "__all__" else n.text(_key_value(getattr(obj, name, "")))
            column = "" if name == "__all__" else self.header(name)
            for e in errors:
                for message in e.messages:
                    out.append(RowError(number, column, value, e.code or "model", message))
        return out


def stage(
    importer: Importer,
    report: ImportReport,
    *,
    reject_writer: Any = None,
    progress: Progress | None = None,
    total: int | None = None,
    chunk_size: int = CHUNK,
    keep: bool = True,
    skip_invalid: bool = False,
) -> Staged:
    """Check every row of the table; count and report them, write the rejected ones to
    ``reject_writer``, and return those ready to write (with ``keep``; an all-or-nothing import
    keeps none once a row failed: it only reads on to report every bad row). Reads only."""
    staged = Staged()
    table = importer.table
    width = len(table.headers)
    for chunk in _chunks(table.rows(), chunk_size):
        creates, updates, errors_by_row = importer.validate(chunk)
        report.rows += len(chunk)
        report.rejected += len(errors_by_row)
        for errors in errors_by_row.values():
            report.errors.extend(errors)
        if reject_writer is not None and errors_by_row:
            for number, values in chunk:
                if number in errors_by_row:
                    cells = ["" if v is None else v for v in values[:width]]
                    cells += [""] * (width - len(cells))
                    message = "; ".join(
                        f"{e.column}: {e.message}" if e.column else e.message
                        for e in errors_by_row[number]
                    )
                    reject_writer.writerow([number, *cells, message])
        report.created += len(creates)
        report.updated += len(updates)
        for number, before, obj in updates[: max(0, 1000 - len(report.updates))]:
            after = values_of(obj, importer.compared)
            fields = [k.removesuffix("_id") for k in after if before.get(k) != after[k]]
            report.updates.append((number, importer.key_text(obj), fields))
        if keep and (skip_invalid or not report.errors):
            staged.creates.extend(creates)
            staged.updates.extend(updates)
        elif staged.creates or staged.updates:
            staged = Staged()
        if progress is not None:
            progress(READING, report.rows, total)
    return staged
