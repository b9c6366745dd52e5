"""Reference records an import creates: a category, a donor nation or a location the register
does not have yet, named by the sheet and described by the mapping's ``create:`` section::

    create:
      category:                      # the field whose unknown value it is
        "Leopard 1A5": {code: leopard-1a5, domain: armour, unit: system}
      donor:
        "Czech Republic": {code: CZ, name: Czechia}
      origin:
        "Depot Brno": {code: depot-brno, nation: CZ, latitude: 49.19, longitude: 16.61}

A dry run checks them with the register's own rules (``reference_check``: the model's rules and
who keeps reference data) and reads the rows as if they existed; a commit creates them with the
register's bulk action (``references_save_many``: one ``create`` event each in the audit trail)
in the same transaction as the rows, before the rows. Only the roles that keep reference data
create it; for anyone else the import stops with a message saying what to do instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils.text import slugify

from coordcell.registry.access import can_write_registers
from coordcell.registry.models import CategoryDomain, ItemCategory, Location, Nation
from coordcell.registry.services import reference_check, references_save_many

from . import normalise as n
from .iso_nations import iso_code, iso_name
from .specs import ImportSpec, Lookups

CREATABLE: dict[str, type[models.Model]] = {
    "nation": Nation,
    "category": ItemCategory,
    "location": Location,
}
# What the page and a mapping file give for each kind ("name" and "code" have defaults).
ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "nation": ("code", "name", "donor", "host"),
    "category": ("code", "name", "domain", "unit"),
    "location": ("code", "name", "kind", "nation", "latitude", "longitude"),
}
# The kind of location a field's new location is, unless the mapping says.
_LOCATION_KIND = {"origin": Location.Kind.DEPOT, "delivery_point": Location.Kind.DELIVERY_POINT}


class ReferenceError(ValueError):
    """The mapping's ``create:`` cannot be done; the message says what and why."""


@dataclass
class NewReferences:
    """The records to create: (field, the value in the sheet, the unsaved record)."""

    records: list[tuple[str, str, models.Model]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.records)

    def codes(self) -> dict[str, dict[str, str]]:
        out: dict[str, dict[str, str]] = {}
        for name, raw, obj in self.records:
            out.setdefault(name, {})[raw] = str(getattr(obj, "code", ""))
        return out

    def save(self, actor: Any) -> None:
        """Create them through the register's bulk action, nations first (a new location may
        be in a new nation). Runs in the caller's transaction."""
        for model in (Nation, ItemCategory, Location):
            objects = [obj for _, _, obj in self.records if type(obj) is model]
            attach(objects)
            if objects:
                references_save_many(actor=actor, creates=objects, updates=[])

    def __iter__(self) -> Any:
        return iter(self.records)


def default_code(kind: str, raw: str) -> str:
    """The code the page proposes for a new record named ``raw``."""
    if kind == "nation":
        return iso_code(raw) or ""
    return slugify(raw)[:40]


def default_name(kind: str, raw: str) -> str:
    if kind == "nation" and (code := iso_code(raw)):
        return iso_name(code)
    return n.text(raw)


def plan(
    spec: ImportSpec, create: dict[str, dict[str, dict[str, Any]]], user: Any, lookups: Lookups
) -> NewReferences:
    """The records ``create`` (the mapping's section) asks for, each checked by the register's
    rules and added to ``lookups`` so that the rows read as if it existed. ``ReferenceError``
    names every problem at once."""
    new = NewReferences()
    if not create:
        return new
    problems: list[str] = []
    wanted = [(name, raw) for name, values in create.items() for raw in values or {}]
    if not can_write_registers(user):
        listed = ", ".join(f"{name} {raw!r}" for name, raw in wanted[:5])
        raise ReferenceError(
            f"The mapping creates reference data ({listed}); only the cell's coordinators keep "
            "reference data. Map each value to an existing record instead (values:), or ask a "
            "coordinator to create it."
        )
    for name, values in create.items():
        try:
            kind = spec.field(name).kind
        except StopIteration:
            problems.append(f"create: a {spec.kind} import has no field {name!r}.")
            continue
        if kind not in CREATABLE:
            problems.append(f"create: {name} names no register a record can be created in.")
            continue
        for raw, attributes in (values or {}).items():
            try:
                obj = _build(kind, name, str(raw), dict(attributes or {}), lookups)
            except n.Invalid as exc:
                problems.append(f"create {name} {raw!r}: {exc}")
                continue
            found = _clashes(kind, obj, lookups) + _rules(user, obj)
            code = getattr(obj, "code", "")
            twice = [
                f"another new {kind} has the code {code!r}"
                for _, _, other in new.records
                if type(other) is type(obj) and n.key(getattr(other, "code", "")) == n.key(code)
            ]
            found += twice
            if found:
                problems.append(f"create {name} {raw!r}: {'; '.join(found)}")
                continue
            lookups.add(kind, obj, str(raw))
            new.records.append((name, str(raw), obj))
    if problems:
        raise ReferenceError(" ".join(problems))
    return new


