"""E-mail of notifications, run by background jobs only (never in a request).

A notification to be mailed stays ``pending`` (or ``digest``) until a mail server has accepted
it: a server that is down or refuses costs a retry, never the notice. Each try first takes a
lease on the rows it sends (``email_not_before`` set ahead, in a conditional update), so that two
workers never send the same row at once; a worker killed while sending leaves the lease to expire
and the row is sent again (at least once, never lost). After a failure the next try waits
1, 2, 4 ... minutes, at most ``MAX_BACKOFF``.

Periodic work (``enqueue_due_work``, called by every worker's heartbeat, coordcell/jobs/kinds.py):
a job for the rows whose next try is due, and once a day, at ``COORDCELL_NOTIFY_DIGEST_HOUR``
(UTC), the digest: one mail per digest user with their notifications not yet mailed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import smtplib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, mailers
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import DailyRun, EmailState, Notification, NotificationPreference

logger = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=10)
MAX_BACKOFF = dt.timedelta(hours=6)
# What a mail server that is down, unreachable or refusing raises.
MAIL_ERRORS = (smtplib.SMTPException, OSError)


def backoff(attempts: int) -> dt.timedelta:
    """How long to wait after the ``attempts``-th failure: 1, 2, 4 ... minutes, capped."""
    return min(dt.timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def _due(now: dt.datetime) -> Q:
    return Q(email_not_before__isnull=True) | Q(email_not_before__lte=now)


def _claim(ids: Iterable[int], states: Sequence[str], now: dt.datetime) -> list[Notification]:
    """Take the lease on those of ``ids`` still unsent and due; return the rows taken."""
    ids = list(ids)
    with transaction.atomic():
        taken = list(
            Notification.objects.filter(pk__in=ids, email_state__in=states)
            .filter(_due(now))
            .values_list("pk", flat=True)
        )
        Notification.objects.filter(pk__in=taken, email_state__in=states).filter(_due(now)).update(
            email_not_before=now + LEASE
        )
    return list(
        Notification.objects.filter(pk__in=taken, email_not_before=now + LEASE).select_related(
            "recipient"
        )
    )


def _mark_sent(rows: Sequence[Notification], now: dt.datetime) -> None:
    Notification.objects.filter(pk__in=[r.pk for r in rows]).update(
        email_state=EmailState.SENT, emailed_at=now, email_not_before=None, email_error=""
    )


def _mark_failed(rows: Sequence[Notification], error: BaseException) -> None:
    now = timezone.now()
    message = f"{type(error).__name__}: {error}"[:300]
    for row in rows:  # keeps its state: pending (or digest) until a server takes it
        attempts = min(row.email_attempts + 1, 1000)
        Notification.objects.filter(pk=row.pk).update(
            email_attempts=attempts, email_not_before=now + backoff(attempts), email_error=message
        )


def _subject(text: str) -> str:
    # One line: a header never carries a line break (Django refuses one, BadHeaderError).
    prefix = getattr(settings, "EMAIL_SUBJECT_PREFIX", "")
    return " ".join(f"{prefix}{text}".split())[:250]


def _absolute(link: str) -> str:
    base = getattr(settings, "COORDCELL_BASE_URL", "").rstrip("/")
    return f"{base}{link}" if link else ""


def _language(user_id: int) -> str:
    preference = NotificationPreference.objects.filter(user_id=user_id).first()
    return (preference.language if preference else "") or settings.LANGUAGE_CODE


def _single(row: Notification) -> EmailMessage:
    lines = [row.body]
    if row.link:
        lines += ["", _absolute(row.link)]
    with translation.override(_language(row.recipient_id)):
        lines += [
            "",
            _("Your notifications and their settings: %(url)s") % {"url": _absolute("/inbox/")},
        ]
    return EmailMessage(
        subject=_subject(row.subject), body="\n".join(lines), to=[row.recipient.email]
    )


def send_pending(notification_ids: Iterable[int] | None = None) -> tuple[int, int]:
    """Mail the pending notifications due now (these ids, or all); (sent, failed)."""
    now = timezone.now()
    if notification_ids is None:
        notification_ids = (
            Notification.objects.filter(email_state=EmailState.PENDING)
            .filter(_due(now))
            .values_list("pk", flat=True)[:500]
        )
    rows = _claim(notification_ids, [EmailState.PENDING], now)
    sent = failed = 0
    if not rows:
        return 0, 0
    connection = mailers.default
    try:
        for row in rows:
            if not row.recipient.email or not row.recipient.is_active:
                Notification.objects.filter(pk=row.pk).update(
                    email_state=EmailState.NONE, email_not_before=None
                )
                continue
            try:
                connection.send_messages([_single(row)])
            except MAIL_ERRORS as exc:
                logger.warning(
                    "notification %s: mail not sent (%s); tried again later", row.pk, exc
                )
                _mark_failed([row], exc)
                failed += 1
            else:
                _mark_sent([row], timezone.now())
                sent += 1
    finally:
        with contextlib.suppress(*MAIL_ERRORS):
            connection.close()
    return sent, failed


def send_digest(*, before: dt.datetime | None = None, retry_only: bool = False) -> tuple[int, int]:
    """One mail per user with their digest notifications created before ``before`` (now);
    (mails sent, mails failed). With ``retry_only``, only those whose earlier digest failed."""
    now = timezone.now()
    cutoff = before or now
    waiting = Notification.objects.filter(email_state=EmailState.DIGEST, created_at__lt=cutoff)
    if retry_only:
        waiting = waiting.filter(email_attempts__gt=0)
    by_user: dict[int, list[int]] = defaultdict(list)
    for pk, user_id in waiting.filter(_due(now)).values_list("pk", "recipient_id"):
        by_user[user_id].append(pk)
    sent = failed = 0
    connection = mailers.default
    try:
        for user_id, ids in sorted(by_user.items()):
            rows = sorted(_claim(ids, [EmailState.DIGEST], now), key=lambda r: (r.created_at, r.pk))
            if not rows:
                continue
            user = rows[0].recipient
            if not user.email or not user.is_active:
                Notification.objects.filter(pk__in=[r.pk for r in rows]).update(
                    email_state=EmailState.NONE, email_not_before=None
                )
                continue
            try:
                connection.send_messages([_digest_message(user, rows)])
            except MAIL_ERRORS as exc:
                logger.warning("digest of user %s not sent (%s); tried again later", user_id, exc)
                _mark_failed(rows, exc)
                failed += 1
            else:
                _mark_sent(rows, timezone.now())
                sent += 1
    finally:
        with contextlib.suppress(*MAIL_ERRORS):
            connection.close()
    return sent, failed


def _digest_message(user: Any, rows: Sequence[Notification]) -> EmailMessage:
    with translation.override(_language(user.pk)):
        subject = _subject(
            ngettext(
                "%(count)s notification from coordcell",
                "%(count)s notifications from coordcell",
                len(rows),
            )
            % {"count": len(rows)}
        )
        parts = []
        for row in rows:
            part = f"* {row.subject}\n  {row.body}"
            if row.link:
                part += f"\n  {_absolute(row.link)}"
            parts.append(part)
        parts.append(
            _("Your notifications and their settings: %(url)s") % {"url": _absolute("/inbox/")}
        )
    return EmailMessage(subject=subject, body="\n\n".join(parts), to=[user.email])


def daily_start(what: str, day: dt.date) -> bool:
    """Claim ``day``'s run of ``what``: True for the one caller (of any worker) that runs it."""
    try:
        with transaction.atomic():
            DailyRun.objects.create(what=what, day=day, started_at=timezone.now())
    except IntegrityError:
        return False
    return True


