"""Canaries and payloads in the estate's records (steps 1-3 of estate.py), written to the rows
directly: a canary is what a person could have typed, and the services already ran."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.db import models
from django.db.models import CharField, TextField, Value
from django.db.models.functions import Cast, Concat

from . import rules

if TYPE_CHECKING:
    from .estate import Estate

MARKUP = ('"><svg/onload=alert(1)>', '<img src="/etc/passwd"/>')
FORMULAS = ("=1+1", "-2+3", "@SUM(A1)", "+1+1", "\t=1+1", "\r=1+1")
PAYLOADS = (*MARKUP, *FORMULAS, "oversize")
LONG_TEXT = 20_000  # characters of an oversize TextField


def largest(model: Any, name: str) -> Any:
    """The largest value a field accepts: its declared bound (coordcell/bounds.py)."""
    from django.core.validators import MaxValueValidator

    field = model._meta.get_field(name)
    return min(v.limit_value for v in field.validators if isinstance(v, MaxValueValidator))


EVENT_TIME = {
    "ready_at_origin": "event ready at origin",
    "departed": "event departed",
    "at_hub": "event at hub",
}


def free_text_fields(model: type[models.Model], skip: frozenset[str] = frozenset()) -> list[Any]:
    """CharField/TextField a person writes: no choices, not a short code, not a login."""
    return [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, CharField | TextField)
        and not f.choices
        and (f.max_length is None or f.max_length >= 12)
        and f.name not in skip
    ]


def uncovered_models() -> list[str]:
    """Models with free text that the rules neither canary nor exempt (a new model: decide)."""
    missing = []
    for model in apps.get_models():
        label = model._meta.label_lower
        if model._meta.app_label in rules.FRAMEWORK_APPS or label in rules.OWNED:
            continue
        if free_text_fields(model) and label not in rules.EXEMPT:
            missing.append(label)
    return missing


def canary_walk(estate: Estate) -> None:
    """Every free-text field of every owned record: ``<token>-<pk>``, unless it holds one."""
    for label, ownership in rules.OWNED.items():
        model = apps.get_model(label)
        fields = free_text_fields(model, ownership.skip)
        qs = model._default_manager.select_related(*ownership.related)
        if label == "training.cohort":
            qs = qs.prefetch_related("bookings__session__site__location__nation")
        groups: dict[tuple[str, str, str], list[int]] = defaultdict(list)
        for obj in qs:
            nation = ownership.owner(obj)
            if nation is None:
                continue
            klass = ownership.klass(obj)
            for f in fields:
                value = getattr(obj, f.attname) or ""
                if rules.CANARY_RE.search(value) or (label, obj.pk, f.name) in estate.keep:
                    continue
                if _derived(label, obj):
                    continue
                groups[(f.name, nation, klass)].append(obj.pk)
        for (name, nation, klass), pks in groups.items():
            tok = estate.register(nation, f"{label}.{name}", klass)
            value = Concat(Value(f"{tok}-"), Cast("pk", output_field=CharField()))
            for chunk in range(0, len(pks), 500):
                model._default_manager.filter(pk__in=pks[chunk : chunk + 500]).update(
                    **{name: value}
                )


def _derived(label: str, obj: Any) -> bool:
    """A discrepancy raised by a check: its text is the app's, quoting canaried records."""
    return label == "logistics.discrepancy" and obj.automatic


def payloads(estate: Estate) -> None:
    """Markup, formula and oversize text in owned records (before their canary) and in the
    reference records charts and the briefing print; the largest numbers fields accept."""
    from coordcell.pledges.models import Pledge
    from coordcell.readiness.models import CapabilityPackage
    from coordcell.registry.models import (
        Capability,
        CapabilityCoalition,
        HubCapacity,
        ItemCategory,
        Location,
        Nation,
    )
    from coordcell.requirements.models import Requirement
    from coordcell.training.models import Course

    used = {s.pk for states in estate.shipments.values() for s in states.values()}
    used |= {s.pk for s in estate.route_shipments.values()}
    for label, ownership in rules.OWNED.items():
        model = apps.get_model(label)
        fields = [
            f for f in free_text_fields(model, ownership.skip) if not (f.unique or f.primary_key)
        ]
        if not fields or label in ("registry.user", "api.apitoken", "exchange.savedmapping"):
            continue
        rows = list(model._default_manager.select_related(*ownership.related).order_by("pk"))
        by_nation: dict[str, list[Any]] = defaultdict(list)
        for obj in rows:
            nation = ownership.owner(obj)
            if (label == "logistics.shipment" and obj.pk in used) or _derived(label, obj):
                continue
            if nation in ("DE", "PL", "UA", "GB"):
                by_nation[nation].append(obj)
        for objs in by_nation.values():
            for payload, obj in zip(PAYLOADS, objs[1:], strict=False):
                changes = {}
                for f in fields:
                    current = getattr(obj, f.attname) or ""
                    if (label, obj.pk, f.name) in estate.keep:
                        continue
                    changes[f.name] = _with_payload(payload, current, f.max_length)
                model._default_manager.filter(pk=obj.pk).update(**changes)
                estate.payload_rows[label].append(obj.pk)
    # Reference records: names in chart labels, PDF paragraphs and workbook cells.
    Nation.objects.filter(code="US").update(name=f"United States {MARKUP[1]}")
    Nation.objects.filter(code="FR").update(name=f"France {MARKUP[0]}")
    Capability.objects.filter(pk=Capability.objects.order_by("pk")[0].pk).update(
        name=f"{MARKUP[1]} battalion", description=MARKUP[0]
    )
    coalitions = list(CapabilityCoalition.objects.order_by("pk")[:2])
    CapabilityCoalition.objects.filter(pk=coalitions[0].pk).update(name=f"{MARKUP[0]} coalition")
    CapabilityCoalition.objects.filter(pk=coalitions[1].pk).update(name="-2+3 coalition")
    packages = list(CapabilityPackage.objects.order_by("pk")[:3])
    names = ("=1+1 package", f"{MARKUP[1]} package", f"{MARKUP[0]} package")
    for package, name in zip(packages, names, strict=True):
        CapabilityPackage.objects.filter(pk=package.pk).update(name=name)
    ItemCategory.objects.filter(code="stinger").update(name="+1+1 Stinger MANPADS")
    Course.objects.filter(code="fpv-pilot").update(name=f"FPV {MARKUP[0]}")
    Location.objects.filter(code="dp-lviv").update(name=f"Lviv {MARKUP[1]}")
    Location.objects.filter(code="lublin").update(name="@Lublin")
    # The largest numbers the fields accept.
    Pledge.objects.filter(
        pk=Pledge.objects.filter(donor__code="US", allocated_quantity=0).order_by("pk")[0].pk
    ).update(quantity=largest(Pledge, "quantity"), value=largest(Pledge, "value"))
    Requirement.objects.filter(
        pk=Requirement.objects.filter(status="open").order_by("pk")[0].pk
    ).update(quantity=largest(Requirement, "quantity"))
    HubCapacity.objects.filter(pk=HubCapacity.objects.order_by("pk")[0].pk).update(
        weekly_capacity=largest(HubCapacity, "weekly_capacity")
    )


