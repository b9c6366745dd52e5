"""Fast multi-row inserts for loads of tens of thousands of rows (demo scenario, imports).

``bulk_create`` compiles every value through the ORM's SQL compiler, which dominates a large load;
here each value goes through its field's own ``get_db_prep_save`` (so dates, decimals and JSON are
adapted per backend exactly as the ORM would) and the rows go to ``executemany``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import islice
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models

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


def insert_many(
    model: type[models.Model],
    field_names: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    batch_size: int = 5000,
) -> int:
    """Insert rows (values in the order of ``field_names``, attnames like ``donor_id``)."""
    opts = model._meta
    by_attname = {f.attname: f for f in opts.concrete_fields}
    fields = [by_attname[name] for name in field_names]
    connection = connections[DEFAULT_DB_ALIAS]  # the wrapper itself, not the per-call proxy
    columns = ", ".join(connection.ops.quote_name(_column(f)) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {connection.ops.quote_name(opts.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: E501, S608  # nosec B608: names come from the model, values are parameters
    preps = [None if f.get_internal_type() in _PASSED_AS_IS else f.get_db_prep_save for f in fields]
    count = 0
    iterator = iter(rows)
    with connection.cursor() as cursor:
        while batch := list(islice(iterator, batch_size)):
            cursor.executemany(
                sql,
                [
                    [v if p is None else p(v, connection) for p, v in zip(preps, row, strict=True)]
                    for row in batch
                ],
            )
            count += len(batch)
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
