"""Who sees which capability package's readiness.

Decision (docs/training.md): the cell's staff, auditors and the recipient's liaison see every
package. A donor liaison sees the packages its nation's pledges serve (a committed allocation of
one of its pledges to a requirement of the package). A training-site officer sees the packages
whose crews are booked at its sites. What each of them reads of a package (another donor's
delivery, shipment timing, another nation's sites) is decided by ``wording.Wording``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from coordcell.allocation.models import AllocationLine, AllocationRun
from coordcell.registry.access import as_user

from .models import CapabilityPackage, ReadinessChange


def packages_visible_to(user: Any) -> QuerySet[CapabilityPackage]:
    u = as_user(user)
    qs = CapabilityPackage.objects.select_related("capability", "capability__coalition")
    if u is None:
        return qs.none()
    if u.sees_everything or u.is_recipient_liaison:
        return qs
    if u.is_donor_liaison:
        served = AllocationLine.objects.filter(
            run__status=AllocationRun.Status.COMMITTED, pledge__donor_id=u.nation_id
        ).values("requirement_id")
        return qs.filter(items__requirement_id__in=served).distinct()
    if u.is_training_site_officer and u.nation_id is not None:  # implied: narrows the type
        from coordcell.training.models import Booking

        crews = Booking.objects.filter(session__site__location__nation_id=u.nation_id).values(
            "cohort__capability_id"
        )
        return qs.filter(capability_id__in=crews)
    return qs.none()


def changes_visible_to(user: Any) -> QuerySet[ReadinessChange]:
    return ReadinessChange.objects.filter(package__in=packages_visible_to(user)).select_related(
        "package"
    )


def can_save_package(user: Any, package: CapabilityPackage | None = None) -> bool:
    """Only the cell's coordinators define capability packages (page, admin, import)."""
    u = as_user(user)
    return bool(u and u.is_coordinator)


def can_recompute(user: Any) -> bool:
    u = as_user(user)
    return bool(u and u.is_coordinator)


@dataclass(frozen=True)
class PackageMove:
    package: CapabilityPackage
    before: dt.date | None  # None: not ready within what is planned
    after: dt.date | None
    items_before: dt.date | None = None  # all end items received (expected)
    items_after: dt.date | None = None

    @property
    def days(self) -> int | None:
        """Days later (negative: earlier); None when one side has no date."""
        if self.before is None or self.after is None:
            return None
        return (self.after - self.before).days

    @property
    def abs_days(self) -> int:
        return abs(self.days or 0)

    @property
    def items_days(self) -> int | None:
        if self.items_before is None or self.items_after is None:
            return None
        return (self.items_after - self.items_before).days

    @property
    def items_abs_days(self) -> int:
        return abs(self.items_days or 0)


def readiness_effect(base: AllocationRun, scenario: AllocationRun) -> list[PackageMove]:
    """The capability packages whose readiness date differs between two runs (a what-if and
    its base), each as the situation would stand with that run committed: latest first."""
    from coordcell.allocation.services import replan_start
    from coordcell.logistics.ledger import replan_releases

    from .compute import compute_many
    from .equipment import PlanOverlay

    def overlay(run: AllocationRun) -> PlanOverlay | None:
        if run.status == AllocationRun.Status.COMMITTED:
            return None  # already part of the situation
        since = replan_start(run)
        return PlanOverlay(
            releasing=frozenset(replan_releases(since)) if since else frozenset(),
            lines=tuple(run.lines.select_related("run", "pledge")),
        )

    touched = set(base.lines.values_list("requirement_id", flat=True))
    touched |= set(scenario.lines.values_list("requirement_id", flat=True))
    touched |= set(scenario.shortfalls.values_list("requirement_id", flat=True))
    packages = list(
        CapabilityPackage.objects.filter(items__requirement_id__in=touched)
        .select_related("capability")
        .distinct()
        .order_by("name")
    )
    if not packages:
        return []
    before = compute_many(packages, overlay(base))
    after = compute_many(packages, overlay(scenario))

    def items(readiness: Any) -> dt.date | None:
        return next((part.date for part in readiness.parts if part.name == "end items"), None)

    moves = [
        PackageMove(
            p,
            before[p.pk].ready_on,
            after[p.pk].ready_on,
            items(before[p.pk]),
            items(after[p.pk]),
        )
        for p in packages
        if (before[p.pk].ready_on, items(before[p.pk]))
        != (after[p.pk].ready_on, items(after[p.pk]))
    ]
    moves.sort(key=lambda m: (-(m.days if m.days is not None else 10**6), m.package.name))
    return moves
