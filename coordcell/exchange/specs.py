"""What each import type reads: its columns, how a row becomes an object, and its natural key.

A new type (allocation runs, sessions, ...) is one more ``ImportSpec`` in ``SPECS``.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import translation

from coordcell.audit.services import values_of
from coordcell.pledges.deliveries import Delivered, delivered_check, delivered_stored
from coordcell.pledges.forms import PledgeForm
from coordcell.pledges.models import Pledge
from coordcell.pledges.selectors import can_create_pledge
from coordcell.pledges.services import pledge_check, pledges_save_many
from coordcell.registry.access import can_write_registers, locations_visible_to
from coordcell.registry.forms import LocationForm
from coordcell.registry.models import Capability, ItemCategory, Location, Nation
from coordcell.registry.services import reference_check, references_save_many
from coordcell.requirements.forms import RequirementForm
from coordcell.requirements.models import Requirement
from coordcell.requirements.selectors import can_create_requirement
from coordcell.requirements.services import requirement_check, requirements_save_many

from . import normalise as n


@dataclass(frozen=True)
class FieldSpec:
    name: str  # the model field (attribute) it fills
    label: str  # what a spreadsheet usually calls it
    kind: str  # text, int, decimal, date, bool, choice, or a lookup: nation, category, ...
    required: bool = False
    synonyms: tuple[str, ...] = ()
    choices: tuple[tuple[Any, Any], ...] = ()
    upper: bool = False
    help: str = ""
    # A quantity the source may not disclose: a cell of ``UNDISCLOSED`` reads as None.
    undisclosed: bool = False


# What a quantity cell says when the source does not disclose it (an empty cell is no such
# statement: it stays "required").
UNDISCLOSED = frozenset(
    {"undisclosed", "not disclosed", "n/a", "na", "unknown", "?", ".", "нерозголошено"}
)


def is_undisclosed(value: Any) -> bool:
    return isinstance(value, str) and n.key(value) in UNDISCLOSED


class Lookups:
    """The reference data rows name, read once per import: by code or by name, in any case."""

    def __init__(self, user: Any) -> None:
        self.user = user
        self._tables: dict[str, dict[str, Any]] = {}
        self._ambiguous: dict[str, set[str]] = {}

    def _table(self, kind: str) -> dict[str, Any]:
        if kind not in self._tables:
            objects: Iterable[Any]
            names: Callable[[Any], tuple[str, ...]]
            if kind == "nation":
                objects, names = Nation.objects.all(), lambda o: (o.code, o.name)
            elif kind == "category":
                objects, names = ItemCategory.objects.all(), lambda o: (o.code, o.name)
            elif kind == "capability":
                objects, names = Capability.objects.all(), lambda o: (o.code, o.name)
            elif kind in EXTRA_LOOKUPS:  # the other kinds' records a row names (kinds.py)
                objects, names = EXTRA_LOOKUPS[kind](self.user)
            else:  # a location of any kind the user may see
                objects = locations_visible_to(self.user)
                names = lambda o: (o.code, o.name)  # noqa: E731
            table: dict[str, Any] = {}
            ambiguous: set[str] = set()
            for obj in objects:
                for index, name in enumerate(names(obj)):
                    k = n.key(name)
                    if k in table and table[k].pk != obj.pk:
                        if index == 0:  # a code wins over another object's name
                            table[k] = obj
                            continue
                        ambiguous.add(k)
                    table.setdefault(k, obj)
            self._tables[kind] = table
            self._ambiguous[kind] = ambiguous
        return self._tables[kind]

    def find(self, kind: str, value: Any) -> Any:
        table = self._table(kind)
        k = n.key(value)
        if k in self._ambiguous[kind]:
            raise n.Invalid(f"{n.text(value)!r} names several {kind}s: use the code.", "ambiguous")
        obj = table.get(k)
        if obj is None:
            raise n.Invalid(f"Unknown {kind} {n.text(value)!r}.", f"unknown {kind}")
        return obj

    def options(self, kind: str) -> list[Any]:
        return sorted(
            {o.pk: o for o in self._table(kind).values() if o.pk is not None}.values(), key=str
        )

    def add(self, kind: str, obj: Any, *names: str) -> None:
        """A record the import creates (not saved yet): rows naming it by ``names``, its code
        or its name find it, as if it were in the register."""
        table = self._table(kind)
        for name in (*names, obj.code, obj.name):
            table[n.key(name)] = obj
            self._ambiguous[kind].discard(n.key(name))

    def suggest(self, kind: str, value: Any, *, most: int = 3) -> list[tuple[str, str, str]]:
        """What an unknown ``value`` may stand for, best first, as (code, label, how): "existing"
        a record of the register (ISO names and aliases for nations: "Czech Republic" is CZ;
        otherwise close spellings), "new" a nation to create with its ISO code and name."""
        out: list[tuple[str, str, str]] = []
        table = self._table(kind)
        if kind == "nation":
            from .iso_nations import iso_code, iso_name

            code = iso_code(n.text(value))
            if code is not None:
                known = table.get(n.key(code))
                if known is not None and known.pk is not None:
                    out.append((known.code, f"{known} ({known.code})", "existing"))
                else:
                    out.append((code, f"{iso_name(code)} ({code})", "new"))
        names = [k for k, o in table.items() if o.pk is not None]
        for close in difflib.get_close_matches(n.key(value), names, n=most + 2, cutoff=0.6):
            obj = table[close]
            entry = (obj.code, f"{obj} ({obj.code})", "existing")
            if entry not in out:
                out.append(entry)
        return out[:most]


LOOKUP_KINDS = {"nation", "category", "capability", "location"}
# kind -> (user -> (the records this user may name, the names of one)); filled by kinds.py.
EXTRA_LOOKUPS: dict[str, Callable[[Any], tuple[Iterable[Any], Callable[[Any], tuple[str, ...]]]]]
EXTRA_LOOKUPS = {}
# kind -> parser of one cell, for the value kinds of kinds.py (a time, a list of serials).
EXTRA_KINDS: dict[str, Callable[[Any], Any]] = {}


def parse_value(spec: FieldSpec, value: Any, lookups: Lookups) -> Any:
    if spec.kind == "int":
        return n.parse_int(value)
    if spec.kind == "decimal":
        return n.parse_decimal(value)
    if spec.kind == "date":
        return n.parse_date(value)
    if spec.kind == "bool":
        return n.parse_bool(value)
    if spec.kind == "choice":
        return n.parse_choice(value, spec.choices)
    if spec.kind in LOOKUP_KINDS or spec.kind in EXTRA_LOOKUPS:
        return lookups.find(spec.kind, value)
    if spec.kind in EXTRA_KINDS:
        return EXTRA_KINDS[spec.kind](value)
    result = n.text(value)
    return result.upper() if spec.upper else result


@dataclass(frozen=True)
class ImportSpec:
    """What an import of one kind reads, and the record actions it hands the rows to.

    The fields are the record's own (its page form's, read from the model: label, kind,
    choices); the rules are the record's too (``check``, the one its bulk action applies), and
    ``save_many`` writes through that action. An import adds only what a spreadsheet needs: the
    natural key, the headers a column may have (``synonyms``), defaults for the importer."""

    kind: str  # "pledges"
    model: type[models.Model]
    fields: tuple[FieldSpec, ...]
    key_fields: tuple[str, ...]  # the natural key, e.g. ("donor", "donor_reference")
    can_import: Callable[[Any], bool]
    # The record's rules for one object of a batch: (actor, object, before) -> error or None.
    check: Callable[..., Any]
    # The record's bulk action: (actor, creates, updates as (before, object)) in one transaction.
    save_many: Callable[..., None]
    defaults: Callable[[Any], dict[str, Any]] = field(default=lambda user: {})
    # Columns that are not the model's (a cohort's course path, a pledge's delivered units):
    # set on the object as attributes for ``check`` and ``save_many``; ``stored_extra(objects)``
    # gives stored records' values of them by id (one call per chunk), so that a row changing
    # only these is an update, and one that does not is unchanged.
    extra: tuple[str, ...] = ()
    stored_extra: Callable[[list[Any]], dict[Any, dict[str, Any]]] | None = None

    def field(self, name: str) -> FieldSpec:
        return next(f for f in self.fields if f.name == name)


LOOKUP_OF: dict[type[models.Model], str] = {
    Nation: "nation",
    ItemCategory: "category",
    Capability: "capability",
    Location: "location",
}
_KINDS = {
    "DateField": "date",
    "DecimalField": "decimal",
    "BooleanField": "bool",
    "IntegerField": "int",
    "PositiveIntegerField": "int",
    "PositiveSmallIntegerField": "int",
    "SmallIntegerField": "int",
}


def fields_of(
    model: type[models.Model],
    names: Iterable[str],
    *,
    key: tuple[str, ...],
    synonyms: dict[str, tuple[str, ...]],
    upper: tuple[str, ...] = (),
    help: dict[str, str] | None = None,
    undisclosed: tuple[str, ...] = (),
) -> tuple[FieldSpec, ...]:
    """The import's fields, from the model's own definition of each (many-to-many ones are not
    read from a sheet). Labels are the English verbose names: what headers are matched with."""
    out = []
    with translation.override("en"):
        for name in names:
            f = model._meta.get_field(name)
            if f.many_to_many or not f.concrete:
                continue
            label = str(f.verbose_name)
            kind = (
                LOOKUP_OF[f.related_model]
                if f.is_relation and f.related_model is not None  # a relation has its model
                else "choice"
                if f.choices
                else _KINDS.get(f.get_internal_type(), "text")
            )
            out.append(
                FieldSpec(
                    name,
                    label[:1].upper() + label[1:],
                    kind,
                    name in key or name in undisclosed or (not f.blank and not f.has_default()),
                    synonyms.get(name, ()),
                    tuple((v, str(label)) for v, label in f.choices or ()),
                    upper=name in upper,
                    help=(help or {}).get(name, ""),
                    undisclosed=name in undisclosed,
                )
            )
    return tuple(out)


# A tracker's row gives what was committed and what was delivered: the delivered units become
# the pledge's delivered history (``pledges.deliveries``), one entry per pledge from its row.
DELIVERED_FIELDS = (
    FieldSpec(
        "delivered_quantity",
        "Delivered quantity",
        "int",
        synonyms=("delivered", "delivered units", "delivered quantity", "units delivered"),
        undisclosed=True,
        help="Units already delivered before coordcell (the pledge's delivered history); "
        "0 or empty: none recorded from this row.",
    ),
    FieldSpec(
        "delivered_on",
        "Delivered on",
        "date",
        synonyms=("delivery date", "date delivered", "delivered date"),
        help="When they were delivered; without it, the pledge's date, marked approximate.",
    ),
)
IMPORT_SOURCE_ROW = "import"


DELIVERED = ("delivered_quantity", "delivered_on")


def _delivered(pledge: Pledge) -> Delivered | None:
    if not hasattr(pledge, "delivered_quantity"):  # the row says nothing of deliveries
        return None
    return Delivered(
        pledge=pledge,
        quantity=pledge.delivered_quantity,
        delivered_on=getattr(pledge, "delivered_on", None),
        approximate=False,
        source="Import: the delivered units of the pledge's row",
        source_row=IMPORT_SOURCE_ROW,
    )


def _check_pledge(actor: Any, pledge: Pledge, *, before: Any) -> Any:
    """The pledge's rules, and those of the delivered history its row carries."""
    error = pledge_check(actor, pledge, before=before)
    row = _delivered(pledge)
    # 0 records none: nothing of it to check (most rows of a re-import without that column).
    history = delivered_check(actor, row) if row is not None and row.quantity != 0 else None
    if history is None:
        return error
    renamed = {
        "delivered_on" if name == "delivered_on" else "delivered_quantity": errors
        for name, errors in history.error_dict.items()
    }
    if error is None:
        return ValidationError(renamed)
    return ValidationError({**error.error_dict, **renamed})


