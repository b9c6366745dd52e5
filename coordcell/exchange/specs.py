"""What each import type reads: its columns, how a row becomes an object, and its natural key.

A new type (allocation runs, sessions, ...) is one more ``ImportSpec`` in ``SPECS``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils import timezone

from coordcell.pledges.models import Pledge, ValuationBasis
from coordcell.pledges.selectors import can_create_pledge
from coordcell.registry.access import can_write_registers, locations_visible_to
from coordcell.registry.models import Capability, ItemCategory, Location, Nation
from coordcell.requirements.models import Requirement
from coordcell.requirements.selectors import can_create_requirement

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
        return sorted({o.pk: o for o in self._table(kind).values()}.values(), key=str)


LOOKUP_KINDS = {"nation", "category", "capability", "location"}


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
    if spec.kind in LOOKUP_KINDS:
        return lookups.find(spec.kind, value)
    result = n.text(value)
    return result.upper() if spec.upper else result


RowErrors = list[tuple[str, Any, str, str]]  # (field, value, rule, message)


@dataclass(frozen=True)
class ImportSpec:
    kind: str  # "pledges"
    model: type[models.Model]
    fields: tuple[FieldSpec, ...]
    key_fields: tuple[str, ...]  # the natural key, e.g. ("donor", "donor_reference")
    can_import: Callable[[Any], bool]
    audit_type: str = ""
    defaults: Callable[[Any], dict[str, Any]] = field(default=lambda user: {})
    # Rules beyond the model's own (the page form's, the user's scope): errors for one row.
    check: Callable[[Any, dict[str, Any], bool], RowErrors] = field(default=lambda *a: [])
    # The cell's references for the rows it creates: (count) -> that many, in order (0 takes
    # only the counter, see coordcell/numbering).
    next_references: Callable[[int], list[str]] | None = None

    def field(self, name: str) -> FieldSpec:
        return next(f for f in self.fields if f.name == name)


def _choices(cls: Any) -> tuple[tuple[Any, Any], ...]:
    return tuple((value, str(label)) for value, label in cls.choices)


def _pledge_defaults(user: Any) -> dict[str, Any]:
    if getattr(user, "is_donor_liaison", False):
        return {"donor": user.nation}
    return {}


def _pledge_check(user: Any, values: dict[str, Any], creating: bool) -> RowErrors:
    errors: RowErrors = []
    donor = values.get("donor")
    if getattr(user, "is_donor_liaison", False) and donor and donor.pk != user.nation_id:
        errors.append(
            ("donor", donor.code, "own nation", "A donor liaison pledges for its own nation only.")
        )
    status = values.get("status")
    if status and getattr(user, "is_donor_liaison", False) and status != Pledge.Status.OFFERED:
        from coordcell.pledges.services import pledge_status_refusal

        before = (
            None
            if creating
            else Pledge.objects.filter(donor=donor, donor_reference=values.get("donor_reference"))
            .values_list("status", flat=True)
            .first()
        )
        refusal = pledge_status_refusal(user, before, status)
        if refusal:
            errors.append(("status", status, "confirmed by the cell", refusal))
    origin = values.get("origin")
    if origin is not None and origin.kind != Location.Kind.DEPOT:
        errors.append(("origin", origin.code, "depot", f"{origin} is not a depot."))
    available = values.get("available_from")
    if available and available > timezone.now().date() + dt.timedelta(days=5 * 365):
        errors.append(
            (
                "available_from",
                available.isoformat(),
                "five years",
                "Pledges are planned up to five years ahead; check the year.",
            )
        )
    return errors


def _requirement_check(user: Any, values: dict[str, Any], creating: bool) -> RowErrors:
    need_by = values.get("need_by")
    if creating and need_by and need_by < timezone.now().date():
        return [
            (
                "need_by",
                need_by.isoformat(),
                "past date",
                f"The need-by date {need_by.isoformat()} is already past.",
            )
        ]
    return []


def _pledge_references(count: int) -> list[str]:
    from coordcell.pledges.services import PLEDGE_REFERENCES

    return PLEDGE_REFERENCES.take(count)


PLEDGES = ImportSpec(
    kind="pledges",
    model=Pledge,
    audit_type="pledges.pledge",
    fields=(
        FieldSpec("donor", "Donor", "nation", True, ("donor nation", "nation", "country")),
        FieldSpec(
            "donor_reference",
            "Donor reference",
            "text",
            True,
            ("donor's own reference", "donor ref", "your reference", "our ref", "ref", "id"),
            help="The donor's own reference: importing the file again updates, never duplicates.",
        ),
        FieldSpec("category", "Category", "category", True, ("item category", "item", "type")),
        FieldSpec("quantity", "Quantity", "int", True, ("qty", "number", "amount", "units")),
        FieldSpec("available_from", "Available from", "date", True, ("available", "date", "from")),
        FieldSpec("origin", "Origin depot", "location", True, ("origin", "depot", "from depot")),
        FieldSpec("status", "Status", "choice", False, ("state",), _choices(Pledge.Status)),
        FieldSpec("value", "Value", "decimal", False, ("price", "worth")),
        FieldSpec("currency", "Currency", "text", False, ("ccy", "cur"), upper=True),
        FieldSpec(
            "valuation_basis",
            "Valuation basis",
            "choice",
            False,
            ("basis",),
            _choices(ValuationBasis),
        ),
        FieldSpec("conditions", "Conditions", "text", False, ("notes", "remarks", "comment")),
    ),
    key_fields=("donor", "donor_reference"),
    can_import=can_create_pledge,
    defaults=_pledge_defaults,
    check=_pledge_check,
    next_references=_pledge_references,
)


REQUIREMENTS = ImportSpec(
    kind="requirements",
    model=Requirement,
    audit_type="requirements.requirement",
    fields=(
        FieldSpec(
            "reference",
            "Reference",
            "text",
            True,
            ("source reference", "requirement", "ref", "id", "request"),
            help="The source's reference for the need: importing again updates, never duplicates.",
        ),
        FieldSpec("capability", "Capability", "capability", True, ("capability package",)),
        FieldSpec("category", "Category", "category", True, ("item category", "item", "type")),
        FieldSpec("quantity", "Quantity", "int", True, ("qty", "number", "amount")),
        FieldSpec("need_by", "Need by", "date", True, ("need-by date", "needed by", "date")),
        FieldSpec(
            "delivery_point", "Delivery point", "location", True, ("delivery", "to", "handover")
        ),
        FieldSpec(
            "priority",
            "Priority",
            "choice",
            True,
            ("prio", "urgency"),
            tuple((v, str(v)) for v, _ in Requirement.PRIORITY_CHOICES),
        ),
        FieldSpec("justification", "Justification", "text", False, ("why", "notes", "remarks")),
    ),
    key_fields=("reference",),
    can_import=can_create_requirement,
    check=_requirement_check,
)

LOCATIONS = ImportSpec(
    kind="locations",
    model=Location,
    audit_type="registry.location",
    fields=(
        FieldSpec("code", "Code", "text", True, ("location code", "id")),
        FieldSpec("name", "Name", "text", True, ("location", "place")),
        FieldSpec("kind", "Kind", "choice", True, ("type",), _choices(Location.Kind)),
        FieldSpec("nation", "Nation", "nation", True, ("country",)),
        FieldSpec("latitude", "Latitude", "decimal", True, ("lat",)),
        FieldSpec("longitude", "Longitude", "decimal", True, ("lon", "lng", "long")),
        FieldSpec("is_main_hub", "Main hub", "bool", False, ("main",)),
    ),
    key_fields=("code",),
    can_import=can_write_registers,
)

SPECS = {spec.kind: spec for spec in (PLEDGES, REQUIREMENTS, LOCATIONS)}
