"""Every list as CSV or XLSX: what the user may see, filtered exactly as the list page filters
(the same ``filter_rows`` of the same registers), streamed so that a large register does not
fill memory."""

from __future__ import annotations

import datetime as dt
import io
import itertools
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from django.db import models
from django.db.models import Prefetch
from django.http import HttpRequest, QueryDict

from coordcell.catalogue import register_by_slug
from coordcell.escaping import csv_writer
from coordcell.registry.registers import (
    BadFilter,
    Register,
    filter_rows,
    register_list_errors,
    resolve,
)
from coordcell.workbook import Workbook

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_PREFETCHED = "_export_"  # many-valued columns are prefetched into "_export_<name>" lists


def registers() -> dict[str, Register]:
    return register_by_slug()


def export_fields(register: Register) -> list[str]:
    return list(register.detail_fields) or [c.path for c in register.columns]


def unit_columns(register: Register, fields: list[str]) -> list[str]:
    """The unit of measure of the exported quantities, as a column of its own (one: a
    register's quantities share their category's unit), so that every quantity cell stays a
    number and a reader still knows litres from rounds."""
    paths = sorted({register.units[p] for p in fields if p in register.units})
    return paths[:1]


def _final_field(model: type[models.Model], path: str) -> Any:
    """The field a dotted path ("category.unit") ends at, or None."""
    f: Any = None
    for part in path.split("."):
        try:
            f = model._meta.get_field(part)
        except Exception:
            return None
        if f.is_relation:
            model = f.related_model
    return f


def _label(register: Register, path: str) -> str:
    if "." in path:
        f = _final_field(register.model, path)
        if f is not None:
            return str(f.verbose_name)
    try:
        field = register.model._meta.get_field(path.split(".")[0])
    except Exception:
        field = None
    if isinstance(field, models.Field):  # not a reverse relation, which has no verbose name
        return str(field.verbose_name)
    return next((c.label for c in register.columns if c.path == path), path.replace("_", " "))


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):  # spreadsheets have no time zones: UTC, to the second
        return value.astimezone(dt.UTC).replace(tzinfo=None, microsecond=0)
    if isinstance(value, bool | int | float | Decimal | dt.date) or value is None:
        return value
    return str(value)


def _getter(model: type[models.Model], path: str) -> Callable[[Any], Any]:
    """How to read one column: a related object by its code (what an import reads back), a
    choice by its label. Worked out once per export rather than once per cell: a large
    export spent most of its time looking up fields, translating choice labels and building a
    related manager for every cell."""
    try:
        f: Any = model._meta.get_field(path)
    except Exception:
        f = None
    if f is not None and f.is_relation:
        if f.many_to_many or f.one_to_many:

            def many(obj: Any) -> str:
                related = getattr(obj, _PREFETCHED + path, None)  # see filtered_queryset
                if related is None:
                    related = getattr(obj, path).all()
                return ", ".join(str(getattr(o, "code", o)) for o in related)

            return many

        def one(obj: Any) -> Any:
            value = getattr(obj, path)
            return "" if value is None else getattr(value, "code", str(value))

        return one
    if f is not None and f.choices:
        # As get_FOO_display(): the label of a known value, the value itself otherwise.
        labels = {value: str(label) for value, label in f.flatchoices}
        attname = f.attname
        return lambda obj: _plain(labels.get(getattr(obj, attname), getattr(obj, attname)))
    if f is not None and f.name in getattr(model, "UNDISCLOSED_FIELDS", ()):
        attname = f.attname
        return lambda obj: _figure(getattr(obj, attname))
    return lambda obj: _plain(resolve(obj, path))


def filtered_queryset(register: Register, user: Any, params: dict[str, str] | QueryDict) -> Any:
    """``register`` as ``user`` reads it (``Register.for_user``): the rows and columns to export."""
    request = HttpRequest()
    request.user = user
    if isinstance(params, QueryDict):
        query = params
    else:
        query = QueryDict(mutable=True)
        for name, value in params.items():
            query[name] = value
    # django-stubs type GET as the immutable QueryDict Django parses, not one given to it.
    request.GET = query  # type: ignore[assignment]
    qs, filterset, _, _ = filter_rows(register, request)
    wrong = register_list_errors(register, request, filterset)
    if wrong:
        raise BadFilter("; ".join(wrong))
    if not qs.ordered:
        qs = qs.order_by("pk")
    related = [p for p in export_fields(register) if _is_many(register.model, p)]
    # Into plain lists (to_attr): a prefetch into the related manager builds a queryset per row.
    return qs.prefetch_related(*(Prefetch(p, to_attr=_PREFETCHED + p) for p in related))


def _is_many(model: type[models.Model], path: str) -> bool:
    try:
        f = model._meta.get_field(path)
    except Exception:
        return False
    return bool(f.many_to_many or f.one_to_many)


def rows(register: Register, qs: Any, user: Any = None) -> Iterator[list[Any]]:
    """The header, then a row per record; with ``user``, a record type with a ledger of
    quantities (pledges, requirements) adds its figures as that user may read them."""
    fields = export_fields(register)
    fields += unit_columns(register, fields)
    keys = register.ledger_keys(user) if user is not None and register.ledger else []
    yield [_label(register, p) for p in fields] + [f"ledger: {k.replace('_', ' ')}" for k in keys]
    columns = _value_columns(register.model, fields)
    if columns is not None:
        body = _value_rows(qs, columns)
    else:
        getters = [_getter(register.model, p) for p in fields]
        body = ((obj.pk, [get(obj) for get in getters]) for obj in qs.iterator(chunk_size=2000))
    if not keys or register.ledger is None:
        yield from (cells for _pk, cells in body)
        return
    for chunk in itertools.batched(body, 2000):
        figures = register.ledger(user, [pk for pk, _cells in chunk])
        for pk, cells in chunk:
            ledger = figures.get(pk, {})
            yield cells + [_figure(ledger.get(k, "")) for k in keys]


