"""Changes to pledges. Each one is validated, saved and audited in one transaction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from coordcell.audit.services import delete_audited, save_audited
from coordcell.numbering.services import Numbering
from coordcell.registry.models import Capability, Location, User

from .models import Pledge

PLEDGE_REFERENCES = Numbering("P", 6, Pledge)


def _check_donor(actor: User, pledge: Pledge) -> None:
    if actor.is_donor_liaison and pledge.donor_id != actor.nation_id:
        raise ValidationError({"donor": "A donor liaison pledges for its own nation only."})
    if not (actor.is_coordinator or actor.is_donor_liaison):
        raise PermissionDenied("Only coordinators and donor liaisons register pledges.")


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
            from coordcell.readiness.services import recompute_for_pledges_after_commit

            recompute_for_pledges_after_commit(
                [saved.pk], cause=f"pledge {saved.reference} changed", actor=actor
            )
        return saved


def pledge_delete(*, actor: User, pledge: Pledge) -> None:
    """Only a pledge nothing was allocated from can be deleted; otherwise withdraw it."""
    _check_donor(actor, pledge)
    if pledge.allocated_quantity:
        raise ValidationError(
            "Part of this pledge is allocated: it cannot be deleted. Release the allocation, "
            "then withdraw the pledge."
        )
    delete_audited(actor=actor, instance=pledge)
