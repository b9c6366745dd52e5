"""Read and check every row, outside any transaction: nothing is locked while a file is parsed.

Each row is parsed (``specs``), checked by the model's own rules, the page's rules and the user's
scope, and its natural key is looked up in the file so far and in the database (a chunk at a time;
the registers are read once, by ``Lookups``). What passes is kept, ready to write: new objects, and
changed objects with a snapshot of what they were (``apply`` checks that nobody changed them since).
In memory: the new rows are kept packed (``PackedRows``); the limit on rows bounds them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models.base import ModelState

from coordcell.audit.services import values_of
from coordcell.db import instance_factory
from coordcell.registry.access import as_user

from . import normalise as n
from .layout import Layout
from .mapping import Mapping
from .plausibility import Plausibility
from .readers import Table
from .references import attach, plan
from .report import ImportReport, RowError
from .specs import ImportSpec, Lookups, is_undisclosed

CHUNK = 2000
_MEMO = 10_000  # parsed values remembered per column (see Importer._parse_value)
Progress = Callable[[str, int, int | None], None]  # (phase, rows done, rows expected)
READING, WRITING = "reading", "writing"


class PackedRows:
    """New objects waiting for the write, each kept as one tuple of its values: (row, shape,
    attribute values..., cached related objects...). A model instance with its state, dict and
    cache took about 800 bytes a row, the tuple a third of that: 200,000 new pledges are most of
    an all-or-nothing import's peak memory, since none is written before every row is checked.

    Iterating gives (row, object) pairs, each object built again as it was staged (the related
    records it held are the same objects, so a reference record created since has its id:
    ``attach``). ``take`` hands them out a chunk at a time and lets each chunk go."""

    def __init__(self) -> None:
        self._rows: list[tuple[Any, ...]] = []
        self._shapes: list[tuple[type, tuple[str, ...], tuple[str, ...], dict[str, Any]]] = []
        self._shape_ids: dict[tuple[Any, ...], int] = {}

    def __len__(self) -> int:
        return len(self._rows)

    def __bool__(self) -> bool:
        return bool(self._rows)

    def append(self, row: tuple[int, Any]) -> None:
        number, obj = row
        attributes = obj.__dict__
        state = attributes["_state"]
        cache = state.__dict__.get("fields_cache", {})
        names = tuple(k for k in attributes if k != "_state")
        state_values = {k: v for k, v in state.__dict__.items() if k != "fields_cache"}
        key = (type(obj), names, tuple(cache), tuple(state_values.items()))
        shape = self._shape_ids.get(key)
        if shape is None:
            shape = self._shape_ids[key] = len(self._shapes)
            self._shapes.append((type(obj), names, tuple(cache), state_values))
        self._rows.append((number, shape, *[attributes[k] for k in names], *cache.values()))

    def extend(self, rows: Iterable[tuple[int, Any]]) -> None:
        for row in rows:
            self.append(row)

    def _built(self, packed: tuple[Any, ...]) -> tuple[int, Any]:
        model, names, cached, state_values = self._shapes[packed[1]]
        obj = model.__new__(model)
        state = ModelState()
        state.__dict__.update(state_values)
        width = len(names)
        state.fields_cache = dict(zip(cached, packed[2 + width :], strict=True))
        attributes = obj.__dict__
        attributes["_state"] = state
        attributes.update(zip(names, packed[2 : 2 + width], strict=True))
        attach([obj])
        return packed[0], obj

    def __iter__(self) -> Iterator[tuple[int, Any]]:
        return (self._built(packed) for packed in self._rows)

    def keys(self, attnames: Sequence[str], size: int) -> Iterator[list[tuple[int, Any, int]]]:
        """(row, key, position) of each object in chunks of ``size``, the key being the values
        of ``attnames`` read from the packed values: an object is built again only where one of
        them is empty (a related record's id this import created since, set by ``attach``)."""
        where: dict[int, list[int] | None] = {}
        for start in range(0, len(self._rows), size):
            chunk = []
            for position in range(start, min(start + size, len(self._rows))):
                packed = self._rows[position]
                shape = packed[1]
                if shape not in where:
                    names = self._shapes[shape][1]
                    where[shape] = (
                        [names.index(a) for a in attnames]
                        if all(a in names for a in attnames)
                        else None
                    )
                indexes = where[shape]
                key = None
                if indexes is not None:
                    key = tuple(packed[2 + i] for i in indexes)
                if key is None or None in key:
                    obj = self._built(packed)[1]
                    key = tuple(getattr(obj, a) for a in attnames)
                chunk.append((packed[0], key, position))
            yield chunk

    def built(self, position: int) -> Any:
        """The object at ``position`` (see ``keys``), built again."""
        return self._built(self._rows[position])[1]

    def take(self, size: int) -> Iterator[list[tuple[int, Any]]]:
        """The objects in chunks of ``size``, each taken out before it is handed on."""
        rows = self._rows
        while rows:
            chunk = rows[:size]
            del rows[:size]
            yield [self._built(packed) for packed in chunk]


@dataclass
class Staged:
    """The rows ready to write: ``creates`` (row, new object; packed), ``updates`` (row, the
    stored values as read, the changed object)."""

    creates: PackedRows = field(default_factory=PackedRows)
    updates: list[tuple[int, dict[str, Any], Any]] = field(default_factory=list)


def _chunks(rows: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _key_value(value: Any) -> Any:
    if isinstance(value, models.Model):
        # A record this import creates has no id yet: its code tells it apart.
        return value.pk if value.pk is not None else ("new", getattr(value, "code", id(value)))
    return value


def _stored(key: tuple[Any, ...]) -> bool:
    """Whether a record with ``key`` may be in the database (not with a new record in it)."""
    return not any(part is None or isinstance(part, tuple) for part in key)


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
        self.stored_extras: dict[Any, dict[str, Any]] = {}
        self.sees_all = bool(getattr(as_user(user), "sees_everything", False))
        self._memo: dict[str, dict[tuple[type, Any], tuple[bool, Any]]] = {}
        self.model = spec.model
        self.new = instance_factory(self.model)  # model(**values), faster (coordcell.db)
        self.key_attnames = [_attname(self.model, name) for name in spec.key_fields]
        self.versioned = any(f.name == "version" for f in self.model._meta.concrete_fields)
        # The mapping read against the sheet: columns, key, filter, constants, dates (layout.py).
        self.layout = Layout(spec, table, mapping, self.defaults, report)
        self.columns: dict[str, int] = self.layout.columns
        self.plausibility = Plausibility(
            {
                f.name: self.header(f.name)
                for f in spec.fields
                if f.kind == "date" and f.name in self.columns
            }
        )
        # Reference records the mapping creates: checked now, read as if they existed.
        self.new_references = plan(spec, mapping.create, user, self.lookups)

    def header(self, name: str) -> str:
        column = self.layout.header(name)
        if column is not None:
            return column
        try:
            return self.spec.field(name).label
        except StopIteration:
            return name

    # -- one row ---------------------------------------------------------------------------
    def parse(self, number: int, values: tuple[Any, ...]) -> tuple[dict[str, Any], list[RowError]]:
        parsed: dict[str, Any] = dict(self.defaults)
        errors: list[RowError] = []
        for spec_field in self.spec.fields:
            raw, value = self.layout.raw(spec_field.name, number, values)
            if spec_field.undisclosed and is_undisclosed(value):  # counted as undisclosed, not 0
                parsed[spec_field.name] = None
                continue
            if n.is_missing(value):
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
                parsed[spec_field.name] = self._parse_value(spec_field, value, number)
            except n.Invalid as exc:
                errors.append(
                    RowError(number, self.header(spec_field.name), n.text(raw), exc.rule, str(exc))
                )
                if exc.rule.startswith("unknown"):
                    self.report.unknown[spec_field.name][n.text(raw)] += 1
        return parsed, errors

    def _parse_value(self, spec_field: Any, value: Any, number: int) -> Any:
        """A cell's value as its field reads it (``Layout.parse``, after the mapping's
        translation), remembered per column for the values that repeat (quantities, names,
        choices: a 200,000-row file has a few hundred of each), so each distinct value is parsed
        once; free text, and dates (a date may be flagged on its row), are read each time."""
        if spec_field.kind in ("text", "date"):
            return self.layout.parse(spec_field, value, self.lookups, number)
        memo = self._memo.setdefault(spec_field.name, {})
        try:
            key = (type(value), value)
            outcome = memo[key]
        except TypeError:  # unhashable: not remembered
            return self.layout.parse(spec_field, value, self.lookups, number)
        except KeyError:
            try:
                outcome = (True, self.layout.parse(spec_field, value, self.lookups, number))
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
        """(new objects, (before, changed object) pairs, errors by row) for one chunk.

        Every check runs on every row, whatever else is wrong with it: the values that could
        not be read are reported, and the rest of the row still goes through the natural key
        (in the file and in the database) and the record's own rules, so that a row shows all
        its problems at once rather than one layer after the other."""
        parsed_rows = [(number, *self.parse(number, values)) for number, values in chunk]
        stored = self.existing([key for _, p, _ in parsed_rows if _stored(key := self.key_of(p))])
        # The stored values of the columns that are not the record's (``ImportSpec.extra``).
        self.stored_extras = (
            self.spec.stored_extra(list(stored.values()))
            if self.spec.stored_extra is not None and stored
            else {}
        )
        creates, updates = [], []
        errors_by_row: dict[int, list[RowError]] = {}
        for number, parsed, errors in parsed_rows:
            failed = {e.column for e in errors}
            obj, before, more, unchanged = self.build(number, parsed, stored, failed=failed)
            errors = errors + more
            if errors:
                errors_by_row[number] = errors
            elif before is None:
                creates.append((number, obj))
            elif unchanged:
                self.report.unchanged += 1
            else:
                updates.append((number, before, obj))
            self.plausibility.add(number, parsed, {e.column for e in errors})
        return creates, updates, errors_by_row

    def after(self, obj: Any) -> dict[str, Any]:
        """The row's values as compared with the stored record's (``before``)."""
        values = values_of(obj, self.compared)
        for name in self.spec.extra:
            values[name] = getattr(obj, name, None)
        return values

    @functools.cached_property
    def compared(self) -> list[str]:
        return [f.name for f in self.spec.fields]

    @property
    def concrete(self) -> list[str]:
        return [f.name for f in self.model._meta.concrete_fields]

    @staticmethod
    def same(before: dict[str, Any], after: dict[str, Any]) -> bool:
        return all(before.get(k) == v for k, v in after.items())

    def build(
        self,
        number: int,
        parsed: dict[str, Any],
        stored: dict[tuple[Any, ...], Any],
        *,
        failed: set[str] = frozenset(),  # type: ignore[assignment]
    ) -> tuple[Any, dict[str, Any] | None, list[RowError], bool]:
        """The row's object, its stored values, its errors (its key against the rows before it
        and the database, then the record's own rules) and whether it changes nothing.
        ``failed`` are the columns whose value could not be read: the rules do not report them
        a second time ("required")."""
        errors: list[RowError] = []
        key = self.key_of(parsed)
        complete = None not in key
        first = self.seen.get(key) if complete else None
        if first is not None:
            name = self.spec.key_fields[-1]
            errors.append(
                RowError(
                    number,
                    self.header(name),
                    self.key_text(parsed),
                    "duplicate",
                    f"Row {first} already has {self.key_text(parsed)}: each appears once.",
                )
            )
        elif complete:
            self.seen[key] = number
        existing = stored.get(key) if first is None and _stored(key) else None
        before = None
        extra = {name: parsed.pop(name) for name in self.spec.extra if name in parsed}
        if existing is None:
            obj = self.new(parsed)
        else:
            obj = existing
            before = values_of(obj)
            if self.spec.stored_extra is not None:
                before.update(self.stored_extras.get(obj.pk, {}))
                extra = {**{k: before[k] for k in self.spec.extra if k in before}, **extra}
            for name, value in parsed.items():
                setattr(obj, name, value)
        for name, value in extra.items():
            setattr(obj, name, value)
        if (
            self.sees_all
            and before is not None
            and not errors
            and self.same(before, self.after(obj))
        ):
            # Unchanged: the stored record is kept as it is, so its rules have nothing to say
            # (a need-by date passed since is no reason to refuse the row). Only for those who
            # see every record: anyone else is told of another's record only by its rules.
            return obj, before, errors, True
        # The record's own rules, the same its page and its API apply (the spec's ``check``).
        try:
            error = self.spec.check(self.user, obj, before=before)
        except ObjectDoesNotExist:
            if not failed:
                raise
            # A rule that reads a related record the row failed to name: its column already
            # says what is wrong, and the rule cannot be asked until it names one.
            error = None
        if error is not None:
            errors += [e for e in self._errors(number, obj, error) if e.column not in failed]
        # After the rules: a re-sent event takes its stored values there (``event_check``).
        return obj, before, errors, before is not None and self.same(before, self.after(obj))

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
    for chunk in _chunks(importer.layout.rows(), chunk_size):
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
                    made = [importer.layout.made_key(number)] if importer.layout.key else []
                    reject_writer.writerow([number, *cells, message, *made])
        report.created += len(creates)
        report.updated += len(updates)
        for number, before, obj in updates[: max(0, 1000 - len(report.updates))]:
            after = importer.after(obj)
            fields = [k.removesuffix("_id") for k in after if before.get(k) != after[k]]
            report.updates.append((number, importer.key_text(obj), fields))
        if keep and (skip_invalid or not report.errors):
            staged.creates.extend(creates)
            staged.updates.extend(updates)
        elif staged.creates or staged.updates:
            staged = Staged()
        if progress is not None:
            progress(READING, report.rows + report.left_out, total)
    return staged
