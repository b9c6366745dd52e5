"""Keeping readiness current. Other apps call these explicitly after a change that can move a
package's date (no signals): the allocation commit, a shipment's ETA or receipt, a pledge's
availability, a session or booking.

    recompute_for_capabilities(capability_ids, cause="...")   # the primitive, synchronous
    recompute_for_requirements(requirement_ids, cause="...")  # allocation, receipts
    recompute_for_shipments(shipment_ids, cause="...")        # ETA changes
    recompute_for_pledges(pledge_ids, cause="...")            # a pledge slipped

Web and API writes use the deferred forms instead (``recompute_after_commit``,
``recompute_for_requirements_after_commit``, ``..._shipments_after_commit``,
``..._pledges_after_commit``): they work out the affected capabilities in the caller's transaction
and recompute them once it has committed, in a transaction of their own. A write then holds the
audit head only for its own change, not for the recompute (the recompute of a shipment-event
batch is most of its time), and the lock order stays one way: a write takes the audit head and
never locks packages; a recompute locks its packages (in id order), then the audit head.

The synchronous forms lock packages in the caller's transaction. A caller that has already
appended to the audit trail holds its head and would take head, then packages: the opposite order,
which can deadlock with a deferred recompute. Such callers use the deferred forms.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

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
from coordcell.registry.models import User
from coordcell.requirements.models import Requirement

from .compute import compute_many
from .facts import Cause, as_cause
from .models import CapabilityPackage, PackageItem, ReadinessChange
from .selectors import can_save_package
from .wording import Wording

PACKAGE_REFERENCES = Numbering("CP", 4, CapabilityPackage)

logger = logging.getLogger("coordcell.readiness")


def _shortened(text: str, limit: int) -> str:
    """``text`` within ``limit`` characters, cut after a whole reference ("S-1, S-2, …"), never
    inside one: a reader (and the page in another language) can tell where it was cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 3]  # room for ", …"
    at = max(cut.rfind(", "), cut.rfind("; "))
    return (cut[:at] if at > 0 else cut) + ", …"


def recompute_for_capabilities(
    capability_ids: Iterable[int], *, cause: str | Cause, actor: Any = None
) -> list[ReadinessChange]:
    """Recompute the packages of these capabilities; keep a ReadinessChange (and an audit event)
    for each package whose date or bottleneck moved. Runs in the caller's transaction if any.

    ``cause``: a ``facts.Cause`` (the cell's words and the records behind them, so that others
    read only what they may see), or a plain text only the cell reads.

    Locks the packages (in id order), then the audit head when something moved: a caller that
    already holds the audit head should use ``recompute_after_commit`` instead."""
    ids = sorted(set(capability_ids))
    if not ids:
        return []
    changes: list[ReadinessChange] = []
    now = timezone.now()
    why = as_cause(cause)
    with transaction.atomic():
        # Only the package rows (not the joined capabilities), and FOR NO KEY UPDATE: rows that
        # merely refer to a package or a capability (a new requirement, a ReadinessChange) are
        # not held up by a recompute.
        packages = list(
            CapabilityPackage.objects.select_for_update(of=("self",), no_key=True)
            .filter(capability_id__in=ids)
            .select_related("capability")
            .order_by("pk")
        )
        results = compute_many(packages)
        for package in packages:
            result = results[package.pk]
            first = package.computed_at is None
            moved = result.ready_on != package.ready_on or result.bottleneck != package.bottleneck
            if moved and not first:
                changes.append(
                    ReadinessChange(
                        package=package,
                        cause=_shortened(why.text, 300),
                        causes=why.as_facts(),
                        before_date=package.ready_on,
                        after_date=result.ready_on,
                        before_bottleneck=package.bottleneck,
                        after_bottleneck=result.bottleneck,
                    )
                )
            package.ready_on = result.ready_on
            package.bottleneck = result.bottleneck
            package.critical_path = result.critical_path
            package.components = result.components()
            package.computed_at = now
            package.save(
                update_fields=[
                    "ready_on",
                    "bottleneck",
                    "critical_path",
                    "components",
                    "computed_at",
                ]
            )
        ReadinessChange.objects.bulk_create(changes)
        if changes:
            from coordcell.notifications.services import notify_readiness_changes

            notify_readiness_changes(changes)
            # The trail is the cell's and the auditors' (audit_events_visible_to): the cell's words.
            cell = Wording.for_the_cell()
            record_many(
                actor=actor,
                verb="readiness-change",
                entries=(
                    AuditEntry(
                        "readiness.capabilitypackage",
                        str(c.package_id),
                        c.package.reference,
                        {
                            "cause": c.cause,
                            "ready_on": [c.before_date, c.after_date],
                            "bottleneck": [
                                cell.text(c.before_bottleneck),
                                cell.text(c.after_bottleneck),
                            ],
                        },
                    )
                    for c in changes
                ),
            )
    return changes