def _save_pledges(*, actor: Any, creates: Any, updates: Any) -> None:
    rows = [_delivered(p) for p in [*creates, *(p for _before, p in updates)]]
    pledges_save_many(
        actor=actor,
        creates=creates,
        # A row whose delivered units alone changed changes the history, not the pledge.
        updates=[
            (own, p)
            for own, p in (
                ({k: v for k, v in before.items() if k not in DELIVERED}, p)
                for before, p in updates
            )
            if values_of(p) != own
        ],
        deliveries=[r for r in rows if r is not None],
    )


def _delivered_stored(pledges: list[Pledge]) -> dict[int, dict[str, Any]]:
    """The delivered units an earlier import recorded for these pledges; 0 where none was (as a
    row's 0 records none)."""
    stored = delivered_stored([p.pk for p in pledges])
    out: dict[int, dict[str, Any]] = {}
    for pledge in pledges:
        entry = stored.get((pledge.pk, IMPORT_SOURCE_ROW))
        out[pledge.pk] = (
            {"delivered_quantity": 0, "delivered_on": None}
            if entry is None
            else {"delivered_quantity": entry["quantity"], "delivered_on": entry["delivered_on"]}
        )
    return out


def _pledge_defaults(user: Any) -> dict[str, Any]:
    if getattr(user, "is_donor_liaison", False):
        return {"donor": user.nation}
    return {}


