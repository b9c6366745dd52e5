"""Changes to shipments by hand: create, split, merge, re-route, cancel. Each needs a reason,
is audited, and is allowed only before the shipment leaves its origin."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from coordcell.allocation.models import AllocationLine
from coordcell.audit.services import StaleEditError, record
from coordcell.pledges.models import Pledge
from coordcell.registry.models import Location
from coordcell.requirements.models import Requirement

from . import ingest
from .capacity_check import shipment_overloads
from .derive import refresh_shipments
from .drafts import Draft, save_drafts
from .lifecycle import CHANGEABLE, S
from .models import Shipment, ShipmentLine
from .planning import plan_legs
from .selectors import can_change_shipment, can_plan_shipments

PLANNERS_ONLY = "Only coordinators plan and change shipments."
REASON_NEEDED = "Give the reason for this change: it is audited."


def _check_planner(actor: Any) -> None:
    if not can_plan_shipments(actor):
        raise PermissionDenied(PLANNERS_ONLY)


def _check_change(actor: Any, *shipments: Shipment) -> None:
    if not all(can_change_shipment(actor, s) for s in shipments):
        raise PermissionDenied(PLANNERS_ONLY)


def _check_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": REASON_NEEDED})
    return reason


@dataclass(frozen=True)
class Item:
    """What a shipment made by hand carries: so many of a pledge for a requirement."""

    pledge: Pledge
    requirement: Requirement
    quantity: int
    allocation_line: AllocationLine | None = None


def shipment_create(
    *,
    actor: Any,
    hub: Location,
    departure: dt.date,
    items: Sequence[Item],
    reason: str,
    capacity_override: str = "",
    reference: str = "",
) -> Shipment:
    """A shipment planned by hand (e.g. an urgent delivery outside the allocation run). Refused
    when it takes the hub over its capacity in the week it passes, unless ``capacity_override``
    gives the reason to go over (recorded, see ``_check_capacity``). ``reference``: the
    source's own (an import of past shipments); else the cell's counter gives one."""
    _check_planner(actor)
    reason = _check_reason(reason)
    errors = shipment_problems(hub, items)
    if errors:
        raise ValidationError(errors)
    first = items[0]
    with transaction.atomic():
        _lock_hub(hub)
        shipment = save_drafts(
            actor,
            [
                Draft(
                    donor_id=first.pledge.donor_id,
                    origin=first.pledge.origin,
                    hub=hub,
                    delivery_point=first.requirement.delivery_point,
                    departure=departure,
                    hub_departure=None,
                    lines=[
                        ShipmentLine(
                            allocation_line=i.allocation_line,
                            pledge=i.pledge,
                            requirement=i.requirement,
                            category=i.pledge.category,
                            quantity=i.quantity,
                        )
                        for i in items
                    ],
                    reference=reference,
                )
            ],
            verb="shipment.create_by_hand",
            reason=reason,
        )[0]
        noted = _check_capacity(actor, shipment, reason, capacity_override)
        if noted != reason:
            Shipment.objects.filter(pk=shipment.pk).update(reason=noted)
            shipment.reason = noted
        return shipment


def shipment_problems(hub: Location, items: Sequence[Item]) -> list[str]:
    """What is wrong with a shipment made of ``items`` through ``hub`` ([] when nothing is):
    the rules of a shipment planned by hand, whoever plans it (the page, an import)."""
    if not items:
        return ["A shipment carries at least one item."]
    first = items[0]
    errors = []
    if hub.kind != Location.Kind.HUB:
        errors.append(f"{hub} is not a hub.")
    for n, item in enumerate(items, start=1):
        if item.quantity < 1:
            errors.append(f"Item {n}: the quantity must be at least 1.")
        if (item.pledge.donor_id, item.pledge.origin_id) != (
            first.pledge.donor_id,
            first.pledge.origin_id,
        ):
            errors.append(f"Item {n}: one shipment carries one donor's goods from one depot.")
        if item.requirement.delivery_point_id != first.requirement.delivery_point_id:
            errors.append(f"Item {n}: one shipment ends at one delivery point.")
        if item.pledge.category_id not in {
            c.pk for c in item.requirement.category.serving_categories()
        }:
            errors.append(
                f"Item {n}: {item.pledge.category} cannot serve a requirement for "
                f"{item.requirement.category}."
            )
    return errors


# ---- shipments of a batch (an import of past or planned shipments, one line each) ----

# What an imported shipment carries besides its own columns: set on it by the import.
CARGO = ("pledge", "requirement", "quantity")


def shipment_cargo(shipment: Shipment) -> dict[str, Any]:
    """A stored shipment's one line as an import row gives it (None each for several lines)."""
    lines = list(shipment.lines.select_related("pledge", "requirement")[:2])
    if len(lines) != 1:
        return dict.fromkeys(CARGO)
    return {
        "pledge": lines[0].pledge,
        "requirement": lines[0].requirement,
        "quantity": lines[0].quantity,
    }


