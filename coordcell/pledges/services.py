"""Changes to pledges. Each one is validated, saved and audited in one transaction."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F

from coordcell.audit.services import AuditEntry, delete_audited, record_many, save_audited
from coordcell.numbering.services import Numbering
from coordcell.registry.models import Capability, Location, User

from .models import Pledge

PLEDGE_REFERENCES = Numbering("P", 6, Pledge)


def _check_donor(actor: User, pledge: Pledge) -> None:
    if actor.is_donor_liaison and pledge.donor_id != actor.nation_id:
        raise ValidationError({"donor": "A donor liaison pledges for its own nation only."})
    if not (actor.is_coordinator or actor.is_donor_liaison):
        raise PermissionDenied("Only coordinators and donor liaisons register pledges.")


def pledge_status_refusal(actor: Any, before: str | None, after: str) -> str:
    """Why ``actor`` may not give a pledge status ``after`` (it had ``before``; None: a new
    pledge), or "" when it may.

    Decision (docs/security.md): a donor offers, the cell confirms. A confirmed pledge is what the
    allocation plans with and what the recipient is shown, and both dashboards count "pledges
    offered, awaiting confirmation": confirming is the coordination cell's act. A donor liaison
    registers pledges as offered and may withdraw them; it neither confirms one nor takes a
    confirmation back (withdrawing is how a donor takes a pledge back)."""
    if before == after or getattr(actor, "is_coordinator", False):
        return ""
    S = Pledge.Status
    if after == S.CONFIRMED:
        return (
            "The coordination cell confirms a pledge: register it as offered; the cell confirms "
            "it once it has checked it."
        )
    if before == S.CONFIRMED and after == S.OFFERED:
        return "A confirmed pledge stays confirmed: withdraw it to take it back."
    return ""


def pledge_save(
    *,
    actor: User,
    pledge: Pledge,
    allowed_hubs: Iterable[Location] | None = None,
    allowed_capabilities: Iterable[Capability] | None = None,
    expected_version: int | None = None,
) -> Pledge:
    """Create or update a pledge. A new pledge gets its cell reference (P-000123)."""
    _check_donor(actor, pledge)
    if pledge.pk is None:
        refusal = pledge_status_refusal(actor, None, pledge.status)
        if refusal:
            raise ValidationError({"status": refusal})
    m2m: dict[str, Iterable[Any]] = {}
    if allowed_hubs is not None:
        m2m["allowed_hubs"] = allowed_hubs
    if allowed_capabilities is not None:
        m2m["allowed_capabilities"] = allowed_capabilities
    with transaction.atomic():
        before = (
            Pledge.objects.filter(pk=pledge.pk).values("available_from", "status").first()
            if pledge.pk
            else None
        )
        if before is not None:
            refusal = pledge_status_refusal(actor, before["status"], pledge.status)
            if refusal:
                raise ValidationError({"status": refusal})
        if pledge.pk is None:
            pledge.created_by = actor
            if not pledge.reference:
                pledge.reference = PLEDGE_REFERENCES.next()
        saved: Pledge = save_audited(
            actor=actor, instance=pledge, m2m=m2m, expected_version=expected_version
        )  # type: ignore[assignment]
        if before and (
            before["available_from"] != saved.available_from or before["status"] != saved.status
        ):
            from coordcell.readiness.facts import Cause
            from coordcell.readiness.services import recompute_for_pledges_after_commit

            recompute_for_pledges_after_commit(
                [saved.pk],
                cause=Cause(f"pledge {saved.reference} changed", "pledge", pledges=(saved.pk,)),
                actor=actor,
            )
        return saved


def pledges_allocate(*, actor: User, quantities: Mapping[int, int], run_reference: str) -> None:
    """Allocate committed quantities (pledge id -> units) in the caller's transaction.

    Refused, with every pledge named, when one is no longer confirmed or has not that many units
    left: another plan was committed, or the pledge changed, since the run was solved.
    """
    with transaction.atomic():
        # Lock in id order so two commits touching the same pledges cannot deadlock.
        pledges = {
            p.pk: p
            for p in Pledge.objects.select_for_update().filter(pk__in=quantities).order_by("pk")
        }
        short = [
            f"{pledges[pid].reference}: {qty} planned, "
            f"{pledges[pid].unallocated_quantity} still unallocated"
            for pid, qty in sorted(quantities.items())
            if pledges[pid].status != Pledge.Status.CONFIRMED
            or qty > pledges[pid].unallocated_quantity
        ]
        if short:
            raise ValidationError(
                "The situation changed since this run was solved (another plan was committed, "
                "or a pledge changed): "
                + "; ".join(short[:10])
                + (f" and {len(short) - 10} more" if len(short) > 10 else "")
                + ". Run the allocation again."
            )
        for pid, qty in quantities.items():
            Pledge.objects.filter(pk=pid).update(
                allocated_quantity=F("allocated_quantity") + qty, version=F("version") + 1
            )
        record_many(
            actor=actor,
            verb="allocate",
            entries=(
                AuditEntry(
                    "pledges.pledge",
                    str(pid),
                    pledges[pid].reference,
                    {
                        "changes": {
                            "allocated_quantity": [
                                pledges[pid].allocated_quantity,
                                pledges[pid].allocated_quantity + qty,
                            ]
                        },
                        "run": run_reference,
                    },
                )
                for pid, qty in sorted(quantities.items())
            ),
        )


def pledge_delete(*, actor: User, pledge: Pledge) -> None:
    """Only a pledge nothing was allocated from can be deleted; otherwise withdraw it."""
    _check_donor(actor, pledge)
    if pledge.allocated_quantity:
        raise ValidationError(
            "Part of this pledge is allocated: it cannot be deleted. Release the allocation, "
            "then withdraw the pledge."
        )
    delete_audited(actor=actor, instance=pledge)
