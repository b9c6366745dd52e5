"""Changes to requirements, validated, saved and audited in one transaction.

A requirement's status is never set by hand: ``requirements_refresh_status`` derives it (see
``status.py``) whenever what it follows from changes (a commit, a receipt, a cancelled shipment,
its own quantity, its cancellation).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from coordcell.audit.services import AuditEntry, delete_audited, record, record_many, save_audited
from coordcell.db import update_many
from coordcell.numbering.services import Numbering
from coordcell.registry.models import User

from .models import Requirement
from .selectors import can_cancel_requirement
from .status import Coverage, derive_status

REQUIREMENT_REFERENCES = Numbering("R", 6, Requirement)


def _check_actor(actor: User) -> None:
    if not (actor.is_coordinator or actor.is_recipient_liaison):
        raise PermissionDenied("Only coordinators and the recipient's liaisons register needs.")


def requirement_save(
    *, actor: User, requirement: Requirement, expected_version: int | None = None
) -> Requirement:
    """Create or update a requirement. A new one gets its reference (R-000123)."""
    _check_actor(actor)
    with transaction.atomic():
        before = (
            Requirement.objects.filter(pk=requirement.pk).values_list("quantity", flat=True).first()
            if requirement.pk
            else None
        )
        if requirement.pk is None:
            requirement.created_by = actor
            if not requirement.reference:
                requirement.reference = REQUIREMENT_REFERENCES.next()
        saved: Requirement = save_audited(
            actor=actor, instance=requirement, expected_version=expected_version
        )  # type: ignore[assignment]
        if before is not None and before != saved.quantity:
            requirements_refresh_status(
                actor=actor, requirement_ids=[saved.pk], cause="quantity changed"
            )
            saved.refresh_from_db(fields=["status", "version"])
        return saved


def requirement_delete(*, actor: User, requirement: Requirement) -> None:
    _check_actor(actor)
    if requirement.status != Requirement.Status.OPEN:
        raise ValidationError(
            "Only an open requirement can be deleted; cancel an allocated one instead."
        )
    delete_audited(actor=actor, instance=requirement)


def requirement_cancel(*, actor: User, requirement: Requirement, reason: str) -> Requirement:
    """The recipient no longer needs it. Refused while quantities are allocated to it or on the
    way: those are released first (by cancelling their shipments)."""
    if not can_cancel_requirement(actor, requirement):
        raise PermissionDenied("Only coordinators and the recipient's liaisons cancel needs.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Give the reason for the cancellation: it is audited."})
    with transaction.atomic():
        locked = Requirement.objects.select_for_update().get(pk=requirement.pk)
        if locked.cancelled_at is not None:
            raise ValidationError(f"{locked.reference} is already cancelled.")
        coverage = _coverage([locked.pk])[locked.pk]
        if coverage.allocated or coverage.received:
            raise ValidationError(
                f"{locked.reference} has {coverage.allocated} allocated and {coverage.received} "
                "received: only a requirement nothing is allocated to can be cancelled. Cancel "
                "the shipments that carry its allocation first."
            )
        locked.cancelled_at = timezone.now()
        locked.save(update_fields=["cancelled_at"])
        record(actor=actor, verb="requirement.cancel", target=locked, data={"reason": reason})
        requirements_refresh_status(actor=actor, requirement_ids=[locked.pk], cause=reason)
        locked.refresh_from_db()
        return locked


def _coverage(requirement_ids: Iterable[int]) -> dict[int, Coverage]:
    # The ledger counts allocation lines and shipments, which build on requirements: it is asked
    # at call time, not imported with this module.
    from coordcell.logistics.ledger import requirement_coverage

    return requirement_coverage(requirement_ids)


def requirements_refresh_status(
    *, actor: Any, requirement_ids: Iterable[int], cause: str
) -> list[Requirement]:
    """Derive each requirement's status from its quantities; store and audit those that moved.

    The only writer of ``Requirement.status``. Runs in the caller's transaction.
    """
    ids = sorted(set(requirement_ids))
    if not ids:
        return []
    coverage = _coverage(ids)
    changed: list[tuple[Requirement, str]] = []
    for requirement in Requirement.objects.filter(pk__in=ids).order_by("pk"):
        status = derive_status(
            required=requirement.quantity,
            coverage=coverage[requirement.pk],
            cancelled=requirement.cancelled_at is not None,
        )
        if status != requirement.status:
            changed.append((requirement, requirement.status))
            requirement.status = status
            requirement.version += 1
    if not changed:
        return []
    with transaction.atomic():
        update_many(Requirement, ["status", "version"], [r for r, _ in changed])
        record_many(
            actor=actor,
            verb="requirement.status",
            entries=(
                AuditEntry(
                    "requirements.requirement",
                    str(r.pk),
                    str(r)[:200],
                    {
                        "changes": {"status": [old, r.status]},
                        "allocated": coverage[r.pk].allocated,
                        "received": coverage[r.pk].received,
                        "cause": cause[:200],
                    },
                )
                for r, old in changed
            ),
        )
    return [r for r, _ in changed]