PLEDGES = ImportSpec(
    kind="pledges",
    model=Pledge,
    fields=fields_of(
        Pledge,
        PledgeForm.Meta.fields,
        key=("donor", "donor_reference"),
        synonyms={
            "donor": ("donor nation", "nation", "country"),
            "donor_reference": (
                "donor reference",
                "donor ref",
                "your reference",
                "our ref",
                "ref",
                "id",
            ),
            "category": ("item category", "item", "type"),
            "quantity": ("qty", "number", "amount", "units", "committed", "committed units"),
            "available_from": ("available", "date", "from"),
            "origin": ("origin", "depot", "from depot"),
            "status": ("state",),
            "value": ("price", "worth"),
            "currency": ("ccy", "cur"),
            "valuation_basis": ("basis",),
            "conditions": ("notes", "remarks", "comment"),
        },
        upper=("currency",),
        help={
            "donor_reference": "The donor's own reference: importing the file again updates, "
            "never duplicates.",
            "quantity": 'The units pledged; "undisclosed", "unknown", "n/a" or "." '
            "when the donor has not disclosed them.",
        },
        undisclosed=("quantity",),
    )
    + DELIVERED_FIELDS,
    key_fields=("donor", "donor_reference"),
    can_import=can_create_pledge,
    check=_check_pledge,
    save_many=_save_pledges,
    defaults=_pledge_defaults,
    extra=DELIVERED,
    stored_extra=_delivered_stored,
)


