"""Who sees which capability package's readiness.

Decision (docs/training.md): the cell's staff, auditors and the recipient's liaison see every
package. A donor liaison sees the packages its nation's pledges serve (a committed allocation of
one of its pledges to a requirement of the package). A training-site officer sees the packages
whose crews are booked at its sites. What each of them reads of a package (another donor's
delivery, shipment timing, another nation's sites) is decided by ``wording.Wording``.
"""

from __future__ import annotations

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


def can_recompute(user: Any) -> bool:
    u = as_user(user)
    return bool(u and u.is_coordinator)
