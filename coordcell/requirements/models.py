from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from coordcell.bounds import QUANTITY_MAX, VERSION_MAX, between
from coordcell.registry.models import (
    Capability,
    ItemCategory,
    Location,
    UndisclosedQuantity,
    quantity_text,
)


class Requirement(UndisclosedQuantity, models.Model):
    """A need the recipient registered: so many of a category, at a delivery point, by a date."""

    class Status(models.TextChoices):
        """Derived from the allocated and received quantities (``requirements.status``)."""

        OPEN = "open", _("Open")
        PARTLY_ALLOCATED = "partly_allocated", _("Partly allocated")
        ALLOCATED = "allocated", _("Allocated")
        PARTLY_FULFILLED = "partly_fulfilled", _("Partly fulfilled")
        FULFILLED = "fulfilled", _("Fulfilled")
        CANCELLED = "cancelled", _("Cancelled")

    # Still waiting for an allocation of some of its quantity.
    UNMET = (Status.OPEN, Status.PARTLY_ALLOCATED)

    PRIORITY_CHOICES = [
        (1, _("1 – most urgent")),
        (2, "2"),
        (3, "3"),
        (4, "4"),
        (5, _("5 – least urgent")),
    ]

    reference = models.CharField(_("reference"), max_length=30, unique=True)
    capability = models.ForeignKey(
        Capability,
        on_delete=models.PROTECT,
        related_name="requirements",
        verbose_name=_("capability"),
    )
    category = models.ForeignKey(
        ItemCategory,
        on_delete=models.PROTECT,
        related_name="requirements",
        verbose_name=_("category"),
    )
    # None: not disclosed by the source. Counted as undisclosed, left out of allocation until
    # disclosed (its status stays open).
    quantity = models.PositiveIntegerField(
        _("quantity"),
        null=True,
        blank=True,
        validators=between(1, QUANTITY_MAX),
        help_text=_("Leave empty only when the quantity is not disclosed."),
    )
    need_by = models.DateField(_("need-by date"))
    delivery_point = models.ForeignKey(
        Location,
        on_delete=models.PROTECT,
        related_name="requirements",
        limit_choices_to={"kind": Location.Kind.DELIVERY_POINT},
        verbose_name=_("delivery point"),
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"),
        choices=PRIORITY_CHOICES,
        validators=between(1, 5),
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=Status.choices,
        default=Status.OPEN,
        editable=False,  # nobody sets it: requirements.services.requirements_refresh_status does
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True, editable=False)
    justification = models.TextField(_("justification"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    version = models.PositiveIntegerField(default=1, validators=between(1, VERSION_MAX))

    class Meta:
        verbose_name = _("requirement")
        verbose_name_plural = _("requirements")
        ordering = ["priority", "need_by", "reference"]
        indexes = [
            models.Index(fields=["status", "priority", "need_by"]),
            models.Index(fields=["category", "status"]),
            # The register's default sort (priority, then id), its "needed by" filter and sort.
            models.Index(fields=["priority", "id"], name="requirement_priority_idx"),
            models.Index(fields=["need_by"], name="requirement_need_by_idx"),
            models.Index(fields=["status", "need_by"], name="requirement_status_need_by_idx"),
            # The default order (``ordering`` above), which the API lists use.
            models.Index(fields=["priority", "need_by", "reference"], name="requirement_order_idx"),
        ]

    # Declared once: what a user gives (the page form, the API, an import take these; an import
    # names the record by its reference too), and what a requirement shows besides.
    INPUT_FIELDS = (
        "capability",
        "category",
        "quantity",
        "need_by",
        "delivery_point",
        "priority",
        "justification",
    )
    SHOWN_FIELDS = (
        "reference",
        *INPUT_FIELDS[:-1],
        "status",
        "cancelled_at",
        "justification",
        "created_at",
        "version",
    )

    def __str__(self) -> str:
        return f"{self.reference}: {quantity_text(self.quantity)} × {self.category}"

    def clean(self) -> None:
        if self.delivery_point_id and self.delivery_point.kind != Location.Kind.DELIVERY_POINT:
            raise ValidationError(
                {"delivery_point": _("Choose a delivery point (a handover location).")}
            )
