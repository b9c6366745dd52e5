"""Row updates by primary key for the derived fields of thousands of rows at once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connections, models


def update_many(model: type[models.Model], attnames: Sequence[str], objs: Sequence[Any]) -> None:
    """UPDATE rows by primary key with executemany: far faster than bulk_update's CASE for
    thousands of rows."""
    if not objs:
        return
    connection = connections["default"]
    fields = {f.attname: f for f in model._meta.concrete_fields}
    qn = connection.ops.quote_name
    sets = ", ".join(f"{qn(fields[a].column)} = %s" for a in attnames)
    sql = f"UPDATE {qn(model._meta.db_table)} SET {sets} WHERE {qn('id')} = %s"  # noqa: S608  # nosec B608: model names, values are parameters
    params = [
        [*(fields[a].get_db_prep_save(getattr(o, a), connection) for a in attnames), o.pk]
        for o in objs
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
