"""The in-app inbox (one row per recipient, its text already written for that recipient) and
each user's choice of what comes by e-mail."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from coordcell.bounds import SMALLINT, between


class Kind(models.TextChoices):
    """Stable codes: stored in preferences and notifications, named in docs/notifications.md."""

    PLEDGE_SLIPPED = "pledge_slipped", _("Pledge slipped")
    PLEDGE_WITHDRAWN = "pledge_withdrawn", _("Pledge withdrawn")
    SHIPMENT_LATE = "shipment_late", _("Shipment late")
    SHIPMENT_CANCELLED = "shipment_cancelled", _("Shipment cancelled")
    DISCREPANCY_OPENED = "discrepancy_opened", _("Discrepancy opened")
    DISCREPANCY_OVERDUE = "discrepancy_overdue", _("Discrepancy overdue")
    CAPACITY_CUT = "capacity_cut", _("Hub capacity cut")
    SESSION_CANCELLED = "session_cancelled", _("Training session cancelled")
    READINESS_LATER = "readiness_later", _("Readiness moved later")


class EmailState(models.TextChoices):
    NONE = "none", _("Inbox only")
    PENDING = "pending", _("To be e-mailed")
    DIGEST = "digest", _("For the daily digest")
    SENT = "sent", _("E-mailed")


class Notification(models.Model):
    """One notice to one user. Subject and body are written for that user's role and language
    when the change happens (services.py), so the inbox and the mail never compute them again."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    link = models.CharField(_("link"), max_length=300, blank=True)
    target_type = models.CharField(max_length=100, blank=True)  # app_label.model
    target_id = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(_("created (UTC)"))
    read_at = models.DateTimeField(_("read (UTC)"), null=True, blank=True)
    email_state = models.CharField(
        _("e-mail"), max_length=10, choices=EmailState.choices, default=EmailState.NONE
    )
    email_attempts = models.PositiveSmallIntegerField(default=0, validators=between(0, SMALLINT[1]))
    # Not before: the next try after a failure (backoff), or the lease of a sender at work.
    email_not_before = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed (UTC)"), null=True, blank=True)
    email_error = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread_idx"),
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_inbox_idx"),
            models.Index(fields=["email_state", "email_not_before"], name="notification_mail_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id}: {self.subject}"


class NotificationPreference(models.Model):
    """What a user wants by e-mail. Without a row: every kind by e-mail, at once, in the
    installation's default language."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preference",
        verbose_name=_("user"),
    )
    # Kinds that also come by e-mail; the others stay in the inbox only.
    email_kinds = models.JSONField(_("kinds by e-mail"), default=list, blank=True)
    daily_digest = models.BooleanField(
        _("one daily digest instead of a mail for each"), default=False
    )
    language = models.CharField(
        _("language of notifications"),
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("Empty: the installation's default language."),
    )
    version = models.PositiveIntegerField(default=1, validators=between(1, 2**31 - 1))

    class Meta:
        verbose_name = _("notification settings")
        verbose_name_plural = _("notification settings")

    def __str__(self) -> str:
        return f"{self.user_id}: {', '.join(self.email_kinds)}"


class DailyRun(models.Model):
    """Daily work started for a day: one row per kind and day, so that it runs once a day,
    however many workers look (mail.enqueue_due_work)."""

    class What(models.TextChoices):
        DIGEST = "digest", _("Daily digest")
        LATE = "late", _("Late shipments")

    what = models.CharField(max_length=10, choices=What.choices)
    day = models.DateField()
    started_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["what", "day"], name="daily_run_once_a_day")]

    def __str__(self) -> str:
        return f"{self.what} {self.day}"


class LateShipment(models.Model):
    """A shipment its people have been told is late: told once, until it is on time again."""

    shipment = models.OneToOneField(
        "logistics.Shipment", on_delete=models.CASCADE, related_name="+"
    )
    since = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.shipment_id} late since {self.since}"