def _build(kind: str, name: str, raw: str, given: dict[str, Any], lookups: Lookups) -> models.Model:
    unknown = sorted(set(given) - set(ATTRIBUTES[kind]))
    if unknown:
        raise n.Invalid(
            f"a {kind} has no {', '.join(unknown)}; give {', '.join(ATTRIBUTES[kind])}."
        )
    code = n.text(given.get("code") or default_code(kind, raw))
    label = n.text(given.get("name") or default_name(kind, raw))
    if kind == "nation":
        return Nation(
            code=code.upper(),
            name=label,
            is_donor=n.parse_bool(given.get("donor", name == "donor")),
            is_host=n.parse_bool(given.get("host", False)),
        )
    if kind == "category":
        for required in ("domain", "unit"):
            if n.is_missing(given.get(required)):
                raise n.Invalid(f"give its {required} (one of: {_allowed(required)}).")
        return ItemCategory(
            code=code,
            name=label,
            domain=n.parse_choice(given["domain"], CategoryDomain.choices),
            unit=n.parse_choice(given["unit"], ItemCategory.Unit.choices),
        )
    for required in ("nation", "latitude", "longitude"):
        if n.is_missing(given.get(required)):
            raise n.Invalid(f"give its {required}.")
    kind_given = given.get("kind") or _LOCATION_KIND.get(name, "")
    if not kind_given:
        raise n.Invalid(f"give its kind (one of: {_allowed('kind')}).")
    return Location(
        code=code,
        name=label,
        kind=n.parse_choice(kind_given, Location.Kind.choices),
        nation=lookups.find("nation", given["nation"]),
        latitude=n.parse_decimal(given["latitude"]),
        longitude=n.parse_decimal(given["longitude"]),
    )


def _allowed(attribute: str) -> str:
    choices = {
        "domain": CategoryDomain.values,
        "unit": ItemCategory.Unit.values,
        "kind": Location.Kind.values,
    }
    return ", ".join(choices[attribute])


def _clashes(kind: str, obj: Any, lookups: Lookups) -> list[str]:
    """A new record's code or (unique) name that the register already has."""
    model = CREATABLE[kind]
    out = []
    if model._default_manager.filter(code__iexact=obj.code).exists():
        out.append(f"the code {obj.code!r} exists already: map the value to it (values:)")
    unique_name = model._meta.get_field("name").unique  # type: ignore[union-attr]
    if unique_name and model._default_manager.filter(name__iexact=obj.name).exists():
        out.append(f"the name {obj.name!r} exists already: map the value to it (values:)")
    return out


def _rules(user: Any, obj: models.Model) -> list[str]:
    error = reference_check(user, obj, before=None)
    if error is None:
        return []
    return [
        f"{name}: {message}" if name != "__all__" else message
        for name, messages in error.message_dict.items()
        for message in messages
    ]


def attach(objects: Iterable[Any]) -> None:
    """Give each object the ids of related records created since it was built (a pledge of a
    new category holds the category, its ``category_id`` was empty then)."""
    for obj in objects:
        for f in obj._meta.concrete_fields:
            if f.is_relation and f.is_cached(obj) and getattr(obj, f.attname) is None:
                related = f.get_cached_value(obj)
                if related is not None and related.pk is not None:
                    setattr(obj, f.attname, related.pk)
