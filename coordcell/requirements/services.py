"""Changes to requirements, validated, saved and audited in one transaction."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from coordcell.audit.services import delete_audited, save_audited
from coordcell.numbering.services import Numbering
from coordcell.registry.models import User

from .models import Requirement

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
        if requirement.pk is None:
            requirement.created_by = actor
            if not requirement.reference:
                requirement.reference = REQUIREMENT_REFERENCES.next()
        return save_audited(actor=actor, instance=requirement, expected_version=expected_version)  # type: ignore[return-value]


def requirement_delete(*, actor: User, requirement: Requirement) -> None:
    _check_actor(actor)
    if requirement.status != Requirement.Status.OPEN:
        raise ValidationError(
            "Only an open requirement can be deleted; cancel an allocated one instead."
        )
    delete_audited(actor=actor, instance=requirement)
