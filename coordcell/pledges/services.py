"""Changes to pledges. Each one is validated, saved and audited in one transaction."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext
from django.utils.translation import gettext as _

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
from coordcell.db import update_many
from coordcell.numbering.services import Numbering
from coordcell.registry.access import as_user
from coordcell.registry.models import Capability, Location, User

from .models import Pledge
from .selectors import can_confirm_pledge, can_create_pledge, can_save_pledge

if TYPE_CHECKING:
    from .deliveries import Delivered

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
    if (
        pledge.pk
        and pledge.status == Pledge.Status.WITHDRAWN
        and before_status != Pledge.Status.WITHDRAWN
    ):
        waiting = _shipments_not_departed(pledge.pk)
        if waiting:
            out.append(
                (
                    "status",
                    (
                        f"Shipments {', '.join(waiting[:5])} still carry this pledge and have not "
                        "left: cancel them first (their units then count as withdrawn).",
                        "withdraw before departure",
                    ),
                )
            )
    return out


def _shipments_not_departed(pledge_id: int) -> list[str]:
    # Shipments build on pledges: asked at call time, not imported with this module.
    from coordcell.logistics.selectors import shipments_not_departed_carrying

    return shipments_not_departed_carrying(pledge_id)


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
            Pledge.objects.filter(pk=pledge.pk).values(*CONSEQUENTIAL, "quantity").first()
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
            if before["status"] != saved.status or before["quantity"] != saved.quantity:
                pledges_refresh_allocated(
                    actor=actor, pledge_ids=[saved.pk], cause=f"pledge {saved.reference} changed"
                )
            _recompute_readiness(actor, [(before, saved)])
            from coordcell.notifications.services import notify_pledge_changed

            notify_pledge_changed(before, saved, actor)
        return saved


def pledges_confirm(
    *, actor: User, pledges: Iterable[Pledge]
) -> tuple[list[Pledge], list[tuple[Pledge, str]]]:
    """Confirm several offered pledges, each through ``pledge_save`` (its rules, audit event
    and consequences) in its own savepoint: one refused pledge does not undo the others.
    Returns the confirmed pledges and the refused ones, each with its reason in words."""
    confirmed: list[Pledge] = []
    refused: list[tuple[Pledge, str]] = []
    for pledge in pledges:
        if not can_confirm_pledge(actor, pledge):
            reason = (
                _("only an offered pledge is confirmed (this one is “%(status)s”).")
                % {"status": pledge.get_status_display()}
                if getattr(actor, "is_coordinator", False)
                else _("the coordination cell confirms pledges.")
            )
            refused.append((pledge, reason))
            continue
        version = pledge.version
        pledge.status = Pledge.Status.CONFIRMED
        try:
            with transaction.atomic():
                confirmed.append(pledge_save(actor=actor, pledge=pledge, expected_version=version))
        except (ValidationError, PermissionDenied) as exc:
            pledge.status = Pledge.Status.OFFERED
            messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
            refused.append((pledge, " ".join(messages)))
    return confirmed, refused


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
    deliveries: Sequence[Delivered] = (),
) -> None:
    """Create and update many pledges in the caller's transaction (an import): the rules of
    ``pledge_check``, one audit event per pledge as ``pledge_save`` records it, references from
    the counter, and readiness recomputed once for the pledges whose dates or status moved.
    Refused whole (ValidationError naming the pledges) if any pledge breaks a rule.

    ``deliveries``: the delivered history of these pledges' rows (``deliveries.Delivered``, a
    tracker's delivered units), written after the pledges in the same transaction, audited."""
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
        if deliveries:
            from .deliveries import pledge_deliveries_save_many

            pledge_deliveries_save_many(actor=actor, rows=deliveries)
        _recompute_readiness(actor, [(before, pledge) for before, pledge in updates])
        from coordcell.notifications.services import notify_pledges_changed

        notify_pledges_changed(updates, actor)


def _ledgers(pledge_ids: Iterable[int]) -> dict[int, Any]:
    # The ledger counts allocation lines and shipments, which build on pledges: it is asked at
    # call time, not imported with this module.
    from coordcell.logistics.ledger import pledge_ledgers

    return pledge_ledgers(pledge_ids)


def pledges_refresh_allocated(*, actor: Any, pledge_ids: Iterable[int], cause: str) -> list[Pledge]:
    """Store each pledge's committed quantity (allocated, shipped, delivered or lost: what is no
    longer the donor's to offer) as its ledger counts it; audit those that moved.

    The only writer of ``Pledge.allocated_quantity``. Runs in the caller's transaction."""
    ids = sorted(set(pledge_ids))
    if not ids:
        return []
    ledgers = _ledgers(ids)
    changed: list[tuple[Pledge, int]] = []
    for pledge in Pledge.objects.filter(pk__in=ids).order_by("pk"):
        committed = ledgers[pledge.pk].committed
        if pledge.quantity is not None:  # undisclosed: what is known committed, unbounded
            committed = min(committed, pledge.quantity)
        if committed != pledge.allocated_quantity:
            changed.append((pledge, pledge.allocated_quantity))
            pledge.allocated_quantity = committed
            pledge.version += 1
    if not changed:
        return []
    with transaction.atomic():
        update_many(Pledge, ["allocated_quantity", "version"], [p for p, _ in changed])
        record_many(
            actor=actor,
            verb="pledge.allocated",
            entries=(
                AuditEntry(
                    "pledges.pledge",
                    str(p.pk),
                    p.reference,
                    {
                        "changes": {"allocated_quantity": [old, p.allocated_quantity]},
                        "ledger": ledgers[p.pk].as_dict(),
                        "cause": cause[:200],
                    },
                )
                for p, old in changed
            ),
        )
    return [p for p, _ in changed]


def pledges_check_free(quantities: Mapping[int, int]) -> None:
    """Refuse, naming every pledge, when one is no longer confirmed or has not that many units
    free (another plan was committed, or the pledge changed, since a run was solved).

    Locks the pledges (in id order, so two commits cannot deadlock) for the caller's
    transaction: a concurrent commit waits, then counts what this one allocated."""
    pledges = {
        p.pk: p for p in Pledge.objects.select_for_update().filter(pk__in=quantities).order_by("pk")
    }
    ledgers = _ledgers(quantities)
    short = [
        f"{pledges[pid].reference}: {qty} planned, {ledgers[pid].free} free"
        for pid, qty in sorted(quantities.items())
        if pledges[pid].status != Pledge.Status.CONFIRMED or qty > ledgers[pid].free
    ]
    if short:
        raise ValidationError(
            "The situation changed since this run was solved (another plan was committed, "
            "or a pledge changed): "
            + "; ".join(short[:10])
            + (f" and {len(short) - 10} more" if len(short) > 10 else "")
            + ". Run the allocation again."
        )


def pledge_delete(*, actor: User, pledge: Pledge) -> None:
    """Only a pledge nothing was allocated from can be deleted; otherwise withdraw it."""
    _refuse_unless(can_save_pledge(actor, pledge))
    if pledge.allocated_quantity:
        raise ValidationError(
            gettext(
                "Part of this pledge is allocated: it cannot be deleted. Release the allocation, "
                "then withdraw the pledge."
            )
        )
    try:
        delete_audited(actor=actor, instance=pledge)
    except ProtectedError as exc:
        # Still named by a run's lines or a shipment.
        raise ValidationError(
            gettext(
                "%(ref)s is still in use (by an allocation run or a shipment) and cannot be "
                "deleted; withdraw it instead."
            )
            % {"ref": pledge.reference}
        ) from exc


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
