from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from coordcell.bounds import BIGINT, between

GENESIS_HASH = "0" * 64


class AuditEvent(models.Model):
    """One recorded change. Events are chained: each hash covers the previous event's hash."""

    seq = models.PositiveBigIntegerField(unique=True, validators=between(0, BIGINT[1]))
    at = models.DateTimeField(_("when (UTC)"))
    # PROTECT: the event's hash covers actor_id, so a user who acted is never deleted (the
    # admin deactivates them instead: registry.services.user_remove). SET_NULL used to blank it,
    # and `audit verify` then took the event for tampered.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_name = models.CharField(_("who"), max_length=150)
    verb = models.CharField(_("what"), max_length=40)
    target_type = models.CharField(max_length=60, verbose_name=_("object type"))
    target_id = models.CharField(max_length=40, verbose_name=_("object id"))
    target_repr = models.CharField(_("object"), max_length=200)
    data = models.JSONField(default=dict, verbose_name=_("data"))
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-seq"]
        indexes = [
            models.Index(fields=["target_type", "target_id"]),
            models.Index(fields=["at"]),
            # One kind of object's events, newest first (the trail's "object type" filter).
            models.Index(fields=["target_type", "seq"], name="audit_type_seq_idx"),
            # One kind of change (verb), optionally of one object type: the auditor's usual filter.
            models.Index(fields=["verb", "target_type", "seq"], name="audit_verb_type_seq_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.actor_name} {self.verb} {self.target_repr}"


class AuditHead(models.Model):
    """The chain's current end, one row, locked while an event is appended."""

    seq = models.PositiveBigIntegerField(default=0, validators=between(0, BIGINT[1]))
    hash = models.CharField(max_length=64, default=GENESIS_HASH)

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"
