"""Keeping readiness current. Other apps call these explicitly after a change that can move a
package's date (no signals): the allocation commit, a shipment's ETA or receipt, a pledge's
availability, a session or booking.

    recompute_for_capabilities(capability_ids, cause="...")   # the primitive
    recompute_for_requirements(requirement_ids, cause="...")  # allocation, receipts
    recompute_for_shipments(shipment_ids, cause="...")        # ETA changes
    recompute_for_pledges(pledge_ids, cause="...")            # a pledge slipped
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from coordcell.audit.services import AuditEntry, record_many, save_audited
from coordcell.registry.models import User
from coordcell.requirements.models import Requirement

from .compute import compute
from .models import CapabilityPackage, PackageItem, ReadinessChange


def recompute_for_capabilities(
    capability_ids: Iterable[int], *, cause: str, actor: Any = None
) -> list[ReadinessChange]:
    """Recompute the packages of these capabilities; keep a ReadinessChange (and an audit event)
    for each package whose date or bottleneck moved. Runs in the caller's transaction if any."""
    ids = sorted(set(capability_ids))
    if not ids:
        return []
    changes: list[ReadinessChange] = []
    now = timezone.now()
    with transaction.atomic():
        packages = list(
            CapabilityPackage.objects.select_for_update()
            .filter(capability_id__in=ids)
            .select_related("capability")
            .order_by("pk")
        )
        for package in packages:
            result = compute(package)
            first = package.computed_at is None
            moved = result.ready_on != package.ready_on or result.bottleneck != package.bottleneck
            if moved and not first:
                changes.append(
                    ReadinessChange(
                        package=package,
                        cause=cause[:300],
                        before_date=package.ready_on,
                        after_date=result.ready_on,
                        before_bottleneck=package.bottleneck,
                        after_bottleneck=result.bottleneck,
                    )
                )
            package.ready_on = result.ready_on
            package.bottleneck = result.bottleneck
            package.bottleneck_kind = result.kind
            package.bottleneck_donor_id = result.donor_id
            package.critical_path = result.critical_path
            package.components = result.components()
            package.computed_at = now
            package.save(
                update_fields=[
                    "ready_on",
                    "bottleneck",
                    "bottleneck_kind",
                    "bottleneck_donor",
                    "critical_path",
                    "components",
                    "computed_at",
                ]
            )
        ReadinessChange.objects.bulk_create(changes)
        if changes:
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
                            "bottleneck": [c.before_bottleneck, c.after_bottleneck],
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


def recompute_for_requirements(
    requirement_ids: Iterable[int], *, cause: str, actor: Any = None
) -> list[ReadinessChange]:
    return recompute_for_capabilities(
        _capabilities_of_requirements(requirement_ids), cause=cause, actor=actor
    )


def recompute_for_shipments(
    shipment_ids: Iterable[int], *, cause: str, actor: Any = None
) -> list[ReadinessChange]:
    from coordcell.logistics.models import ShipmentLine

    rids = ShipmentLine.objects.filter(shipment_id__in=list(shipment_ids)).values_list(
        "requirement_id", flat=True
    )
    return recompute_for_requirements(rids, cause=cause, actor=actor)


def recompute_for_pledges(
    pledge_ids: Iterable[int], *, cause: str, actor: Any = None
) -> list[ReadinessChange]:
    from coordcell.allocation.models import AllocationLine

    rids = AllocationLine.objects.filter(pledge_id__in=list(pledge_ids)).values_list(
        "requirement_id", flat=True
    )
    return recompute_for_requirements(rids, cause=cause, actor=actor)


def recompute_all(*, cause: str, actor: Any = None) -> list[ReadinessChange]:
    return recompute_for_capabilities(
        CapabilityPackage.objects.values_list("capability_id", flat=True), cause=cause, actor=actor
    )


# ---- packages (register writes) ----


def _check_coordinator(actor: Any) -> None:
    if not (isinstance(actor, User) and actor.is_coordinator):
        raise PermissionDenied("Only coordinators define capability packages.")


def next_reference() -> str:
    last = (
        CapabilityPackage.objects.filter(reference__regex=r"^CP-\d+$")
        .order_by("-reference")
        .values_list("reference", flat=True)
        .first()
    )
    return f"CP-{(int(last[3:]) + 1 if last else 1):04d}"


def package_save(
    *,
    actor: Any,
    package: CapabilityPackage,
    items: Iterable[tuple[Requirement, str, int]] | None = None,
    expected_version: int | None = None,
) -> CapabilityPackage:
    """Create or change a package; ``items`` = (requirement, role, tranche) replaces its items."""
    _check_coordinator(actor)
    with transaction.atomic():
        if package.pk is None and not package.reference:
            package.reference = next_reference()
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
        recompute_for_capabilities(
            [package.capability_id], cause=f"package {package.reference} changed", actor=actor
        )
    package.refresh_from_db()
    return package