# What an export writes for a quantity (or a ledger figure following from one) that is not
# disclosed: the word an import reads back as undisclosed, in any language of the interface.
UNDISCLOSED = "undisclosed"


def _figure(value: Any) -> Any:
    return UNDISCLOSED if value is None else value


@dataclass(frozen=True)
class _Column:
    """One exported column read as plain values: ``key`` in values_list(), or the codes of a
    many-valued relation read per chunk (``related`` model, ``back`` its lookup to the row)."""

    key: str = ""
    labels: dict[Any, str] | None = None  # a choice field's labels
    missing: Any = None  # what a None is written as ("undisclosed" for a quantity)
    related: Any = None
    back: str = ""


def _value_columns(model: type[models.Model], fields: list[str]) -> list[_Column] | None:
    """How to read every column without building model objects (most of an export's time was
    creating a pledge, its donor, category and origin for each row), or None when a column
    needs the object: the export then reads objects (``_getter``), with the same cells."""
    columns = []
    for path in fields:
        if "." in path:  # a related record's field (the unit of measure): its label
            last = _final_field(model, path)
            if last is None or last.is_relation:
                return None
            labels = {v: str(lb) for v, lb in last.flatchoices} if last.choices else None
            columns.append(_Column(key=path.replace(".", "__"), labels=labels))
            continue
        try:
            f: Any = model._meta.get_field(path)
        except Exception:
            return None
        if f.is_relation:
            target = f.related_model
            if not any(t.name == "code" for t in target._meta.concrete_fields):
                return None
            if f.many_to_many and not f.auto_created:
                columns.append(_Column(related=target, back=f.related_query_name()))
            elif f.many_to_one or f.one_to_one:
                columns.append(_Column(key=f"{path}__code"))
            else:
                return None
        elif f.choices:
            columns.append(_Column(key=f.attname, labels={v: str(lb) for v, lb in f.flatchoices}))
        elif f.name in getattr(model, "UNDISCLOSED_FIELDS", ()):
            columns.append(_Column(key=f.attname, missing=UNDISCLOSED))
        else:
            columns.append(_Column(key=f.attname))
    return columns


def _value_rows(qs: Any, columns: list[_Column]) -> Iterator[tuple[Any, list[Any]]]:
    keys = ["pk", *(c.key for c in columns if c.key)]
    values = qs.prefetch_related(None).values_list(*keys).iterator(chunk_size=2000)
    for chunk in itertools.batched(values, 2000):
        ids = [row[0] for row in chunk]
        codes: dict[int, dict[Any, list[str]]] = {}
        for n, c in enumerate(columns):
            if c.related is not None:
                by_row: dict[Any, list[str]] = defaultdict(list)
                # The related model's own order, as the object export's prefetch reads them.
                for row_id, code in c.related._default_manager.filter(
                    **{f"{c.back}__in": ids}
                ).values_list(c.back, "code"):
                    by_row[row_id].append(code)
                codes[n] = by_row
        for row in chunk:
            at, cells = 1, []
            for n, c in enumerate(columns):
                if c.related is not None:
                    cells.append(", ".join(codes[n].get(row[0], ())))
                    continue
                value = row[at]
                at += 1
                if c.labels is not None:
                    cells.append(_plain(c.labels.get(value, value)))
                elif c.key.endswith("__code"):
                    cells.append("" if value is None else value)
                elif value is None and c.missing is not None:
                    cells.append(c.missing)
                else:
                    cells.append(_plain(value))
            yield row[0], cells


def csv_chunks(register: Register, qs: Any, user: Any = None) -> Iterator[bytes]:
    """The rows as CSV, each cell through ``escaping.csv_cell`` (no formula, numbers as numbers)."""
    buffer = io.StringIO()
    writer = csv_writer(buffer)
    yield "\ufeff".encode()  # so Excel reads UTF-8
    for count, row in enumerate(rows(register, qs, user)):
        writer.writerow(row)
        if count % 500 == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def write_xlsx(register: Register, qs: Any, stream: IO[bytes], user: Any = None) -> int:
    """The rows as one worksheet, row by row (any size in little memory), through the app's one
    XLSX writer: text always a string cell, however it starts (``coordcell.workbook``)."""
    count = -1
    with Workbook(stream, streaming=True) as book:
        sheet = book.sheet(register.title)
        for count, row in enumerate(rows(register, qs, user)):
            sheet.write_row(count, row, "bold" if count == 0 else "")
    return max(count, 0)


def export_queryset(
    register: Register, user: Any, params: dict[str, str], fmt: str, stream: IO[bytes]
) -> int:
    register = register.for_user(user)  # the columns this user may read
    qs = filtered_queryset(register, user, params)
    if fmt == "xlsx":
        return write_xlsx(register, qs, stream, user)
    for chunk in csv_chunks(register, qs, user):
        stream.write(chunk)
    return int(qs.count())
