"""The audit trail: every change that matters is recorded here, in the transaction that makes it."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal
from json.encoder import encode_basestring as _quote
from operator import itemgetter
from typing import Any, TypedDict

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.db.models.fields.related import RelatedField
from django.utils import timezone

from coordcell.db import insert_many, json_param, update_many

from .models import GENESIS_HASH, AuditEvent, AuditHead

# One encoder for every event: json.dumps would build one per call (a bulk change of 200,000
# rows canonicalises 200,000 payloads).
_CANONICAL = DjangoJSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical(payload: Mapping[str, Any]) -> bytes:
    return _CANONICAL.encode(payload).encode()


def event_hash(prev_hash: str, payload: Mapping[str, Any]) -> str:
    return _chain(prev_hash, canonical(payload))


def _chain(prev_hash: str, canonical_payload: bytes) -> str:
    # RFC 9162 style domain separation: 0x00 for a leaf, 0x01 for the link to the previous hash.
    leaf = hashlib.sha256(b"\x00" + canonical_payload).digest()
    return hashlib.sha256(b"\x01" + bytes.fromhex(prev_hash) + leaf).hexdigest()


def _payload(
    seq: int,
    at: dt.datetime,
    actor_id: int | None,
    actor_name: str,
    verb: str,
    target_type: str,
    target_id: str,
    target_repr: str,
    data: Mapping[str, Any],
) -> dict[str, Any]:
    return {
        "seq": seq,
        "at": at.astimezone(dt.UTC).isoformat(),
        "actor_id": actor_id,
        "actor": actor_name,
        "verb": verb,
        "target_type": target_type,
        "target_id": target_id,
        "target": target_repr,
        # Round-trip through JSON so the hash covers exactly what the database stores.
        "data": json.loads(canonical(data)),
    }


# Fields whose stored value is a credential (a password hash, a token digest, a TOTP seed): the
# trail, which auditors read and which is never rewritten, says that they changed, not what to.
SECRET_FIELDS = {
    "registry.user": {"password"},
    "api.apitoken": {"digest"},
    "otp_totp.totpdevice": {"key"},
}
SECRET = "(secret)"  # noqa: S105  # a label in the trail, not a credential


def _as_stored(field: Any, value: Any) -> Any:
    """A decimal as the database keeps it (50.0 typed on a form is stored as 50.00000): so
    that a record saved unchanged shows no change."""
    if isinstance(value, Decimal) and isinstance(field, models.DecimalField):
        return value.quantize(Decimal(1).scaleb(-field.decimal_places))
    return value


def snapshot(instance: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The instance's field values as stored, many-to-many fields as sorted primary keys;
    credentials as a digest of their value, so that a change still shows."""
    opts = instance._meta
    secret = SECRET_FIELDS.get(opts.label_lower, set())
    values: dict[str, Any] = {}
    for field in opts.concrete_fields:
        if fields is not None and field.name not in fields:
            continue
        value = _as_stored(field, field.value_from_object(instance))
        if field.name in secret and value:
            # A short digest, keyed to nothing outside the row: enough to see a change, useless
            # to guess the value from (the value itself is a hash or a random seed).
            value = SECRET + " " + hashlib.sha256(str(value).encode()).hexdigest()[:8]
        values[field.attname] = value
    if instance.pk is not None:
        for m2m in opts.many_to_many:
            if fields is not None and m2m.name not in fields:
                continue
            values[m2m.name] = sorted(getattr(instance, m2m.name).values_list("pk", flat=True))
    stored: dict[str, Any] = json.loads(canonical(values))
    return stored


def changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    return {
        key: [before.get(key), after.get(key)]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


def record(
    *,
    actor: Any,
    verb: str,
    target: models.Model | None = None,
    target_type: str = "",
    target_id: str = "",
    target_repr: str = "",
    data: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain. Must run inside the transaction of the change it records."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit.record() must run inside the transaction of the change")
    if target is not None:
        target_type = target._meta.label_lower
        target_id = str(target.pk)
        target_repr = str(target)[:200]
    head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
    actor_id = getattr(actor, "pk", None)
    actor_name = getattr(actor, "username", None) or str(actor or "system")
    at = timezone.now()
    seq = head.seq + 1
    payload = _payload(
        seq, at, actor_id, actor_name, verb, target_type, target_id, target_repr, data or {}
    )
    digest = event_hash(head.hash, payload)
    event = AuditEvent.objects.create(
        seq=seq,
        at=at,
        actor_id=actor_id,
        actor_name=actor_name,
        verb=verb,
        target_type=target_type,
        target_id=target_id,
        target_repr=target_repr,
        data=payload["data"],
        prev_hash=head.hash,
        hash=digest,
    )
    head.seq, head.hash = seq, digest
    head.save(update_fields=["seq", "hash"])
    return event


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    events: int
    head: str
    problem: str = ""
    first_bad_seq: int | None = None


def verify(expected_head: str | None = None) -> VerifyResult:
    """Recompute the whole chain; name the first event that does not match."""
    prev = GENESIS_HASH
    expected_seq = 1
    count = 0
    with transaction.atomic():
        for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
            if event.seq != expected_seq:
                return VerifyResult(
                    False,
                    count,
                    prev,
                    f"event #{expected_seq} is missing (next stored is #{event.seq})",
                    expected_seq,
                )
            if event.prev_hash != prev:
                return VerifyResult(
                    False,
                    count,
                    prev,
                    f"event #{event.seq} does not follow "
                    f"event #{event.seq - 1} (chain broken or reordered)",
                    event.seq,
                )
            payload = _payload(
                event.seq,
                event.at,
                event.actor_id,
                event.actor_name,
                event.verb,
                event.target_type,
                event.target_id,
                event.target_repr,
                event.data,
            )
            if event_hash(prev, payload) != event.hash:
                return VerifyResult(
                    False,
                    count,
                    prev,
                    f"event #{event.seq} was altered (its content does not match its hash)",
                    event.seq,
                )
            prev = event.hash
            expected_seq += 1
            count += 1
        head = AuditHead.objects.filter(pk=1).first()
    stored_head = head.hash if head else GENESIS_HASH
    if stored_head != prev:
        return VerifyResult(
            False,
            count,
            prev,
            f"the chain ends at event #{count} but the "
            f"recorded head is event #{head.seq if head else 0} (events truncated)",
            count + 1,
        )
    if expected_head and expected_head != prev:
        return VerifyResult(
            False,
            count,
            prev,
            "the chain's head differs from the head kept outside the database",
            None,
        )
    return VerifyResult(True, count, prev)


def current_head() -> tuple[int, str]:
    head = AuditHead.objects.filter(pk=1).first()
    return (head.seq, head.hash) if head else (0, GENESIS_HASH)


# The optimistic-locking field of the models that have one: one step per save.
VERSION = "version"


class StaleEditError(Exception):
    """Someone else saved the record since this edit was loaded."""

    def __init__(self, instance: models.Model) -> None:
        super().__init__(
            f"{instance} was changed by someone else since you opened it. "
            "Reload it, check their change, and apply yours again."
        )


def save_audited[M: models.Model](
    *,
    actor: Any,
    instance: M,
    m2m: Mapping[str, Iterable[Any]] | None = None,
    expected_version: int | None = None,
    verb: str | None = None,
) -> M:
    """Validate, save and record one object in one transaction.

    Models with a ``version`` field are protected against lost updates: the save is refused
    with StaleEditError when ``expected_version`` is not the stored version.
    """
    model = type(instance)
    has_version = any(f.name == VERSION for f in model._meta.concrete_fields)
    with transaction.atomic():
        before: dict[str, Any] = {}
        creating = instance.pk is None
        if not creating:
            stored = model._default_manager.select_for_update().get(pk=instance.pk)
            before = snapshot(stored)
            if has_version:
                stored_version: int = getattr(stored, VERSION)
                if expected_version is not None and stored_version != expected_version:
                    raise StaleEditError(stored)
                setattr(instance, VERSION, stored_version + 1)
        instance.full_clean()
        instance.save()
        for name, values in (m2m or {}).items():
            getattr(instance, name).set(values)
        after = snapshot(instance)
        record(
            actor=actor,
            verb=verb or ("create" if creating else "update"),
            target=instance,
            data={"after": after} if creating else {"changes": changes(before, after)},
        )
    return instance


def delete_audited(*, actor: Any, instance: models.Model) -> None:
    with transaction.atomic():
        before = snapshot(instance)
        record(actor=actor, verb="delete", target=instance, data={"before": before})
        instance.delete()


class _ChainHead(TypedDict):
    seq: int  # the last event's sequence number and hash, as events are appended
    prev: str


@dataclass(frozen=True)
class AuditEntry:
    """One event to append with record_many: what changed, described by plain values."""

    target_type: str
    target_id: str
    target_repr: str
    data: Mapping[str, Any]


def record_many(*, actor: Any, verb: str, entries: Iterable[AuditEntry]) -> int:
    """Append one event per entry (e.g. one per row of a bulk change), in the caller's transaction.

    This is the path for bulk operations: every changed row still gets its own chained event.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("audit.record_many() must run inside the transaction of the change")
    head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
    actor_id = getattr(actor, "pk", None)
    actor_name = getattr(actor, "username", None) or str(actor or "system")
    at = timezone.now()
    at_text = at.astimezone(dt.UTC).isoformat()
    at_stored = AuditEvent._meta.get_field("at").get_db_prep_save(at, connection)
    state: _ChainHead = {"seq": head.seq, "prev": head.hash}

    def dump(value: Any) -> str:
        # A string as json.dumps(ensure_ascii=False) writes it, by the json module's C quoter.
        return _quote(value) if isinstance(value, str) else json.dumps(value, ensure_ascii=False)

    # The canonical payload (sorted keys: actor, actor_id, at, data, seq, target, target_id,
    # target_type, verb) assembled around the data's own canonical text: the same bytes as
    # canonical(payload), without serialising every row's data twice.
    verb_text = dump(verb)
    before_data = (
        f'{{"actor":{dump(actor_name)},"actor_id":{dump(actor_id)},"at":{dump(at_text)},"data":'  # noqa: E501
    )

    before_bytes = before_data.encode()

    def rows() -> Iterator[tuple[Any, ...]]:
        for entry in entries:
            seq = state["seq"] + 1
            data_text = canonical(entry.data)
            text = (
                before_bytes
                + data_text
                + f',"seq":{seq},"target":{dump(entry.target_repr)},'
                f'"target_id":{dump(entry.target_id)},"target_type":{dump(entry.target_type)},'
                f'"verb":{verb_text}}}'.encode()
            )
            digest = _chain(state["prev"], text)
            yield (
                seq,
                at_stored,
                actor_id,
                actor_name,
                verb,
                entry.target_type,
                entry.target_id,
                entry.target_repr,
                # Stored as the very text the hash covers: read back, it is the same data.
                json_param(data_text.decode()),
                state["prev"],
                digest,
            )
            state["seq"], state["prev"] = seq, digest

    count = insert_many(
        AuditEvent,
        [
            "seq",
            "at",
            "actor_id",
            "actor_name",
            "verb",
            "target_type",
            "target_id",
            "target_repr",
            "data",
            "prev_hash",
            "hash",
        ],
        rows(),
        prepared=("at", "data"),
    )
    head.seq, head.hash = state["seq"], state["prev"]
    head.save(update_fields=["seq", "hash"])
    return count


def record_bulk(*, actor: Any, verb: str, targets: Iterable[models.Model]) -> int:
    """Append one event per saved object (e.g. after bulk_create), in the caller's transaction."""
    return record_many(
        actor=actor,
        verb=verb,
        entries=(
            AuditEntry(
                target._meta.label_lower,
                str(target.pk),
                str(target)[:200],
                {"after": snapshot(target, fields=[f.name for f in target._meta.concrete_fields])},
            )
            for target in targets
        ),
    )


# ---- many records at once: the bulk variant of save_audited, for a record's own actions ----


def values_of(obj: models.Model, names: Iterable[str] | None = None) -> dict[str, Any]:
    """Concrete field values by attname (``donor_id``), as the audit trail records them.

    The audit service canonicalises them to JSON; doing it here too would double the cost of a
    200,000-row import.
    """
    plan = _stored_plan(type(obj))
    if names is not None:
        wanted = set(names)
        plan = tuple(p for p in plan if p[0] in wanted)
    values = {}
    for _name, attname, places in plan:
        value = getattr(obj, attname)
        if places is not None and isinstance(value, Decimal):
            value = value.quantize(places)
        values[attname] = value
    return values


@functools.cache
def _stored_plan(model: type[models.Model]) -> tuple[tuple[str, str, Decimal | None], ...]:
    # (name, attname, the decimal step of a DecimalField): what ``_as_stored`` asks per value,
    # asked once per model. Concrete fields' ``value_from_object`` is the attribute itself.
    return tuple(
        (
            f.name,
            f.attname,
            Decimal(1).scaleb(-f.decimal_places)
            if isinstance(f, models.DecimalField) and f.decimal_places is not None
            else None,
        )
        for f in model._meta.concrete_fields
    )


def checked(
    instance: models.Model,
    problems: Iterable[tuple[str, tuple[str, str]]] = (),
    *,
    new_reference: bool = False,
) -> ValidationError | None:
    """The error of one record of a batch: its action's own ``problems`` ((field, (message,
    rule)) pairs, each error coded with its rule), then its model's rules (code "model") run
    without a query per record: related objects already set are not looked up again, and the
    reference of a new record is its action's to give. None when it passes.

    A record that passed is not checked against its model's rules again while its values stay
    as they were: an import checks each row to report it, then its action checks the batch
    before writing; the model's rules of the same values give the same answer (the action's own
    ``problems`` are asked each time)."""
    errors: dict[str, list[ValidationError]] = {}
    for name, (message, rule) in problems:
        errors.setdefault(name, []).append(ValidationError(message, code=rule))
    stamp = getattr(instance, "_passed_model_rules", None)
    if not errors and stamp is not None and stamp == _values_stamp(instance, new_reference):
        return None
    model = type(instance)
    exclude = [f.name for f in _related_fields(model) if f.is_cached(instance)]
    if new_reference:
        exclude.append("reference")
    passed = _PASSED.get()
    if passed is not None:
        exclude += _passed_fields(instance, passed)
    try:
        instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(ValidationError(m, code="model") for m in messages)
    if errors:
        return ValidationError(errors)
    if passed is not None:
        _remember_passed(instance, passed, set(exclude))
    instance._passed_model_rules = _values_stamp(instance, new_reference)  # type: ignore[attr-defined]
    return None


# A field's own validation (``Field.clean``: its type, choices, blank and null, validators) is a
# function of its value alone; the record's rules across fields (``Model.clean``) are not. Within
# a batch (``same_field_rules``), a value a field has accepted once is not validated again: a
# 200,000-row import has a few hundred distinct quantities, dates and statuses.
_PASSED: ContextVar[set[tuple[Any, ...]] | None] = ContextVar("passed_field_values", default=None)
_PASSED_MAX = 20_000


@contextmanager
def same_field_rules() -> Iterator[None]:
    """Within this block, ``checked`` validates each value of a plain field once per model."""
    token = _PASSED.set(set())
    try:
        yield
    finally:
        _PASSED.reset(token)


@functools.cache
def _plain_fields(model: type[models.Model]) -> tuple[tuple[str, str], ...]:
    # (name, attname) of the fields whose validation reads nothing but their value.
    return tuple(
        (f.name, f.attname)
        for f in model._meta.concrete_fields
        if not f.is_relation and not f.primary_key and not getattr(f, "generated", False)
    )


def _passed_fields(instance: models.Model, passed: set[tuple[Any, ...]]) -> list[str]:
    model, values = type(instance), instance.__dict__
    out = []
    for name, attname in _plain_fields(model):
        value = values.get(attname)
        try:
            if (model, name, type(value), value) in passed:
                out.append(name)
        except TypeError:  # unhashable: validated each time
            pass
    return out


def _remember_passed(
    instance: models.Model, passed: set[tuple[Any, ...]], skipped: set[str]
) -> None:
    if len(passed) > _PASSED_MAX:
        passed.clear()
    model, values = type(instance), instance.__dict__
    for name, attname in _plain_fields(model):
        if name in skipped:
            continue
        value = values.get(attname)  # as cleaned: cleaning it again gives it back unchanged
        with suppress(TypeError):  # unhashable: validated each time
            passed.add((model, name, type(value), value))


@functools.cache
def _related_fields(model: type[models.Model]) -> tuple[Any, ...]:
    return tuple(f for f in model._meta.concrete_fields if isinstance(f, RelatedField))


def _values_stamp(instance: models.Model, new_reference: bool) -> tuple[Any, ...]:
    # The instance's own attribute values (not its state, not this stamp): cheap to take and to
    # compare, unlike running every field's validators again. The names (one tuple shared by
    # every instance of the same shape), then the values: a copy of each one's dict took a
    # quarter of an import's memory.
    values = instance.__dict__
    names = tuple(values)
    shape = _SHAPES.get(names)
    if shape is None:
        keys = tuple(k for k in names if k not in _NOT_VALUES)
        shape = _SHAPES[names] = (_KEYS.setdefault(keys, keys), itemgetter(*keys))
    taken = shape[1](values)
    try:
        # Their hash, when the values have one: 200,000 stamped objects stay in an import's
        # memory, and a hash is a tenth of the values' tuple. A tuple's hash changes whenever
        # one element's hash does; two elements changed together could, at a chance of one
        # in 2**64, hash the same and skip one re-check of rules the values already passed.
        return new_reference, shape[0], hash(taken)
    except TypeError:  # a JSON value, a list: the values themselves
        return new_reference, shape[0], taken


_NOT_VALUES = {"_state", "_passed_model_rules"}
# The attribute names of an instance -> (its value names, one tuple for all, and their getter).
_SHAPES: dict[tuple[str, ...], tuple[tuple[str, ...], Callable[[Any], Any]]] = {}
_KEYS: dict[tuple[str, ...], tuple[str, ...]] = {}


def create_many_audited(
    *, actor: Any, objects: Sequence[models.Model], unique_field: str, verb: str = "create"
) -> int:
    """Insert validated new objects in few statements and record one event per object, the
    same event ``save_audited`` records for one. ``unique_field`` (a reference, a code) finds
    the new rows' ids. Runs in the caller's transaction."""
    if not objects:
        return 0
    model = type(objects[0])
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    now = timezone.now()
    stamped = [
        f.attname
        for f in fields
        if getattr(f, "auto_now_add", False) or getattr(f, "auto_now", False)
    ]
    for obj in objects:
        for attname in stamped:
            setattr(obj, attname, now)
    insert_many(
        model,
        [f.attname for f in fields],
        ([getattr(obj, f.attname) for f in fields] for obj in objects),
    )
    keys = [getattr(obj, unique_field) for obj in objects]
    pks = dict(
        model._default_manager.filter(**{f"{unique_field}__in": keys}).values_list(
            unique_field, "pk"
        )
    )
    no_relations: dict[str, list[Any]] = {m2m.name: [] for m2m in model._meta.many_to_many}
    entries = []
    for obj in objects:
        obj.pk = pks[getattr(obj, unique_field)]
        after = {**values_of(obj), **no_relations}
        entries.append(
            AuditEntry(model._meta.label_lower, str(obj.pk), str(obj)[:200], {"after": after})
        )
    return record_many(actor=actor, verb=verb, entries=entries)


def update_many_audited(
    *,
    actor: Any,
    pairs: Sequence[tuple[Mapping[str, Any], models.Model]],
    verb: str = "update",
) -> int:
    """Save changed objects (each with its ``values_of`` before the change) and record what
    changed in each, as ``save_audited`` does for one. Runs in the caller's transaction."""
    if not pairs:
        return 0
    model = type(pairs[0][1])
    versioned = any(f.name == VERSION for f in model._meta.concrete_fields)
    changed: set[str] = set()
    entries = []
    for before, obj in pairs:
        if versioned:
            setattr(obj, VERSION, getattr(obj, VERSION) + 1)
        diff = changes(before, values_of(obj))
        changed |= diff.keys()
        entries.append(
            AuditEntry(model._meta.label_lower, str(obj.pk), str(obj)[:200], {"changes": diff})
        )
    # Only concrete columns (a snapshot may also name many-to-many fields), never the key.
    columns = {f.attname for f in model._meta.concrete_fields if not f.primary_key}
    changed &= columns
    if changed:
        # One UPDATE per row by key (executemany): bulk_update's CASE per column grows with
        # the batch and took most of a large re-import.
        update_many(model, sorted(changed), [obj for _, obj in pairs])
    return record_many(actor=actor, verb=verb, entries=entries)


def load_audited(
    *,
    actor: Any,
    objects: Sequence[models.Model],
    verb: str,
    audit: bool = True,
    check: bool = True,
) -> int:
    """Create a batch of new records of one model that a loader brings whole (a scenario, a
    cell's hand-over), each checked by its model's rules (``check``) and, with ``audit``, given
    its event. For an app's own load action; runs in the caller's transaction. Returns the
    number of events recorded."""
    if not objects:
        return 0
    if check:
        bad = [(obj, error) for obj in objects if (error := checked(obj)) is not None]
        if bad:
            raise ValidationError([f"{o}: {'; '.join(e.messages)}" for o, e in bad[:20]])
    model = type(objects[0])
    made = model._default_manager.bulk_create(objects, batch_size=2000)
    return record_bulk(actor=actor, verb=verb, targets=made) if audit else 0
