"""A requirement is fulfilled by what the recipient confirmed as received, never by what was
planned or shipped. A shortfall on a delivered line returns to the allocation as open demand.

Requirement.Status has open / allocated / fulfilled / cancelled. With no "partially fulfilled"
status, a requirement short after receipt goes back to *open*; the allocation then sees its open
demand as ``quantity - received - still on the way`` (see ``selectors.quantities_by_requirement``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from coordcell.audit.services import AuditEntry, record_many
from coordcell.requirements.models import Requirement

from .ingest_support import update_many
from .lifecycle import S
from .models import ShipmentLine
from .selectors import received_quantity_by_requirement


def refresh_requirements(*, actor: Any, requirement_ids: Iterable[int]) -> list[Requirement]:
    """Set each requirement's status from what was received; audited. Returns those changed."""
    ids = sorted(set(requirement_ids))
    received = received_quantity_by_requirement(ids)
    shortfall: dict[int, bool] = defaultdict(bool)
    for line in ShipmentLine.objects.filter(requirement_id__in=ids).values(
        "requirement_id", "quantity", "received_quantity", "shipment__status"
    ):
        short_on_receipt = (
            line["received_quantity"] is not None and line["received_quantity"] < line["quantity"]
        )
        if short_on_receipt or line["shipment__status"] == S.CANCELLED:
            shortfall[line["requirement_id"]] = True
    changed: list[tuple[Requirement, str]] = []
    for requirement in Requirement.objects.filter(pk__in=ids).exclude(
        status=Requirement.Status.CANCELLED
    ):
        got = received.get(requirement.pk, 0)
        if got >= requirement.quantity:
            status = Requirement.Status.FULFILLED
        elif shortfall[requirement.pk] or requirement.status == Requirement.Status.FULFILLED:
            status = Requirement.Status.OPEN
        else:
            continue
        if status != requirement.status:
            changed.append((requirement, requirement.status))
            requirement.status = status
            requirement.version += 1
    if not changed:
        return []
    update_many(Requirement, ["status", "version"], [r for r, _ in changed])
    record_many(
        actor=actor,
        verb="requirement.fulfilment",
        entries=(
            AuditEntry(
                "requirements.requirement",
                str(r.pk),
                str(r)[:200],
                {"changes": {"status": [old, r.status]}, "received": received.get(r.pk, 0)},
            )
            for r, old in changed
        ),
    )
    return [r for r, _ in changed]
