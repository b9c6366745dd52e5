from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from coordcell.registry.access import as_user

from .models import Requirement


def requirements_visible_to(user: Any) -> QuerySet[Requirement]:
    """Donors see the needs they pledge against; training sites have no need to."""
    u = as_user(user)
    qs = Requirement.objects.select_related("capability", "category", "delivery_point")
    if u is None or not (u.sees_everything or u.is_donor_liaison or u.is_recipient_liaison):
        return qs.none()
    return qs


def requirements_editable_by(user: Any) -> QuerySet[Requirement]:
    u = as_user(user)
    if u is None or not (u.is_coordinator or u.is_recipient_liaison):
        return Requirement.objects.none()
    return requirements_visible_to(u)


def can_create_requirement(user: Any) -> bool:
    u = as_user(user)
    return bool(u and (u.is_coordinator or u.is_recipient_liaison))


def can_cancel_requirement(user: Any, requirement: Requirement) -> bool:
    return requirements_editable_by(user).filter(pk=requirement.pk).exists()
