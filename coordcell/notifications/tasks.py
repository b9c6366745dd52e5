"""Background jobs of notifications: run by the worker process (``coordcell worker``)."""

import datetime as dt

from django.tasks import task


@task()
def send_notification_mail(notification_ids: list[int]) -> str:
    from .mail import send_pending

    sent, failed = send_pending(notification_ids)
    return f"{sent} sent, {failed} to try again"


@task()
def send_due_mail() -> str:
    from .mail import send_digest, send_pending

    sent, failed = send_pending(None)
    digests, digests_failed = send_digest(retry_only=True)
    return f"{sent} sent, {failed} to try again; {digests} digests, {digests_failed} to try again"


@task()
def send_digest(before: str) -> str:
    from .mail import send_digest as digest

    sent, failed = digest(before=dt.datetime.fromisoformat(before))
    return f"{sent} digests sent, {failed} to try again"


@task()
def check_late_shipments(day: str) -> str:
    from .services import notify_late_shipments, notify_overdue_discrepancies

    today = dt.date.fromisoformat(day)
    late = notify_late_shipments(today)
    overdue = notify_overdue_discrepancies(today)
    return f"{late} shipments newly late, {overdue} discrepancies newly overdue"