def _with_payload(payload: str, canary_text: str, max_length: int | None) -> str:
    if payload == "oversize":
        room = (max_length or LONG_TEXT) - len(canary_text) - 1
        return f"{canary_text} {'W' * room}"
    value = f"{payload} {canary_text}"
    return value[:max_length] if max_length else value


def time_canaries(estate: Estate) -> None:
    """Distinctive days on one in-transit shipment per donor (rules.time_values): written to the
    rows directly, after everything derived from them was computed."""
    from coordcell.logistics.models import Leg, Shipment

    for nation, shipment in estate.route_shipments.items():
        v = rules.time_values(nation)
        Shipment.objects.filter(pk=shipment.pk).update(
            planned_departure=v["shipment planned departure"],
            planned_arrival=v["shipment planned handover"],
            eta=v["ETA (and leg 2 expected arrival)"],
            next_due=v["shipment next milestone due"],
            status_at=rules.at(v["shipment status time"]),
        )
        legs = {leg.sequence: leg.pk for leg in Leg.objects.filter(shipment=shipment)}
        Leg.objects.filter(pk=legs[1]).update(
            planned_departure=v["leg 1 planned departure"],
            planned_arrival=v["leg 1 planned arrival"],
            expected_departure=v["leg 1 expected departure"],
            expected_arrival=v["leg 1 expected arrival"],
            actual_departure=rules.at(v["leg 1 actual departure"]),
            actual_arrival=rules.at(v["leg 1 actual arrival"]),
        )
        Leg.objects.filter(pk=legs[2]).update(
            planned_departure=v["leg 2 planned departure"],
            planned_arrival=v["leg 2 planned arrival"],
            expected_departure=v["leg 2 expected departure"],
            expected_arrival=v["ETA (and leg 2 expected arrival)"],
        )
        for event in shipment.events.all():
            day = v[EVENT_TIME[event.status]]
            type(event).objects.filter(pk=event.pk).update(
                occurred_at=rules.at(day), recorded_at=rules.at(day, 5, 11)
            )
    for canary in rules.DATES.values():
        estate.canaries.setdefault(canary.token, canary)
    _in_packages(estate)


def _in_packages(estate: Estate) -> None:
    """A capability package of each canary shipment's goods alone: readiness, computed after the
    time canaries, reads that shipment's times (and names it) in its date, path and bottleneck."""
    from coordcell.readiness.models import CapabilityPackage, PackageItem
    from coordcell.registry.models import Capability, CapabilityCoalition

    coalition = CapabilityCoalition.objects.order_by("pk").last()
    for nation, shipment in estate.route_shipments.items():
        capability = Capability.objects.create(
            code=f"crawl-{nation.lower()}", name=f"Crawl capability {nation}", coalition=coalition
        )
        package = CapabilityPackage.objects.create(
            reference=f"CP-CRAWL-{nation}", name=f"Crawl package {nation}", capability=capability
        )
        for line in shipment.lines.all():
            PackageItem.objects.get_or_create(
                package=package, requirement_id=line.requirement_id, defaults={"role": "end_item"}
            )
    _photo_in_markup(estate)


def _photo_in_markup(estate: Estate) -> None:
    """A recipient's cohort whose unit names another nation's discrepancy photo in markup
    (``<img src=…>``): the only crew of the US package, so its text is that package's
    bottleneck, which the readiness chart prints — in the briefing's PDF too."""
    import datetime as dt

    from coordcell.logistics.models import DiscrepancyPhoto
    from coordcell.registry.models import Capability
    from coordcell.training.models import Cohort, CohortStep, Course

    photo = DiscrepancyPhoto.objects.filter(
        discrepancy__shipment=estate.shipments["DE"]["at_hub"]
    ).first()
    assert photo is not None
    unit = f'<img src="{photo.file.path}"/> crew {estate.register("UA", "training.cohort.unit")}'
    cohort = Cohort.objects.create(
        reference=f"{estate.register('UA', 'training.cohort.reference')}-photo",
        unit=unit,
        trainees=4,
        capability=Capability.objects.get(code="crawl-us"),
        earliest_release=dt.date.today(),
    )
    CohortStep.objects.create(
        cohort=cohort, course=Course.objects.get(code="nato-proc"), position=1
    )
