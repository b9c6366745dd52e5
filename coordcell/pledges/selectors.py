from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from coordcell.registry.access import as_user

from .models import Pledge


def pledges_visible_to(user: Any) -> QuerySet[Pledge]:
    """A donor liaison sees its own nation's pledges only; the recipient sees confirmed ones."""
    u = as_user(user)
    qs = Pledge.objects.select_related("donor", "category", "origin")
    if u is None:
        return qs.none()
    if u.sees_everything:
        return qs
    if u.is_donor_liaison:
        return qs.filter(donor_id=u.nation_id)
    if u.is_recipient_liaison:
        return qs.filter(status=Pledge.Status.CONFIRMED)
    return qs.none()


def pledges_editable_by(user: Any) -> QuerySet[Pledge]:
    u = as_user(user)
    if u is None:
        return Pledge.objects.none()
    if u.is_coordinator:
        return pledges_visible_to(u)
    if u.is_donor_liaison:
        return pledges_visible_to(u)
    return Pledge.objects.none()


def can_create_pledge(user: Any) -> bool:
    u = as_user(user)
    return bool(u and (u.is_coordinator or u.is_donor_liaison))
