"""Changes to requirements, validated, saved and audited in one transaction.

A requirement's status is never set by hand: ``requirements_refresh_status`` derives it (see
``status.py``) whenever what it follows from changes (a commit, a receipt, a cancelled shipment,
its own quantity, its cancellation).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext

from coordcell.audit.services import (
    AuditEntry,
    checked,
    create_many_audited,
    delete_audited,
    load_audited,
    record,
    record_many,
    save_audited,
    update_many_audited,
)
from coordcell.db import update_many
from coordcell.numbering.services import Numbering
from coordcell.registry.models import User

from .models import Requirement
from .selectors import can_cancel_requirement, can_create_requirement
from .status import Coverage, derive_status

REQUIREMENT_REFERENCES = Numbering("R", 6, Requirement)


def _check_actor(actor: Any) -> None:
    if not can_create_requirement(actor):
        raise PermissionDenied("Only coordinators and the recipient's liaisons register needs.")


def requirement_problems(requirement: Requirement, *, before_need_by: Any) -> dict[str, str]:
    """The rules of a requirement beyond its model's own (``Requirement.clean``): those that
    depend on what it was. One set for the page, the API and imports.

    ``before_need_by`` is the stored need-by date of a changed requirement, None for a new one:
    a need-by date is never set into the past (an old one, already past, may stay)."""
    need_by = requirement.need_by
    if need_by and need_by != before_need_by and need_by < timezone.now().date():
        return {
            "need_by": f"The need-by date {need_by.isoformat()} is already past; give a date "
            "from today on."
        }
    return {}


def requirement_save(
    *, actor: User, requirement: Requirement, expected_version: int | None = None
) -> Requirement:
    """Create or update a requirement. A new one gets its reference (R-000123)."""
    _check_actor(actor)
    with transaction.atomic():
        before = (
            Requirement.objects.filter(pk=requirement.pk).values("quantity", "need_by").first()
            if requirement.pk
            else None
        )
        problems = requirement_problems(
            requirement, before_need_by=before["need_by"] if before else None
        )
        if problems:
            raise ValidationError(problems)
        if requirement.pk is None:
            requirement.created_by = actor
            if not requirement.reference:
                requirement.reference = REQUIREMENT_REFERENCES.next()
        saved: Requirement = save_audited(
            actor=actor, instance=requirement, expected_version=expected_version
        )
        if before is not None and before["quantity"] != saved.quantity:
            requirements_refresh_status(
                actor=actor, requirement_ids=[saved.pk], cause="quantity changed"
            )
            saved.refresh_from_db(fields=["status", "version"])
        return saved


def requirement_check(
    actor: Any, requirement: Requirement, *, before: Mapping[str, Any] | None
) -> ValidationError | None:
    """Every rule of one requirement of a batch (model, actor, transition), without a query per
    requirement: its related objects are set, not fetched. None when it passes."""
    problems = [
        (name, (message, "past date"))
        for name, message in requirement_problems(
            requirement, before_need_by=before["need_by"] if before else None
        ).items()
    ]
    if not can_create_requirement(actor):
        refused = "Only coordinators and the recipient's liaisons register needs."
        problems.append(("reference", (refused, "role")))
    return checked(requirement, problems)


def requirements_save_many(
    *,
    actor: Any,
    creates: Sequence[Requirement],
    updates: Sequence[tuple[Mapping[str, Any], Requirement]],
) -> None:
    """Create and update many requirements in the caller's transaction (an import): the rules
    of ``requirement_check``, one audit event each as ``requirement_save`` records it, and the
    status derived again where a quantity changed. Refused whole if any breaks a rule."""
    bad = [
        (requirement, error)
        for before, requirement in [*((None, r) for r in creates), *updates]
        if (error := requirement_check(actor, requirement, before=before)) is not None
    ]
    if bad:
        raise ValidationError([f"{r.reference}: {'; '.join(e.messages)}" for r, e in bad[:20]])
    with transaction.atomic():
        missing = [r for r in creates if not r.reference]
        for requirement, reference in zip(
            missing, REQUIREMENT_REFERENCES.take(len(missing)) if missing else [], strict=True
        ):
            requirement.reference = reference
        for requirement in creates:
            requirement.created_by_id = getattr(actor, "pk", None)
        create_many_audited(actor=actor, objects=creates, unique_field="reference")
        update_many_audited(actor=actor, pairs=updates)
        requirements_refresh_status(
            actor=actor,
            requirement_ids=[r.pk for before, r in updates if before["quantity"] != r.quantity],
            cause="quantity changed",
        )


def requirement_delete(*, actor: User, requirement: Requirement) -> None:
    _check_actor(actor)
    if requirement.status != Requirement.Status.OPEN:
        raise ValidationError(
            gettext("Only an open requirement can be deleted; cancel an allocated one instead.")
        )
    try:
        delete_audited(actor=actor, instance=requirement)
    except ProtectedError as exc:
        # Still named by a run's lines, a shipment or a capability package.
        raise ValidationError(
            gettext(
                "%(ref)s is still in use (by an allocation run, a shipment or a capability "
                "package) and cannot be deleted; cancel it instead."
            )
            % {"ref": requirement.reference}
        ) from exc


def requirement_cancel(*, actor: User, requirement: Requirement, reason: str) -> Requirement:
    """The recipient no longer needs it. Refused while quantities are allocated to it or on the
    way: those are released first (by cancelling their shipments)."""
    if not can_cancel_requirement(actor, requirement):
        raise PermissionDenied("Only coordinators and the recipient's liaisons cancel needs.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {"reason": gettext("Give the reason for the cancellation: it is audited.")}
        )
    with transaction.atomic():
        locked = Requirement.objects.select_for_update().get(pk=requirement.pk)
        if locked.cancelled_at is not None:
            raise ValidationError(
                gettext("%(ref)s is already cancelled.") % {"ref": locked.reference}
            )
        coverage = _coverage([locked.pk])[locked.pk]
        if coverage.allocated or coverage.received:
            raise ValidationError(
                gettext(
                    "%(ref)s has %(allocated)s allocated and %(received)s received: only a "
                    "requirement nothing is allocated to can be cancelled. Cancel the shipments "
                    "that carry its allocation first."
                )
                % {
                    "ref": locked.reference,
                    "allocated": coverage.allocated,
                    "received": coverage.received,
                }
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


def requirements_load(
    *,
    actor: Any,
    objects: Sequence[Any],
    verb: str = "load",
    audit: bool = True,
    check: bool = True,
) -> int:
    """New requirements brought whole, with their cell references. ``actor`` None is the
    installation itself (a command such as demo-data). Returns the number of audit events."""
    if actor is not None and not can_create_requirement(actor):
        raise PermissionDenied("Only coordinators load records in bulk.")
    return load_audited(actor=actor, objects=objects, verb=verb, audit=audit, check=check)
