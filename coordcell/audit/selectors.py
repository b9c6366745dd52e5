from typing import Any

from django.db.models import QuerySet

from coordcell.registry.access import as_user

from .models import AuditEvent


def audit_events_visible_to(user: Any) -> QuerySet[AuditEvent]:
    """Auditors and coordinators read the trail; nobody else does."""
    u = as_user(user)
    if u is None or not u.sees_everything:
        return AuditEvent.objects.none()
    return AuditEvent.objects.all()
