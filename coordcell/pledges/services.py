"""Changes to pledges. Each one is validated, saved and audited in one transaction."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F

from coordcell.audit.services import (
    AuditEntry,
    checked,
    create_many_audited,
    delete_audited,
    load_audited,
    record_many,
    save_audited,
    update_many_audited,
)
from coordcell.numbering.services import Numbering
from coordcell.registry.access import as_user
from coordcell.registry.models import Capability, Location, User

from .models import Pledge
from .selectors import can_create_pledge, can_save_pledge

PLEDGE_REFERENCES = Numbering("P", 6, Pledge)


def pledge_problems(actor: Any, pledge: Pledge, *, before_status: str | None) -> dict[str, str]:
    """The rules of a pledge beyond its model's own (``Pledge.clean``): those that depend on
    who registers it or on what it was. One set for the page, the API and imports.

    ``before_status`` is the stored status of a changed pledge, None for a new one."""
    return {name: message for name, (message, _rule) in _problems(actor, pledge, before_status)}


def _problems(
    actor: Any, pledge: Pledge, before_status: str | None
) -> list[tuple[str, tuple[str, str]]]:
    """(field, (message, rule)) of ``pledge_problems``: the rule names what an import reports."""
    out = []
    u = as_user(actor)
    if u is not None and u.is_donor_liaison and pledge.donor_id != u.nation_id:
        out.append(("donor", ("A donor liaison pledges for its own nation only.", "own nation")))
    refusal = pledge_status_refusal(actor, before_status, pledge.status)
    if refusal:
        out.append(("status", (refusal, "confirmed by the cell")))
    return out


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
    _refuse_unless(can_save_pledge(actor, pledge))
    m2m: dict[str, Iterable[Any]] = {}
    if allowed_hubs is not None:
        m2m["allowed_hubs"] = allowed_hubs
    if allowed_capabilities is not None:
        m2m["allowed_capabilities"] = allowed_capabilities
    with transaction.atomic():
        before = (
            Pledge.objects.filter(pk=pledge.pk).values(*CONSEQUENTIAL).first()
            if pledge.pk
            else None
        )
        problems = pledge_problems(actor, pledge, before_status=before and before["status"])
        if problems:
            raise ValidationError(problems)
        if pledge.pk is None:
            pledge.created_by = actor
            if not pledge.reference:
                pledge.reference = PLEDGE_REFERENCES.next()
        saved: Pledge = save_audited(
            actor=actor, instance=pledge, m2m=m2m, expected_version=expected_version
        )
        if before is not None:
            _recompute_readiness(actor, [(before, saved)])
            from coordcell.notifications.services import notify_pledge_changed

            notify_pledge_changed(before, saved, actor)
        return saved


# The stored values whose change moves a capability package's readiness date.
CONSEQUENTIAL = ("available_from", "status")


def _recompute_readiness(actor: Any, changed: Iterable[tuple[Mapping[str, Any], Pledge]]) -> None:
    moved = [p for before, p in changed if any(before[n] != getattr(p, n) for n in CONSEQUENTIAL)]
    if not moved:
        return
    from coordcell.readiness.facts import Cause
    from coordcell.readiness.services import recompute_for_pledges_after_commit

    references = ", ".join(p.reference for p in moved[:5]) + (" …" if len(moved) > 5 else "")
    recompute_for_pledges_after_commit(
        [p.pk for p in moved],
        cause=Cause(f"pledge {references} changed", "pledge", pledges=tuple(p.pk for p in moved)),
        actor=actor,
    )


def _refuse_unless(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied("Only coordinators and donor liaisons register pledges.")


def pledge_check(
    actor: Any, pledge: Pledge, *, before: Mapping[str, Any] | None
) -> ValidationError | None:
    """Every rule of one pledge of a batch (model, actor, transition), without a query per
    pledge: its related objects are set, not fetched. ``before`` is ``values_of`` the stored
    pledge, None for a new one. None when it passes; each error's code names its rule."""
    problems = _problems(actor, pledge, before["status"] if before else None)
    if not can_save_pledge(actor, pledge) and not problems:
        refused = "Only coordinators and donor liaisons register pledges."
        problems.append(("donor", (refused, "role")))
    return checked(pledge, problems, new_reference=pledge.pk is None)


def pledges_save_many(
    *,
    actor: Any,
    creates: Sequence[Pledge],
    updates: Sequence[tuple[Mapping[str, Any], Pledge]],
) -> None:
    """Create and update many pledges in the caller's transaction (an import): the rules of
    ``pledge_check``, one audit event per pledge as ``pledge_save`` records it, references from
    the counter, and readiness recomputed once for the pledges whose dates or status moved.
    Refused whole (ValidationError naming the pledges) if any pledge breaks a rule."""
    bad = [
        (pledge, error)
        for before, pledge in [*((None, p) for p in creates), *updates]
        if (error := pledge_check(actor, pledge, before=before)) is not None
    ]
    if bad:
        raise ValidationError(
            [f"{p.reference or p.donor_reference}: {'; '.join(e.messages)}" for p, e in bad[:20]]
        )
    with transaction.atomic():
        references = PLEDGE_REFERENCES.take(len(creates)) if creates else []
        for pledge, reference in zip(creates, references, strict=True):
            pledge.reference = reference
            pledge.created_by_id = getattr(actor, "pk", None)
        create_many_audited(actor=actor, objects=creates, unique_field="reference")
        update_many_audited(actor=actor, pairs=updates)
        _recompute_readiness(actor, [(before, pledge) for before, pledge in updates])
        from coordcell.notifications.services import notify_pledges_changed

        notify_pledges_changed(updates, actor)


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
    _refuse_unless(can_save_pledge(actor, pledge))
    if pledge.allocated_quantity:
        raise ValidationError(
            "Part of this pledge is allocated: it cannot be deleted. Release the allocation, "
            "then withdraw the pledge."
        )
    delete_audited(actor=actor, instance=pledge)


def pledges_load(
    *,
    actor: Any,
    objects: Sequence[Any],
    verb: str = "load",
    audit: bool = True,
    check: bool = True,
) -> int:
    """New pledges brought whole, with their cell references (and links to hubs and capabilities).
    ``actor`` None is the installation itself (a command such as demo-data). Returns the number
    of audit events."""
    if actor is not None and not can_create_pledge(actor):
        raise PermissionDenied("Only coordinators load records in bulk.")
    return load_audited(actor=actor, objects=objects, verb=verb, audit=audit, check=check)