def shipment_check(
    actor: Any, shipment: Shipment, *, before: Mapping[str, Any] | None
) -> ValidationError | None:
    """Every rule of one shipment of a batch, as ``shipment_create`` applies them (who plans,
    a reason, a hub, one donor's depot to one delivery point, a pledge that serves the need),
    for a shipment carrying ``shipment.pledge``'s items for ``shipment.requirement``
    (``quantity``). A stored shipment is changed on its page (split, merge, re-route,
    cancel): the same row again is nothing new, another is refused. None when it passes."""
    problems: list[tuple[str, tuple[str, str]]] = []
    if not can_plan_shipments(actor):
        problems.append(("__all__", (PLANNERS_ONLY, "role")))
    cargo = [getattr(shipment, name, None) for name in CARGO]
    if before is not None:
        stored = [before.get(name) for name in CARGO]
        if (before["hub_id"], before["planned_departure"], stored) != (
            shipment.hub_id,
            shipment.planned_departure,
            cargo,
        ):
            message = (
                f"{shipment.reference} exists and differs: a shipment is changed on its page "
                "(split, merge, re-route, cancel), not by an import."
            )
            problems.append(("__all__", (message, "exists")))
        shipment.reason = before["reason"]  # the same shipment again: nothing to change
        shipment.capacity_override = None  # type: ignore[attr-defined]
    else:
        if not (shipment.reason or "").strip():
            problems.append(("reason", (REASON_NEEDED, "required")))
        if len(shipment.reference) > Shipment._meta.get_field("reference").max_length:  # type: ignore[operator]
            problems.append(
                ("reference", ("A shipment reference has at most 20 characters.", "model"))
            )
        pledge, requirement, quantity = cargo
        if pledge is not None and requirement is not None and quantity is not None:
            for message in shipment_problems(shipment.hub, [Item(pledge, requirement, quantity)]):
                problems.append(("__all__", (message, "shipment")))
    if not problems:
        return None
    errors: dict[str, list[ValidationError]] = {}
    for name, (message, rule) in problems:
        errors.setdefault(name, []).append(ValidationError(message, code=rule))
    return ValidationError(errors)


def shipments_save_many(
    *,
    actor: Any,
    creates: Sequence[Shipment],
    updates: Sequence[tuple[Mapping[str, Any], Shipment]],
) -> None:
    """Create many shipments (an import) in the caller's transaction, each through
    ``shipment_create`` (its legs, its line, its audit event ``shipment.create_by_hand``, the
    hub's capacity checked with the shipments before it, ``capacity_override`` recorded).
    A stored shipment is not changed by an import (``shipment_check``)."""
    pairs = [*((None, s) for s in creates), *updates]
    bad = [(s, e) for before, s in pairs if (e := shipment_check(actor, s, before=before))]
    if bad or updates:
        raise ValidationError(
            [f"{s.reference}: {'; '.join(e.messages)}" for s, e in bad[:20]]
            or [f"{s.reference}: a shipment is changed on its page." for _b, s in updates[:20]]
        )
    with transaction.atomic():
        for shipment in creates:
            pledge, requirement, quantity = (getattr(shipment, name) for name in CARGO)
            shipment_create(
                actor=actor,
                hub=shipment.hub,
                departure=shipment.planned_departure,
                items=[Item(pledge, requirement, quantity)],
                reason=shipment.reason,
                capacity_override=getattr(shipment, "capacity_override", None) or "",
                reference=shipment.reference,
            )


def _locked(shipment: Shipment, expected_version: int | None = None) -> Shipment:
    locked = Shipment.objects.select_for_update().get(pk=shipment.pk)
    if expected_version is not None and locked.version != expected_version:
        # The API sends the version it read: a change by someone else since is not overridden.
        raise StaleEditError(locked)
    if locked.status not in CHANGEABLE:
        raise ValidationError(
            f"{locked.reference} is '{locked.get_status_display()}': only a shipment that has "
            "not left its origin can be changed by hand."
        )
    return locked