def _capabilities_of_requirements(requirement_ids: Iterable[int]) -> set[int]:
    ids = list(set(requirement_ids))
    caps = set(Requirement.objects.filter(pk__in=ids).values_list("capability_id", flat=True))
    caps |= set(
        PackageItem.objects.filter(requirement_id__in=ids).values_list(
            "package__capability_id", flat=True
        )
    )
    return caps


def _capabilities_of_shipments(shipment_ids: Iterable[int]) -> set[int]:
    from coordcell.logistics.models import ShipmentLine

    rids = ShipmentLine.objects.filter(shipment_id__in=list(shipment_ids)).values_list(
        "requirement_id", flat=True
    )
    return _capabilities_of_requirements(rids)


def _capabilities_of_pledges(pledge_ids: Iterable[int]) -> set[int]:
    from coordcell.allocation.models import AllocationLine

    rids = AllocationLine.objects.filter(pledge_id__in=list(pledge_ids)).values_list(
        "requirement_id", flat=True
    )
    return _capabilities_of_requirements(rids)


def recompute_for_requirements(
    requirement_ids: Iterable[int], *, cause: str | Cause, actor: Any = None
) -> list[ReadinessChange]:
    return recompute_for_capabilities(
        _capabilities_of_requirements(requirement_ids), cause=cause, actor=actor
    )


def recompute_for_shipments(
    shipment_ids: Iterable[int], *, cause: str | Cause, actor: Any = None
) -> list[ReadinessChange]:
    return recompute_for_capabilities(
        _capabilities_of_shipments(shipment_ids), cause=cause, actor=actor
    )


def recompute_for_pledges(
    pledge_ids: Iterable[int], *, cause: str | Cause, actor: Any = None
) -> list[ReadinessChange]:
    return recompute_for_capabilities(
        _capabilities_of_pledges(pledge_ids), cause=cause, actor=actor
    )


# ---- after the write's commit ----


class _PendingRecompute:
    """The capabilities (and causes) one transaction asked to recompute; run once, on commit.

    It is the transaction's on_commit callback itself, so it lives exactly as long as Django keeps
    the callback: a rolled-back transaction (or the savepoint it was registered in) drops it with
    everything it collected, and the next transaction starts a new one.
    """

    def __init__(self) -> None:
        self.capability_ids: set[int] = set()
        self.causes: list[Cause] = []
        self.actors: list[Any] = []
        self.done = False

    def add(self, capability_ids: Iterable[int], cause: str | Cause, actor: Any) -> None:
        self.capability_ids.update(capability_ids)
        why = as_cause(cause)
        if why not in self.causes:
            self.causes.append(why)
        self.actors.append(actor)

    def actor(self) -> Any:
        # One actor when every change had the same one; else the recompute is the system's.
        keys = {getattr(a, "pk", a) for a in self.actors}
        return self.actors[0] if len(keys) == 1 else None

    def __call__(self) -> None:
        self.done = True
        if not self.capability_ids:
            return
        cause = Cause.merged(self.causes)
        try:
            with transaction.atomic():
                recompute_for_capabilities(self.capability_ids, cause=cause, actor=self.actor())
        except Exception:
            logger.exception(
                "Readiness recompute after commit failed for capabilities %s (%s); "
                "the change is saved, readiness stays as it was until the next recompute.",
                sorted(self.capability_ids),
                cause.text,
            )


