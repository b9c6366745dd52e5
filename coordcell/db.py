"""Fast multi-row inserts for loads of tens of thousands of rows (demo scenario, imports).

``bulk_create`` compiles every value through the ORM's SQL compiler, which dominates a large load;
here each value goes through its field's own ``get_db_prep_save`` (so dates, decimals and JSON are
adapted per backend exactly as the ORM would) and the rows go to ``executemany`` (SQLite) or to
``COPY ... FROM STDIN`` (PostgreSQL: several times faster than one INSERT per row). A value seen
before in the same column (a date, a status, a timestamp shared by the batch) is adapted once.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from itertools import islice
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models import signals
from django.db.models.base import ModelState

# Types whose Python values both drivers take unchanged (ints, strings, ids).
_PASSED_AS_IS = {
    "CharField",
    "TextField",
    "SlugField",
    "IntegerField",
    "BigIntegerField",
    "PositiveIntegerField",
    "PositiveBigIntegerField",
    "PositiveSmallIntegerField",
    "SmallIntegerField",
    "ForeignKey",
}
# Adapted values kept per column: enough for the dates, choices and amounts of a large load,
# bounded for a column whose every value differs (a timestamp per row).
_MEMO = 4096


def _identity(text: str) -> str:
    return text


def json_param(text: str) -> Any:
    """A JSON document already serialised (``text``), as a parameter for a JSONField column of
    ``insert_many`` (name the column in its ``prepared``): the text is stored as it is, without
    parsing and serialising it again. Reading it back gives ``json.loads(text)``."""
    if connections[DEFAULT_DB_ALIAS].vendor == "postgresql":
        from psycopg.types.json import Jsonb

        return Jsonb(text, dumps=_identity)
    return text


def _adapter(field: models.Field[Any, Any], connection: Any) -> Callable[[Any], Any] | None:
    """None when the driver takes the field's values as they are; otherwise the field's own
    ``get_db_prep_save``, remembering what it gave for values seen before."""
    if field.get_internal_type() in _PASSED_AS_IS:
        return None
    prep = field.get_db_prep_save
    memo: dict[tuple[type, Any], Any] = {}

    def adapt(value: Any) -> Any:
        try:
            key = (type(value), value)
            return memo[key]
        except KeyError:
            adapted = memo[key] = prep(value, connection)
            if len(memo) > _MEMO:
                memo.clear()
            return adapted
        except TypeError:  # unhashable (a dict for a JSON field)
            return prep(value, connection)

    return adapt


def insert_many(
    model: type[models.Model],
    field_names: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    batch_size: int = 5000,
    prepared: Collection[str] = (),
) -> int:
    """Insert rows (values in the order of ``field_names``, attnames like ``donor_id``).

    ``prepared`` names the columns whose values are already what the driver takes (adapted
    once by the caller, or ``json_param``)."""
    opts = model._meta
    by_attname = {f.attname: f for f in opts.concrete_fields}
    fields = [by_attname[name] for name in field_names]
    connection = connections[DEFAULT_DB_ALIAS]  # the wrapper itself, not the per-call proxy
    qn = connection.ops.quote_name
    columns = ", ".join(qn(_column(f)) for f in fields)
    adapters = [None if f.attname in prepared else _adapter(f, connection) for f in fields]
    if all(a is None for a in adapters):
        adapted: Iterable[Sequence[Any]] = rows
    else:
        adapted = (
            [v if a is None else a(v) for a, v in zip(adapters, row, strict=True)] for row in rows
        )
    count = 0
    iterator = iter(adapted)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            sql = f"COPY {qn(opts.db_table)} ({columns}) FROM STDIN"
            # Each batch is taken from ``rows`` before its COPY starts: a caller's rows may be
            # computed by queries (a snapshot's relations), which cannot run on the connection
            # while a COPY holds it.
            while batch := list(islice(iterator, batch_size)):
                count += int(cursor._execute_with_wrappers(sql, batch, True, _copy))
            return count
        placeholders = ", ".join(["%s"] * len(fields))
        sql = f"INSERT INTO {qn(opts.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608  # nosec B608: names come from the model, values are parameters
        while batch := list(islice(iterator, batch_size)):
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


def _copy(sql: str, rows: Iterable[Sequence[Any]], many: bool, context: dict[str, Any]) -> int:
    """PostgreSQL's COPY, as the last step of the connection's execute wrappers (which see the
    statement as they see an INSERT)."""
    wrapper = context["cursor"]
    wrapper.db.validate_no_broken_transaction()
    count = 0
    with wrapper.db.wrap_database_errors, wrapper.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def update_many(model: type[models.Model], attnames: Sequence[str], objs: Sequence[Any]) -> None:
    """UPDATE rows by primary key with executemany: far faster than bulk_update's CASE for
    thousands of rows (derived fields of shipments, requirements' statuses)."""
    if not objs:
        return
    connection = connections[DEFAULT_DB_ALIAS]
    fields = {f.attname: f for f in model._meta.concrete_fields}
    qn = connection.ops.quote_name
    sets = ", ".join(f"{qn(_column(fields[a]))} = %s" for a in attnames)
    sql = f"UPDATE {qn(model._meta.db_table)} SET {sets} WHERE {qn('id')} = %s"  # noqa: S608  # nosec B608: model names, values are parameters
    params = [
        [*(fields[a].get_db_prep_save(getattr(o, a), connection) for a in attnames), o.pk]
        for o in objs
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _column(field: models.Field[Any, Any]) -> str:
    # A concrete field is one with a column; django-stubs type ``column`` as optional.
    assert field.column is not None, field
    return field.column


def instance_factory[M: models.Model](model: type[M]) -> Callable[[Mapping[str, Any]], M]:
    """A fast ``model(**values)`` for many new instances (an import builds 200,000): the same
    instance (field defaults, ``donor_id`` and the cached ``donor`` of a related object), built
    from a prototype's values instead of through ``Model.__init__`` and each related field's
    descriptor (about 10 µs an instance less). ``values`` are field names, as for the model's
    constructor. A model with pre_init or post_init receivers is built by its constructor."""
    if signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model):
        return lambda values: model(**values)
    opts = model._meta
    prototype = model()
    base = {k: v for k, v in prototype.__dict__.items() if k != "_state"}
    # Defaults computed per instance (a callable: a UUID, the time) are computed for each.
    fresh = [
        (f.attname, f.get_default)
        for f in opts.concrete_fields
        if f.has_default() and callable(f.default)
    ]
    related: dict[str, tuple[str, str, type[models.Model]]] = {
        f.name: (f.attname, f.target_field.attname, f.related_model)
        for f in opts.concrete_fields
        if isinstance(f, models.ForeignKey) and isinstance(f.related_model, type)
    }
    known = {f.name for f in opts.concrete_fields} | {f.attname for f in opts.concrete_fields}

    def build(values: Mapping[str, Any]) -> M:
        if not known.issuperset(values):
            return model(**values)  # a property or a mistake: the constructor says which
        obj = model.__new__(model)
        state = ModelState()
        attributes = obj.__dict__
        attributes["_state"] = state
        attributes.update(base)
        for attname, default in fresh:
            attributes[attname] = default()
        cache = state.fields_cache
        for name, value in values.items():
            link = related.get(name)
            if link is None:
                attributes[name] = value
            elif value is None:
                attributes[link[0]] = None
                cache[name] = None
            else:
                if not isinstance(value, link[2]):
                    return model(**values)  # the constructor refuses it with its message
                attributes[link[0]] = getattr(value, link[1])
                cache[name] = value
                if state.db is None:
                    state.db = value._state.db
        return obj

    return build