def digest_start(day: dt.date) -> bool:
    return daily_start(DailyRun.What.DIGEST, day)


def enqueue_due_work(now: dt.datetime | None = None) -> list[str]:
    """Enqueue the mail jobs that are due (the worker's heartbeat calls this every sweep).
    Returns what it enqueued, for the tests and the log."""
    from .tasks import check_late_shipments, send_due_mail
    from .tasks import send_digest as digest_task

    now = now or timezone.now()
    enqueued: list[str] = []
    retry = Q(email_state=EmailState.PENDING) | Q(
        email_state=EmailState.DIGEST, email_attempts__gt=0
    )
    if Notification.objects.filter(retry).filter(_due(now)).exists() and not _queued(send_due_mail):
        send_due_mail.enqueue()
        enqueued.append("due")
    hour = int(getattr(settings, "COORDCELL_NOTIFY_DIGEST_HOUR", 7))
    if now.hour >= hour and digest_start(now.date()):
        digest_task.enqueue(now.isoformat())
        enqueued.append("digest")
    # A shipment becomes late as days pass, with no event to refresh it: look once a day.
    if daily_start(DailyRun.What.LATE, now.date()):
        check_late_shipments.enqueue(now.date().isoformat())
        enqueued.append("late")
    return enqueued


def _queued(task: Any) -> bool:
    """Whether a job of ``task`` waits in the database queue already (another backend: no)."""
    try:
        from django.tasks import TaskResultStatus
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # pragma: no cover
        return False
    return DBTaskResult.objects.filter(
        task_path=task.module_path, status=TaskResultStatus.READY
    ).exists()


# A mail job whose worker died: nothing to fail. Its notices are still pending (or leased for
# ``LEASE``) and the next due job sends them. One function per task, taking its arguments.


def notification_mail_lost(*, notification_ids: list[int], message: str) -> bool:
    return False


def due_mail_lost(*, message: str) -> bool:
    return False


def digest_lost(*, before: str, message: str) -> bool:
    return False


def late_check_lost(*, day: str, message: str) -> bool:
    return False  # tomorrow's check, or the next event's refresh, tells what it missed