def _replan(shipment: Shipment) -> None:
    legs = list(shipment.legs.order_by("sequence"))
    sensitive = shipment.lines.filter(category__sensitive=True).exists()
    hub_departure = legs[1].planned_departure if len(legs) > 1 else None
    planned = plan_legs(
        origin=shipment.origin,
        hub=shipment.hub,
        delivery_point=shipment.delivery_point,
        departure=shipment.planned_departure,
        hub_departure=hub_departure,
        sensitive=sensitive,
    )
    for leg, new in zip(legs, planned, strict=True):
        leg.origin, leg.destination, leg.mode = new.origin, new.destination, new.mode
        leg.planned_departure, leg.planned_arrival = new.departure, new.arrival
        leg.save()
    shipment.planned_arrival = planned[-1].arrival
    shipment.save()
    refresh_shipments([shipment.pk], today=timezone.now().date())
    from coordcell.readiness.facts import Cause
    from coordcell.readiness.services import recompute_for_shipments_after_commit

    recompute_for_shipments_after_commit(
        [shipment.pk],
        cause=Cause(
            f"{shipment.reference} replanned", "shipment_replanned", shipments=(shipment.pk,)
        ),
    )


def shipment_split(
    *,
    actor: Any,
    shipment: Shipment,
    quantities: dict[int, int],
    reason: str,
    expected_version: int | None = None,
) -> Shipment:
    """Move ``quantities`` (shipment line id -> units) to a new shipment on the same route.
    With ``expected_version`` (as for every change below), a shipment changed since it was
    read is refused (``StaleEditError``)."""
    _check_change(actor, shipment)
    reason = _check_reason(reason)
    with transaction.atomic():
        shipment = _locked(shipment, expected_version)
        lines = {line.pk: line for line in shipment.lines.select_related("category")}
        errors = []
        for line_id, qty in quantities.items():
            line = lines.get(line_id)
            if line is None:
                errors.append(f"Line {line_id} is not on {shipment.reference}.")
            elif not 0 < qty <= line.quantity:
                errors.append(f"Line {line_id}: move between 1 and {line.quantity} units.")
        moved = sum(quantities.values())
        if not errors and moved >= sum(line.quantity for line in lines.values()):
            errors.append("A split leaves something on the original shipment.")
        if errors:
            raise ValidationError(errors)
        new_lines = []
        for line_id, qty in quantities.items():
            line = lines[line_id]
            new_lines.append(
                ShipmentLine(
                    allocation_line_id=line.allocation_line_id,
                    pledge_id=line.pledge_id,
                    requirement_id=line.requirement_id,
                    category=line.category,
                    quantity=qty,
                )
            )
            if qty == line.quantity:
                line.delete()
            else:
                line.quantity -= qty
                line.save(update_fields=["quantity"])
        legs = list(shipment.legs.order_by("sequence"))
        new = save_drafts(
            actor,
            [
                Draft(
                    donor_id=shipment.donor_id,
                    origin=shipment.origin,
                    hub=shipment.hub,
                    delivery_point=shipment.delivery_point,
                    departure=shipment.planned_departure,
                    hub_departure=legs[-1].planned_departure if legs else None,
                    lines=new_lines,
                    run_id=shipment.run_id,
                    dispatch_week=shipment.dispatch_week,
                )
            ],
            verb="shipment.split_off",
            reason=reason,
        )[0]
        _bump(shipment, reason)
        record(
            actor=actor,
            verb="shipment.split",
            target=shipment,
            data={"reason": reason, "moved": quantities, "into": new.reference},
        )
        return new


def shipment_merge(
    *,
    actor: Any,
    shipment: Shipment,
    other: Shipment,
    reason: str,
    capacity_override: str = "",
    expected_version: int | None = None,
) -> Shipment:
    """Move everything of ``other`` onto ``shipment`` (same donor, depot, hub and delivery
    point, neither departed); ``other`` is cancelled with the reason. When ``other`` would have
    passed the hub in another week, the units it brings into ``shipment``'s week are checked
    against the hub's capacity (``capacity_override`` as for a re-route)."""
    _check_change(actor, shipment, other)
    reason = _check_reason(reason)
    with transaction.atomic():
        _lock_hub(shipment.hub)
        first, second = sorted([shipment, other], key=lambda s: s.pk)
        a, b = _locked(first), _locked(second)
        target, source = (a, b) if a.pk == shipment.pk else (b, a)
        if expected_version is not None and target.version != expected_version:
            raise StaleEditError(target)
        if target.pk == source.pk:
            raise ValidationError("A shipment cannot be merged with itself.")
        route = ("donor_id", "origin_id", "hub_id", "delivery_point_id")
        different = [
            f.removesuffix("_id") for f in route if getattr(target, f) != getattr(source, f)
        ]
        if different:
            raise ValidationError(
                f"{source.reference} and {target.reference} differ in "
                f"{', '.join(different)}: only shipments on the same route can be merged."
            )
        if source.events.exclude(status=S.CANCELLED).exists():
            raise ValidationError(f"{source.reference} already has events: cancel it instead.")
        moved = list(source.lines.values_list("pk", flat=True))
        other_week = _hub_week(source) != _hub_week(target)
        source.lines.update(shipment=target)
        _cancel_event(actor, source, f"Merged into {target.reference}: {reason}")
        if other_week:
            reason = _check_capacity(actor, target, reason, capacity_override)
        _bump(target, reason)
        record(
            actor=actor,
            verb="shipment.merge",
            target=target,
            data={"reason": reason, "from": source.reference, "lines": moved},
        )
        return target


