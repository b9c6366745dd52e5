import datetime as dt
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coordcell.bounds import MONEY_MAX, QUANTITY_MAX, VERSION_MAX, between
from coordcell.registry.models import (
    Capability,
    ItemCategory,
    Location,
    Nation,
    UndisclosedQuantity,
    quantity_text,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _latest_availability() -> dt.date:
    return timezone.now().date() + dt.timedelta(days=5 * 365)


class ValuationBasis(models.TextChoices):
    """Values of different bases are never summed together: audits found billions mis-valued."""

    REPLACEMENT_COST = "replacement_cost", _("Replacement cost")
    DEPRECIATED_BOOK_VALUE = "depreciated_book_value", _("Depreciated book value")
    CONTRACT_PRICE = "contract_price", _("Contract price")


currency_validator = RegexValidator(r"^[A-Z]{3}$", _("Use the ISO 4217 code, e.g. EUR."))


class Pledge(UndisclosedQuantity, models.Model):
    """A donor nation's commitment of so many items of a category, available from a date."""

    class Status(models.TextChoices):
        OFFERED = "offered", _("Offered")
        CONFIRMED = "confirmed", _("Confirmed")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    reference = models.CharField(_("reference"), max_length=30, unique=True)
    donor = models.ForeignKey(
        Nation,
        on_delete=models.PROTECT,
        related_name="pledges",
        limit_choices_to={"is_donor": True},
        verbose_name=_("donor"),
    )
    donor_reference = models.CharField(_("donor's own reference"), max_length=60, blank=True)
    category = models.ForeignKey(
        ItemCategory, on_delete=models.PROTECT, related_name="pledges", verbose_name=_("category")
    )
    # None: the donor has not disclosed it ("undisclosed" in public trackers). Such a pledge is
    # counted as undisclosed (never as 0 or 1) and left out of allocation until disclosed.
    quantity = models.PositiveIntegerField(
        _("quantity"),
        null=True,
        blank=True,
        validators=between(1, QUANTITY_MAX),
        help_text=_("Leave empty only when the donor has not disclosed it."),
    )
    allocated_quantity = models.PositiveIntegerField(
        _("allocated quantity"), default=0, validators=between(0, QUANTITY_MAX)
    )
    available_from = models.DateField(_("available from"))
    origin = models.ForeignKey(
        Location,
        on_delete=models.PROTECT,
        related_name="pledges_from",
        limit_choices_to={"kind": Location.Kind.DEPOT},
        verbose_name=_("origin depot"),
    )
    allowed_hubs = models.ManyToManyField(
        Location,
        blank=True,
        related_name="pledges_restricted_to",
        limit_choices_to={"kind": Location.Kind.HUB},
        help_text=_("Leave empty if the donor allows any hub."),
        verbose_name=_("allowed hubs"),
    )
    allowed_capabilities = models.ManyToManyField(
        Capability,
        blank=True,
        related_name="pledges_restricted_to",
        help_text=_("Leave empty if the items may serve any capability."),
        verbose_name=_("allowed capabilities"),
    )
    conditions = models.TextField(_("conditions"), blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.OFFERED
    )
    value = models.DecimalField(
        _("value"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=between(0, MONEY_MAX),
    )
    currency = models.CharField(
        _("currency"), max_length=3, blank=True, validators=[currency_validator]
    )
    valuation_basis = models.CharField(
        _("valuation basis"), max_length=30, choices=ValuationBasis.choices, blank=True
    )
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
        verbose_name = _("pledge")
        verbose_name_plural = _("pledges")
        ordering = ["-created_at", "reference"]
        indexes = [
            models.Index(fields=["donor", "status"]),
            models.Index(fields=["category", "status"]),
            models.Index(fields=["available_from"]),
            # The register's default sort (latest availability first, then id) within a donor's
            # own pledges and within a status, the list's usual filter.
            models.Index(
                fields=["donor", "-available_from", "id"], name="pledge_donor_available_idx"
            ),
            models.Index(
                fields=["status", "-available_from", "id"], name="pledge_status_available_idx"
            ),
            # The default order (``ordering`` above), which the API lists use.
            models.Index(fields=["-created_at", "reference"], name="pledge_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(allocated_quantity__lte=models.F("quantity")),
                name="pledge_never_over_allocated",
            ),
            models.UniqueConstraint(
                fields=["donor", "donor_reference"],
                condition=~models.Q(donor_reference=""),
                name="donor_reference_unique_per_donor",
            ),
        ]

    # Declared once: what a user gives (the page form, the API, an import take these), and what
    # a pledge shows besides (the register's detail page, the API).
    INPUT_FIELDS = (
        "donor",
        "donor_reference",
        "category",
        "quantity",
        "available_from",
        "origin",
        "allowed_hubs",
        "allowed_capabilities",
        "conditions",
        "status",
        "value",
        "currency",
        "valuation_basis",
    )
    SHOWN_FIELDS = (
        "reference",
        *INPUT_FIELDS[:4],
        "allocated_quantity",
        *INPUT_FIELDS[4:],
        "created_at",
        "version",
    )

    def __str__(self) -> str:
        return f"{self.reference}: {quantity_text(self.quantity)} × {self.category}"

    @property
    def unallocated_quantity(self) -> int | None:
        """None while the quantity is undisclosed: nothing of it is free to allocate."""
        return None if self.quantity is None else self.quantity - self.allocated_quantity

    def clean(self) -> None:
        errors: dict[str, StrOrPromise] = {}
        if self.donor_id and not self.donor.is_donor:
            errors["donor"] = _("%(nation)s is not registered as a donor.") % {"nation": self.donor}
        if self.origin_id and self.origin.kind != Location.Kind.DEPOT:
            errors["origin"] = _("The origin must be a depot.")
        elif self.origin_id and self.donor_id and self.origin.nation_id != self.donor_id:
            errors["origin"] = _("The origin must be one of %(nation)s's depots.") % {
                "nation": self.donor
            }
        if self.available_from and self.available_from > _latest_availability():
            errors["available_from"] = _(
                "Pledges are planned up to five years ahead; check the year."
            )
        if self.quantity is not None and self.allocated_quantity > self.quantity:
            errors["quantity"] = _(
                "%(allocated)s are already allocated: the quantity cannot go below that."
            ) % {"allocated": self.allocated_quantity}
        if self.status == self.Status.WITHDRAWN and self.allocated_quantity:
            errors["status"] = _(
                "%(allocated)s of this pledge are allocated: release the allocation before "
                "withdrawing it."
            ) % {"allocated": self.allocated_quantity}
        if self.value is not None:
            if not self.currency:
                errors["currency"] = _("A value needs its currency.")
            if not self.valuation_basis:
                errors["valuation_basis"] = _(
                    "A value needs its valuation basis: bases are never mixed."
                )
        elif self.currency or self.valuation_basis:
            errors["value"] = _("Give the value, or leave currency and basis empty.")
        if errors:
            raise ValidationError(errors)


class PledgeDelivery(models.Model):
    """Part of a pledge delivered before coordcell kept its shipments: a dated entry of its
    delivered history, with where that came from (a tracker's row, a handover note).

    Counted in the pledge's ledger as "delivered before handover" (and in delivered); it is no
    longer free to allocate. ``source_row`` names the row of the file it was imported from: the
    same row imported again updates its entry, never adds one."""

    reference = models.CharField(_("reference"), max_length=30, unique=True)
    pledge = models.ForeignKey(
        Pledge, on_delete=models.PROTECT, related_name="deliveries", verbose_name=_("pledge")
    )
    quantity = models.PositiveIntegerField(
        _("delivered quantity"),
        null=True,
        blank=True,
        validators=between(1, QUANTITY_MAX),
        help_text=_("Leave empty when the source says delivered, without a number."),
    )
    delivered_on = models.DateField(_("delivered on"))
    approximate = models.BooleanField(
        _("approximate date"),
        default=False,
        help_text=_('The source gives the date roughly ("until", "by", a month only).'),
    )
    source = models.CharField(_("source"), max_length=200)
    source_row = models.CharField(_("source row"), max_length=100, blank=True, editable=False)
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
        verbose_name = _("pledge delivery")
        verbose_name_plural = _("pledge deliveries")
        ordering = ["delivered_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["pledge", "source_row"],
                condition=~models.Q(source_row=""),
                name="pledge_delivery_source_row_unique",
            ),
        ]

    INPUT_FIELDS = ("quantity", "delivered_on", "approximate", "source")
    UNDISCLOSED_FIELDS = ("quantity",)

    def __str__(self) -> str:
        return f"{quantity_text(self.quantity)} delivered {self.delivered_on.isoformat()}"

    def clean(self) -> None:
        if self.delivered_on and self.delivered_on > timezone.now().date():
            raise ValidationError(
                {"delivered_on": _("A delivery already made cannot be dated in the future.")}
            )