REQUIREMENTS = ImportSpec(
    kind="requirements",
    model=Requirement,
    fields=fields_of(
        Requirement,
        ["reference", *RequirementForm.Meta.fields],
        key=("reference",),
        synonyms={
            "reference": ("source reference", "requirement", "ref", "id", "request"),
            "capability": ("capability package",),
            "category": ("item category", "item", "type"),
            "quantity": ("qty", "number", "amount"),
            "need_by": ("need by", "needed by", "date"),
            "delivery_point": ("delivery", "to", "handover"),
            "priority": ("prio", "urgency"),
            "justification": ("why", "notes", "remarks"),
        },
        help={
            "reference": "The source's reference for the need: importing again updates, never "
            "duplicates.",
            "quantity": 'The units needed; "undisclosed", "unknown", "n/a" or "." when '
            "the source does not disclose them.",
        },
        undisclosed=("quantity",),
    ),
    key_fields=("reference",),
    can_import=can_create_requirement,
    check=requirement_check,
    save_many=requirements_save_many,
)

LOCATIONS = ImportSpec(
    kind="locations",
    model=Location,
    fields=fields_of(
        Location,
        LocationForm.Meta.fields,
        key=("code",),
        synonyms={
            "code": ("location code", "id"),
            "name": ("location", "place"),
            "kind": ("type",),
            "nation": ("country",),
            "latitude": ("lat",),
            "longitude": ("lon", "lng", "long"),
            "is_main_hub": ("main",),
        },
    ),
    key_fields=("code",),
    can_import=can_write_registers,
    check=reference_check,
    save_many=references_save_many,
)

SPECS = {spec.kind: spec for spec in (PLEDGES, REQUIREMENTS, LOCATIONS)}

# The other kinds a cell hands over (shipment events and receipts, capability packages, hub
# capacities, cohorts) are declared in ``kinds.py`` and join SPECS here.
from .kinds import KIND_SPECS  # noqa: E402

SPECS.update({spec.kind: spec for spec in KIND_SPECS})