def shipment_reroute(
    *,
    actor: Any,
    shipment: Shipment,
    hub: Location,
    reason: str,
    capacity_override: str = "",
    expected_version: int | None = None,
) -> Shipment:
    """Send a shipment that has not left through another hub; legs and dates are replanned.
    Refused when it takes the new hub over its capacity in the week it passes, unless
    ``capacity_override`` gives the reason to go over (recorded, see ``_check_capacity``)."""
    _check_change(actor, shipment)
    reason = _check_reason(reason)
    if hub.kind != Location.Kind.HUB:
        raise ValidationError({"hub": f"{hub} is not a hub."})
    with transaction.atomic():
        _lock_hub(hub)
        shipment = _locked(shipment, expected_version)
        old = shipment.hub
        if old.pk == hub.pk:
            raise ValidationError({"hub": f"{shipment.reference} already goes through {hub}."})
        shipment.hub = hub
        _replan(shipment)
        reason = _check_capacity(actor, shipment, reason, capacity_override)
        _bump(shipment, reason)
        record(
            actor=actor,
            verb="shipment.reroute",
            target=shipment,
            data={"reason": reason, "hub": [old.code, hub.code]},
        )
        return shipment


def shipment_cancel(
    *, actor: Any, shipment: Shipment, reason: str, expected_version: int | None = None
) -> Shipment:
    """Cancel a shipment before it leaves; what it carried returns to open demand."""
    _check_change(actor, shipment)
    reason = _check_reason(reason)
    with transaction.atomic():
        shipment = _locked(shipment, expected_version)
        _cancel_event(actor, shipment, reason)
        shipment.refresh_from_db()
        _bump(shipment, reason)
        return shipment


def _cancel_event(actor: Any, shipment: Shipment, reason: str) -> None:
    ingest._ingest(
        actor,
        [
            {
                "id": f"cancel-{uuid.uuid4()}",
                "shipment": shipment.reference,
                "status": S.CANCELLED,
                "occurred_at": timezone.now().isoformat(),
                "note": reason,
            }
        ],
        strict=True,
    )


def _bump(shipment: Shipment, reason: str) -> None:
    Shipment.objects.filter(pk=shipment.pk).update(version=shipment.version + 1, reason=reason)


def _lock_hub(hub: Location) -> None:
    """Checks of one hub's capacity wait for each other: two changes cannot both take the last
    units of a week."""
    list(Location.objects.select_for_update().filter(pk=hub.pk).values_list("pk", flat=True))


def _hub_week(shipment: Shipment) -> dt.date | None:
    arrival = shipment.legs.filter(sequence=1).values_list("planned_arrival", flat=True).first()
    return arrival - dt.timedelta(days=arrival.weekday()) if arrival else None


def _check_capacity(actor: Any, shipment: Shipment, reason: str, override: str) -> str:
    """Refuse ``shipment`` (as planned, in the caller's transaction) when it takes its hub over
    capacity, naming hub, week, capacity and use; with an ``override`` reason, let it through,
    record the override (audit event ``shipment.capacity_override``) and return the reason the
    shipment shows for its last change, which then says so."""
    overloads = shipment_overloads(shipment)
    if not overloads:
        return reason
    override = (override or "").strip()
    if not override:
        raise ValidationError(
            {
                "hub": [
                    *(o.message() for o in overloads),
                    _(
                        "Choose another hub or week, or tick the capacity override and give "
                        "its reason."
                    ),
                ]
            }
        )
    record(
        actor=actor,
        verb="shipment.capacity_override",
        target=shipment,
        data={"reason": override, "over": [o.as_data() for o in overloads]},
    )
    weeks = ", ".join(sorted({o.week.isoformat() for o in overloads}))
    note = _("Over the capacity of %(hub)s in the week of %(weeks)s, overridden: %(why)s") % {
        "hub": shipment.hub,
        "weeks": weeks,
        "why": override,
    }
    return f"{reason}\n{note}"
