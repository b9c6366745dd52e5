"""Reads of notifications: a user's own inbox, nobody else's."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from coordcell.registry.access import as_user
from coordcell.registry.models import User

from .models import Notification, NotificationPreference


def notifications_visible_to(user: Any) -> QuerySet[Notification]:
    """A user's own notifications; the cell reads no one else's inbox either."""
    u = as_user(user)
    if u is None:
        return Notification.objects.none()
    return Notification.objects.filter(recipient=u)


def unread_count(user: Any) -> int:
    return notifications_visible_to(user).filter(read_at__isnull=True).count()


def preference_of(user: User) -> NotificationPreference | None:
    return NotificationPreference.objects.filter(user=user).first()


def can_change_preferences(actor: Any, user: User) -> bool:
    """Each user chooses their own; an auditor too (its own inbox, nothing of the cell's)."""
    u = as_user(actor)
    return u is not None and u.pk == user.pk
