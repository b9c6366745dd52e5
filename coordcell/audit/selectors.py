from collections.abc import Iterable
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


HISTORY_SHOWN = 30


def history_visible_to(
    user: Any, target_type: str, target_ids: Iterable[Any], limit: int = HISTORY_SHOWN
) -> list[AuditEvent] | None:
    """The newest audit events of some records (one record, or all rows of one thing such as a
    hub's capacities), for those who read the trail; None for everyone else."""
    u = as_user(user)
    if u is None or not u.sees_everything:
        return None
    ids = [str(i) for i in target_ids]
    return list(
        audit_events_visible_to(u)
        .filter(target_type=target_type, target_id__in=ids)
        .order_by("-seq")[:limit]
    )
