"""The bulk write path of imports: many rows in few statements, still one audit event per row.

Rows arrive here validated (the model's ``full_clean`` and the import's rules, see ``engine``);
the caller holds the transaction, so an import commits whole or not at all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import models
from django.utils import timezone

from coordcell.audit.services import AuditEntry, changes, record_many
from coordcell.db import insert_many


def values_of(obj: models.Model, names: list[str] | None = None) -> dict[str, Any]:
    """Concrete field values by attname (``donor_id``), as the audit trail records them.

    The audit service canonicalises them to JSON; doing it here too would double the cost of a
    200,000-row import.
    """
    fields = obj._meta.concrete_fields
    if names is not None:
        wanted = set(names)
        fields = [f for f in fields if f.name in wanted]
    return {f.attname: f.value_from_object(obj) for f in fields}


def _created_fields(model: type[models.Model]) -> list[models.Field]:  # type: ignore[type-arg]
    return [f for f in model._meta.concrete_fields if not f.primary_key]


def bulk_create_audited(
    *,
    actor: Any,
    objects: Sequence[models.Model],
    find_pks: Callable[[Sequence[models.Model]], dict[Any, int]],
    key: Callable[[models.Model], Any],
    audit_type: str,
    verb: str = "import-create",
) -> int:
    """Insert validated new objects and record one ``verb`` event per object."""
    if not objects:
        return 0
    model = type(objects[0])
    fields = _created_fields(model)
    now = timezone.now()
    for obj in objects:
        for f in fields:
            if getattr(f, "auto_now_add", False) or getattr(f, "auto_now", False):
                setattr(obj, f.attname, now)
    insert_many(
        model,
        [f.attname for f in fields],
        ([getattr(obj, f.attname) for f in fields] for obj in objects),
    )
    pks = find_pks(objects)
    entries = []
    for obj in objects:
        obj.pk = pks[key(obj)]
        after = values_of(obj)
        entries.append(AuditEntry(audit_type, str(obj.pk), str(obj)[:200], {"after": after}))
    return record_many(actor=actor, verb=verb, entries=entries)


def bulk_update_audited(
    *,
    actor: Any,
    pairs: Sequence[tuple[dict[str, Any], models.Model]],
    audit_type: str,
    verb: str = "import-update",
) -> int:
    """Save changed objects (with their ``before`` snapshot) and record what changed in each."""
    if not pairs:
        return 0
    model = type(pairs[0][1])
    versioned = any(f.name == "version" for f in model._meta.concrete_fields)
    changed: set[str] = set()
    entries = []
    for before, obj in pairs:
        if versioned:
            obj.version += 1  # type: ignore[attr-defined]
        after = values_of(obj)
        diff = changes(before, after)
        changed |= {_field_name(model, k) for k in diff}
        entries.append(AuditEntry(audit_type, str(obj.pk), str(obj)[:200], {"changes": diff}))
    changed.discard(model._meta.pk.name)
    if changed:
        model._default_manager.bulk_update(
            [obj for _, obj in pairs], sorted(changed), batch_size=500
        )
    return record_many(actor=actor, verb=verb, entries=entries)


def _field_name(model: type[models.Model], attname: str) -> str:
    for f in model._meta.concrete_fields:
        if f.attname == attname:
            return f.name
    return attname
