"""A pledge's delivered history: what was delivered before coordcell kept its shipments (a
tracker's "delivered units", a handover note). Each change validated, saved and audited in one
transaction; the pledge's committed quantity (``Pledge.allocated_quantity``) follows, since the
ledger counts the history as delivered."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from coordcell.audit.services import (
    AuditEntry,
    checked,
    create_many_audited,
    record_many,
    save_audited,
    snapshot,
    update_many_audited,
    values_of,
)
from coordcell.numbering.services import Numbering

from .models import Pledge, PledgeDelivery
from .selectors import can_save_pledge_delivery
from .services import pledges_refresh_allocated

DELIVERY_REFERENCES = Numbering("PD", 6, PledgeDelivery)


def _refuse_unless(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(
            "Only coordinators and the pledge's own donor record its delivered history."
        )


def pledge_delivery_save(
    *, actor: Any, delivery: PledgeDelivery, expected_version: int | None = None
) -> PledgeDelivery:
    """Record or correct one entry of a pledge's delivered history (audited); the pledge's
    committed quantity is counted again."""
    _refuse_unless(can_save_pledge_delivery(actor, delivery))
    with transaction.atomic():
        if delivery.pk is None:
            delivery.created_by = actor
            delivery.reference = DELIVERY_REFERENCES.next()
        saved: PledgeDelivery = save_audited(
            actor=actor, instance=delivery, expected_version=expected_version
        )
        pledges_refresh_allocated(
            actor=actor,
            pledge_ids=[saved.pledge_id],
            cause=f"delivered history {saved.reference} recorded",
        )
        return saved


def pledge_delivery_delete(*, actor: Any, delivery: PledgeDelivery) -> None:
    _refuse_unless(can_save_pledge_delivery(actor, delivery))
    with transaction.atomic():
        _delete_many(actor, [delivery])
        pledges_refresh_allocated(
            actor=actor,
            pledge_ids=[delivery.pledge_id],
            cause=f"delivered history {delivery.reference} removed",
        )


@dataclass(frozen=True)
class Delivered:
    """One row's delivered figure for a pledge, as an import reads it: ``quantity`` None is
    "delivered, how many undisclosed"; 0 removes the row's entry (nothing delivered)."""

    pledge: Pledge
    quantity: int | None
    delivered_on: dt.date | None
    approximate: bool
    source: str
    source_row: str


def delivered_check(actor: Any, row: Delivered) -> ValidationError | None:
    """The rules of one row's delivered history, without a query (the model's and the actor's)."""
    if row.quantity == 0:
        return None
    delivery = _entry(row, None)
    problems = []
    if not can_save_pledge_delivery(actor, delivery):
        problems.append(
            (
                "quantity",
                ("Only coordinators and the pledge's own donor record deliveries.", "role"),
            )
        )
    return checked(delivery, problems, new_reference=True)


def _entry(row: Delivered, existing: PledgeDelivery | None) -> PledgeDelivery:
    delivery = existing or PledgeDelivery(pledge=row.pledge, source_row=row.source_row)
    delivery.pledge = row.pledge
    delivery.quantity = row.quantity
    # Without a date of its own: the pledge's date, flagged approximate.
    delivery.delivered_on = row.delivered_on or row.pledge.available_from
    delivery.approximate = row.approximate or row.delivered_on is None
    delivery.source = row.source[:200]
    return delivery


def pledge_deliveries_save_many(*, actor: Any, rows: Sequence[Delivered]) -> None:
    """Each row's entry of the delivered history, created or updated (one per pledge and source
    row: an import of the same file again updates it), in the caller's transaction, one audit
    event each; the pledges' committed quantities counted again. Refused whole if a row breaks a
    rule. The pledges must be saved (an import writes them first, in the same transaction)."""
    bad = [(r, e) for r in rows if (e := delivered_check(actor, r)) is not None]
    if bad:
        raise ValidationError(
            [f"{r.pledge.reference}: {'; '.join(e.messages)}" for r, e in bad[:20]]
        )
    if not rows:
        return
    with transaction.atomic():
        stored = {
            (d.pledge_id, d.source_row): d
            for d in PledgeDelivery.objects.filter(
                pledge_id__in={r.pledge.pk for r in rows},
                source_row__in={r.source_row for r in rows},
            )
        }
        creates, updates, removed = [], [], []
        for row in rows:
            existing = stored.get((row.pledge.pk, row.source_row))
            if row.quantity == 0:
                if existing is not None:
                    removed.append(existing)
                continue
            before = values_of(existing) if existing is not None else None
            delivery = _entry(row, existing)
            if before is None:
                delivery.created_by_id = getattr(actor, "pk", None)
                creates.append(delivery)
            elif values_of(delivery) != before:
                updates.append((before, delivery))
        references = DELIVERY_REFERENCES.take(len(creates)) if creates else []
        for delivery, reference in zip(creates, references, strict=True):
            delivery.reference = reference
        create_many_audited(actor=actor, objects=creates, unique_field="reference")
        update_many_audited(actor=actor, pairs=updates)
        _delete_many(actor, removed)
        touched = [d.pledge_id for d in creates] + [d.pledge_id for _, d in updates]
        pledges_refresh_allocated(
            actor=actor,
            pledge_ids=touched + [d.pledge_id for d in removed],
            cause="delivered history imported",
        )


def _delete_many(actor: Any, deliveries: Sequence[PledgeDelivery]) -> None:
    if not deliveries:
        return
    record_many(
        actor=actor,
        verb="delete",
        entries=(
            AuditEntry("pledges.pledgedelivery", str(d.pk), str(d)[:200], {"before": snapshot(d)})
            for d in deliveries
        ),
    )
    PledgeDelivery.objects.filter(pk__in=[d.pk for d in deliveries]).delete()


def delivered_stored(pledge_ids: Sequence[int]) -> dict[tuple[int, str], dict[str, Any]]:
    """The stored history entries of ``pledge_ids`` by (pledge, source row): what an import of
    the same rows compares with, in one query."""
    return {
        (row["pledge_id"], row["source_row"]): dict(row)
        for row in PledgeDelivery.objects.filter(pledge_id__in=pledge_ids)
        .exclude(source_row="")
        .values("pledge_id", "source_row", "quantity", "delivered_on", "approximate")
    }