def _pending() -> _PendingRecompute | None:
    """The current transaction's pending recompute, if it has registered one still to run."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        return None
    for _sids, func, _robust in reversed(connection.run_on_commit):
        if isinstance(func, _PendingRecompute) and not func.done:
            return func
    return None


def recompute_after_commit(
    capability_ids: Iterable[int], *, cause: str | Cause, actor: Any = None
) -> None:
    """Recompute these capabilities' packages once the current transaction commits.

    All the calls in one transaction are merged into one recompute (their capabilities and
    causes), run after the commit in a transaction of its own (``recompute_for_capabilities``);
    outside a transaction it runs at once. Nothing is recomputed when the transaction rolls back.
    A savepoint rolled back inside a transaction that commits may leave its capabilities in the
    set: harmless, the recompute reads what was committed.

    The write has committed by then: when the recompute fails, the error is logged
    ("coordcell.readiness") and the packages keep their previous readiness until the next
    recompute of them (any later change, or *Recompute all*). That is accepted: readiness is
    derived, and nothing else reads it as a guarantee.
    """
    ids = set(capability_ids)
    if not ids:
        return
    pending = _pending()
    if pending is not None:
        pending.add(ids, cause, actor)
        return
    pending = _PendingRecompute()
    pending.add(ids, cause, actor)
    transaction.on_commit(pending, robust=True)


def recompute_for_requirements_after_commit(
    requirement_ids: Iterable[int], *, cause: str | Cause, actor: Any = None
) -> None:
    """``recompute_for_requirements`` after the commit; the capabilities are found now."""
    recompute_after_commit(_capabilities_of_requirements(requirement_ids), cause=cause, actor=actor)


def recompute_for_shipments_after_commit(
    shipment_ids: Iterable[int], *, cause: str | Cause, actor: Any = None
) -> None:
    """``recompute_for_shipments`` after the commit; the capabilities are found now."""
    recompute_after_commit(_capabilities_of_shipments(shipment_ids), cause=cause, actor=actor)


def recompute_for_pledges_after_commit(
    pledge_ids: Iterable[int], *, cause: str | Cause, actor: Any = None
) -> None:
    """``recompute_for_pledges`` after the commit; the capabilities are found now."""
    recompute_after_commit(_capabilities_of_pledges(pledge_ids), cause=cause, actor=actor)


def recompute_all(*, cause: str | Cause, actor: Any = None) -> list[ReadinessChange]:
    return recompute_for_capabilities(
        CapabilityPackage.objects.values_list("capability_id", flat=True), cause=cause, actor=actor
    )


# ---- packages (register writes) ----


ONLY_COORDINATORS_DEFINE_PACKAGES = "Only coordinators define capability packages."


def _check_coordinator(actor: Any) -> None:
    if not (isinstance(actor, User) and can_save_package(actor)):
        raise PermissionDenied(ONLY_COORDINATORS_DEFINE_PACKAGES)


def package_save(
    *,
    actor: Any,
    package: CapabilityPackage,
    items: Iterable[tuple[Requirement, str, int]] | None = None,
    expected_version: int | None = None,
) -> CapabilityPackage:
    """Create or change a package; ``items`` = (requirement, role, tranche) replaces its items.

    Its readiness is recomputed once the change commits (at once when this is the outermost
    transaction, so the package returned carries it)."""
    _check_coordinator(actor)
    with transaction.atomic():
        if package.pk is None and not package.reference:
            package.reference = PACKAGE_REFERENCES.next()
        save_audited(actor=actor, instance=package, expected_version=expected_version)
        if items is not None:
            rows = list(items)
            wrong = [
                r.reference for r, _role, _t in rows if r.capability_id != package.capability_id
            ]
            if wrong:
                raise ValidationError(
                    {
                        "items": f"{', '.join(wrong)} serve another capability than "
                        f"{package.capability}: a package holds its own capability's needs."
                    }
                )
            package.items.all().delete()
            PackageItem.objects.bulk_create(
                [
                    PackageItem(package=package, requirement=r, role=role, tranche=tranche)
                    for r, role, tranche in rows
                ]
            )
            record_many(
                actor=actor,
                verb="package-items",
                entries=[
                    AuditEntry(
                        "readiness.capabilitypackage",
                        str(package.pk),
                        package.reference,
                        {"items": [[r.reference, role, t] for r, role, t in rows]},
                    )
                ],
            )
        recompute_after_commit(
            [package.capability_id],
            cause=Cause(f"package {package.reference} changed", "package"),
            actor=actor,
        )
    package.refresh_from_db()
    return package


def package_check(
    actor: Any, package: CapabilityPackage, *, before: Mapping[str, Any] | None
) -> ValidationError | None:
    """Every rule of one package of a batch (an import): who defines packages and the model's
    rules, as ``package_save`` applies them. None when it passes."""
    problems = []
    if not can_save_package(actor):
        problems.append(("__all__", (ONLY_COORDINATORS_DEFINE_PACKAGES, "role")))
    return checked(package, problems, new_reference=package.pk is None)


def packages_save_many(
    *,
    actor: Any,
    creates: Sequence[CapabilityPackage],
    updates: Sequence[tuple[Mapping[str, Any], CapabilityPackage]],
) -> None:
    """Create and change many packages (an import) in the caller's transaction: the rules of
    ``package_check``, references from the counter, one audit event per package as
    ``package_save`` records it, and readiness recomputed once after the commit."""
    bad = [
        (package, error)
        for before, package in [*((None, p) for p in creates), *updates]
        if (error := package_check(actor, package, before=before)) is not None
    ]
    if bad:
        raise ValidationError(
            [f"{p.reference or p.name}: {'; '.join(e.messages)}" for p, e in bad[:20]]
        )
    with transaction.atomic():
        references = PACKAGE_REFERENCES.take(len(creates)) if creates else []
        for package, reference in zip(creates, references, strict=True):
            package.reference = reference
        create_many_audited(actor=actor, objects=creates, unique_field="reference")
        update_many_audited(actor=actor, pairs=updates)
        packages = [*creates, *(package for _before, package in updates)]
        if packages:
            recompute_after_commit(
                sorted({p.capability_id for p in packages}),
                cause=Cause(
                    "packages imported: " + ", ".join(p.reference for p in packages[:5]),
                    "package",
                ),
                actor=actor,
            )


def admin_save(*, actor: Any, form: Any, formsets: Any, change: bool) -> CapabilityPackage:
    """A package saved in the admin with its items (the inline), through ``package_save``."""
    items = None
    for formset in formsets:
        if formset.model is PackageItem:
            kept = [
                f.cleaned_data
                for f in formset.forms
                if f.cleaned_data and not f.cleaned_data.get("DELETE")
            ]
            items = [(d["requirement"], d["role"], d["tranche"]) for d in kept]
    package = package_save(actor=actor, package=form.instance, items=items)
    for formset in formsets:
        # What the admin's history message lists; package_save has written the items.
        formset.instance = package
        formset.save(commit=False)
    return package


def admin_delete(*, actor: Any, instance: CapabilityPackage) -> None:
    _check_coordinator(actor)
    delete_audited(actor=actor, instance=instance)


def packages_load(
    *,
    actor: Any,
    objects: Sequence[Any],
    verb: str = "load",
    audit: bool = True,
    check: bool = True,
) -> int:
    """New capability packages and their items brought whole (readiness is computed after).
    ``actor`` None is the installation itself (a command such as demo-data). Returns the number
    of audit events."""
    if actor is not None and not getattr(as_user(actor), "is_coordinator", False):
        raise PermissionDenied("Only coordinators load records in bulk.")
    return load_audited(actor=actor, objects=objects, verb=verb, audit=audit, check=check)
