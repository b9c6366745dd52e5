"""What the API shows of each resource, and the shape of what it accepts.

Related objects are named by their natural key (a nation by its ISO code, a category or a location
by its code), scoped to what the requesting user may see. The serializer only parses: the rules
live in the register's form and service, which every write goes through (see ``writes.py``).
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from typing import Any, ClassVar

from django.db import connection
from django.db.models import Model, OuterRef, StringAgg, Subquery, Value
from rest_framework import serializers
from rest_framework.relations import MANY_RELATION_KWARGS

from coordcell.audit.models import AuditEvent
from coordcell.bounds import VERSION_MAX
from coordcell.pledges.models import Pledge
from coordcell.registry import access, forms
from coordcell.registry.models import (
    Capability,
    CapabilityCoalition,
    ItemCategory,
    Location,
    Nation,
    Organisation,
)
from coordcell.requirements.models import Requirement

from .changes import TYPE_CHOICES

ATTACHED_CODES = "_api_codes"
SLUG_PREFIX = "_api_slug_"  # a read's queryset annotates each to-one relation's slug under this
CODES_PREFIX = "_api_codes_"  # ... and each many-to-many relation's codes, comma-separated


def _source(field: serializers.Field[Any, Any, Any, Any]) -> str:
    # Set by bind(): every field of a serializer's ``fields`` has one.
    assert field.source is not None, field
    return field.source


class CodeList(serializers.ManyRelatedField):
    """A many-to-many relation shown as its objects' codes. A read takes them from the row's own
    query (``slug_annotations``); a write's answer from ``resources.attach_codes`` (one query per
    relation; Django's prefetch cost ~0.25 ms a row); without either, the relation itself is
    read."""

    child_relation: CodeField  # made only by CodeField.many_init

    def get_attribute(self, instance: Any) -> Any:
        source = _source(self)
        try:
            joined = instance.__dict__[CODES_PREFIX + source]
        except KeyError:
            attached = getattr(instance, ATTACHED_CODES, None)
            if attached is not None and source in attached:
                return attached[source]
            return super().get_attribute(instance)
        return joined.split(",") if joined else []  # codes are slugs: never a comma

    def to_representation(self, iterable: Any) -> list[Any]:
        return [
            value if isinstance(value, str) else self.child_relation.to_representation(value)
            for value in iterable
        ]


class CodeField(serializers.SlugRelatedField):
    """An object named by its code (or another unique slug); ``many=True`` gives a CodeList
    (DRF's own many_init, with its list class changed). A read takes the slug annotated on the
    row's own query (``slug_annotations``) rather than loading the object: a page of 100 pledges
    built 400 model instances, 300 of them for three codes."""

    @classmethod
    def many_init(cls, *args: Any, **kwargs: Any) -> CodeList:
        list_kwargs: dict[str, Any] = {"child_relation": cls(*args, **kwargs)}
        list_kwargs.update({k: v for k, v in kwargs.items() if k in MANY_RELATION_KWARGS})
        return CodeList(**list_kwargs)

    def get_attribute(self, instance: Any) -> Any:
        try:
            return instance.__dict__[SLUG_PREFIX + _source(self)]
        except KeyError:
            return super().get_attribute(instance)

    def to_representation(self, obj: Any) -> Any:
        return obj if isinstance(obj, str) else super().to_representation(obj)

    def to_internal_value(self, data: Any) -> Any:
        # No code holds a NUL character; PostgreSQL refuses one in a query (a 500, not a 400).
        if isinstance(data, str) and "\x00" in data:
            self.fail("does_not_exist", slug_name=self.slug_field, value=data.replace("\x00", ""))
        return super().to_internal_value(data)


def many_to_many(model: Any, name: str) -> tuple[Any, str, str, list[str]]:
    """A many-to-many relation's through model, its two field names there (this model's, the
    related one's), and the related model's ordering as seen from the through model."""
    relation = model._meta.get_field(name)
    target = relation.m2m_reverse_field_name()
    ordering = [
        f"-{target}__{key[1:]}" if key.startswith("-") else f"{target}__{key}"
        for key in (relation.related_model._meta.ordering or ["pk"])
    ]
    return relation.remote_field.through, relation.m2m_field_name(), target, ordering


@functools.cache
def slug_annotations(
    serializer_class: type[serializers.ModelSerializer],
) -> dict[str, Subquery]:
    """What a read's queryset annotates for the serializer's CodeFields: each to-one slug, as a
    subquery by primary key (a join would stay in the paginator's COUNT: 4 -> 17 ms), and each
    many-to-many relation's codes joined by commas, in the related model's order, where the
    database orders within an aggregate (PostgreSQL, SQLite from 3.44); elsewhere
    ``resources.attach_codes`` reads them, one query per relation for a page of 100 (~4 ms of CPU
    each, mostly binding 100 ids)."""
    model: type[Model] = serializer_class.Meta.model
    out: dict[str, Subquery] = {}
    for field in serializer_class().fields.values():
        if isinstance(field, CodeField):
            name = _source(field)
            related = model._meta.get_field(name).related_model
            assert related is not None, name  # a CodeField names a foreign key
            slug = related._default_manager.filter(pk=OuterRef(f"{name}_id"))
            out[SLUG_PREFIX + name] = Subquery(slug.values(field.slug_field)[:1])
        elif isinstance(field, CodeList) and connection.features.supports_aggregate_order_by_clause:
            name = _source(field)
            through, source, target, ordering = many_to_many(model, name)
            slug_field = field.child_relation.slug_field
            codes = (
                through.objects.filter(**{source: OuterRef("pk")})
                .values(source)
                .annotate(
                    codes=StringAgg(
                        f"{target}__{slug_field}", Value(","), order_by=[*ordering, "pk"]
                    )
                )
                .values("codes")
            )
            out[CODES_PREFIX + name] = Subquery(codes)
    return out


def _code(model: Any, **kwargs: Any) -> serializers.SlugRelatedField:
    return CodeField(slug_field="code", queryset=model.objects.all(), **kwargs)


class ScopedSerializer(serializers.ModelSerializer):
    """Related fields accept only objects the user may see: ``scopes = {field: fn(user)}``."""

    scopes: dict[str, Callable[[Any], Any]] = {}
    # DRF builds a ModelSerializer's fields from the model on every request (~2.5 ms for a
    # pledge); they depend only on the class, so each class builds them once and copies them.
    _built: ClassVar[dict[type, dict[str, Any]]] = {}

    def get_fields(self) -> dict[str, Any]:
        built = self._built.get(type(self))
        if built is None:
            built = self._built[type(self)] = super().get_fields()
        fields = copy.deepcopy(built)
        for name in self.context.get("hidden_fields", ()):  # Register.hidden, per user
            fields.pop(name, None)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        for name, scope in self.scopes.items():
            field = fields.get(name)
            if field is None:
                continue
            target: Any = getattr(field, "child_relation", field)  # a RelatedField
            target.queryset = scope(user)
        return fields


class ReadOnlyRefused(serializers.ModelSerializer):
    """A read-only field sent with another value than it has is refused, not silently ignored:
    a client that sets a requirement's status (derived) or a pledge's reference is told so."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            errors = {}
            for name, field in self.fields.items():
                if not field.read_only or name not in data or name == "id":
                    continue
                current = (
                    field.to_representation(field.get_attribute(self.instance))
                    if self.instance is not None
                    else None
                )
                if data[name] != current:
                    errors[name] = [
                        f"{name} is not set by a client"
                        + (
                            f" (it is {current!r}); leave it out or send that value."
                            if self.instance is not None
                            else "; leave it out."
                        )
                    ]
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


class VersionedSerializer(ReadOnlyRefused, ScopedSerializer):
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=VERSION_MAX,
        help_text="The version you read. Required to update: a stale version answers 409.",
    )


class LedgerField(serializers.DictField):
    """Where the record's units stand (docs/logistics.md, "The ledger"): read-only, counted
    from plan lines, shipments and discrepancies when read."""

    def __init__(self, **kwargs: Any) -> None:
        # null: a figure that follows from an undisclosed quantity (never invented as 0).
        super().__init__(child=serializers.IntegerField(allow_null=True), read_only=True, **kwargs)

    def get_attribute(self, instance: Any) -> Any:
        return getattr(instance, "ledger", {})


def _undisclosed_quantity() -> dict[str, Any]:
    # Required, and null only when meant: a client omitting the quantity is told so, one
    # sending null registers an undisclosed quantity (``quantity_disclosed`` false).
    return {
        "required": True,
        "allow_null": True,
        "help_text": "Units; null when the source has not disclosed them (left out of "
        "allocation until given).",
    }


QUANTITY_DISCLOSED_HELP = "False while the quantity is undisclosed (quantity null)."


class PledgeSerializer(VersionedSerializer):
    quantity_disclosed = serializers.BooleanField(read_only=True, help_text=QUANTITY_DISCLOSED_HELP)
    ledger = LedgerField(
        help_text="offered = allocated + shipped + delivered + lost + withdrawn + free; "
        "released: once allocated, free again; delivered_before: the part of delivered from "
        "the pledge's delivered history. While the quantity is undisclosed, offered, free and "
        "over_allocated are null."
    )
    donor = CodeField(
        slug_field="code",
        queryset=Nation.objects.filter(is_donor=True),
        required=False,
        help_text="ISO code of the donor nation; a donor liaison's own nation by default.",
    )
    category = _code(ItemCategory)
    origin = _code(Location, help_text="Code of the origin depot.")
    allowed_hubs = _code(Location, many=True, required=False)
    allowed_capabilities = _code(Capability, many=True, required=False)
    scopes = {
        "origin": access.locations_visible_to,
        "allowed_hubs": access.locations_visible_to,
    }

    class Meta:
        model = Pledge
        fields = ["id", *Pledge.SHOWN_FIELDS, "quantity_disclosed", "ledger"]
        read_only_fields = [f for f in Pledge.SHOWN_FIELDS if f not in Pledge.INPUT_FIELDS]
        extra_kwargs = {"quantity": _undisclosed_quantity()}
        validators: list[Any] = []  # uniqueness is the model's and the service's to check


class RequirementSerializer(VersionedSerializer):
    quantity_disclosed = serializers.BooleanField(read_only=True, help_text=QUANTITY_DISCLOSED_HELP)
    ledger = LedgerField(
        help_text="required = received_serviceable + in_transit + allocated + open; a donor "
        "liaison reads required and open only. While the quantity is undisclosed, required, "
        "open and over_covered are null."
    )
    capability = _code(Capability)
    category = _code(ItemCategory)
    delivery_point = _code(Location, help_text="Code of the delivery point.")
    scopes = {"delivery_point": access.locations_visible_to}

    class Meta:
        model = Requirement
        fields = ["id", *Requirement.SHOWN_FIELDS, "quantity_disclosed", "ledger"]
        read_only_fields = [
            f for f in Requirement.SHOWN_FIELDS if f not in Requirement.INPUT_FIELDS
        ]
        extra_kwargs = {"quantity": _undisclosed_quantity()}
        validators: list[Any] = []


class NationSerializer(ScopedSerializer):
    class Meta:
        model = Nation
        fields = ["id", *forms.NationForm.Meta.fields]
        validators: list[Any] = []


class OrganisationSerializer(ScopedSerializer):
    nation = _code(Nation)

    class Meta:
        model = Organisation
        fields = ["id", *forms.OrganisationForm.Meta.fields]
        validators: list[Any] = []


class ItemCategorySerializer(ScopedSerializer):
    can_serve = _code(ItemCategory, many=True, required=False)

    class Meta:
        model = ItemCategory
        fields = ["id", *forms.ItemCategoryForm.Meta.fields]
        validators: list[Any] = []


class LocationSerializer(ScopedSerializer):
    nation = _code(Nation)

    class Meta:
        model = Location
        fields = ["id", *forms.LocationForm.Meta.fields]
        validators: list[Any] = []


class CoalitionSerializer(ScopedSerializer):
    lead_nations = _code(Nation, many=True)
    members = _code(Nation, many=True, required=False)

    class Meta:
        model = CapabilityCoalition
        fields = ["id", *forms.CoalitionForm.Meta.fields]
        validators: list[Any] = []


class CapabilitySerializer(ScopedSerializer):
    coalition = CodeField(slug_field="name", queryset=CapabilityCoalition.objects.all())

    class Meta:
        model = Capability
        fields = ["id", *forms.CapabilityForm.Meta.fields]
        validators: list[Any] = []


class AuditEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = [
            "seq",
            "at",
            "actor_name",
            "verb",
            "target_type",
            "target_id",
            "target_repr",
            "data",
            "prev_hash",
            "hash",
        ]
        read_only_fields = fields


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    role = serializers.CharField()
    nation = serializers.CharField(allow_null=True)


class ChangeSerializer(serializers.Serializer):
    """One change of the feed: which record, which version it reached, what was done, when."""

    type = serializers.ChoiceField(choices=TYPE_CHOICES)
    id = serializers.IntegerField()
    version = serializers.IntegerField(
        allow_null=True, help_text="The record's version after this change, if it has one."
    )
    verb = serializers.CharField(help_text="create, update, delete or the action's own name.")
    at = serializers.DateTimeField()
    url = serializers.URLField(allow_null=True, help_text="Where the API reads the record.")


class ChangePageSerializer(serializers.Serializer):
    results = ChangeSerializer(many=True)
    next = serializers.URLField(
        allow_null=True, help_text="The next page now; null when you have read every change."
    )
    cursor = serializers.CharField(
        help_text="Where to go on from later: send it as `after` (keep it, it does not expire)."
    )
