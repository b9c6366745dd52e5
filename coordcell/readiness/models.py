"""Capability packages: a system's end items, its crews and its sustainment, and when it is ready.

The readiness figures on a package are derived (``services.recompute_for_capabilities``); every
change of date or bottleneck is kept as a ``ReadinessChange``.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from coordcell.bounds import VERSION_MAX, between
from coordcell.registry.models import Capability
from coordcell.requirements.models import Requirement


class CapabilityPackage(models.Model):
    """End items (requirements) + crews (the capability's cohorts) + sustainment (requirements)."""

    reference = models.CharField(_("reference"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=200)
    capability = models.OneToOneField(
        Capability, on_delete=models.PROTECT, related_name="package", verbose_name=_("capability")
    )
    # Derived by services.recompute_for_capabilities; nothing else writes these. Facts, never
    # words (readiness/facts.py): wording.Wording writes them per viewer.
    ready_on = models.DateField(_("ready on"), null=True, blank=True)
    bottleneck = models.JSONField(_("bottleneck"), default=dict, blank=True)
    critical_path = models.JSONField(_("critical path"), default=list, blank=True)
    components = models.JSONField(_("components"), default=dict, blank=True)
    computed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("computed at"))
    version = models.PositiveIntegerField(default=1, validators=between(1, VERSION_MAX))

    class Meta:
        verbose_name = _("capability package")
        verbose_name_plural = _("capability packages")
        ordering = ["reference"]

    def __str__(self) -> str:
        return f"{self.reference}: {self.name}"


class PackageItem(models.Model):
    class Role(models.TextChoices):
        END_ITEM = "end_item", _("End item")
        AMMUNITION = "ammunition", _("Ammunition")
        SPARES = "spares", _("Spares")
        MAINTENANCE = "maintenance", _("Maintenance arrangement")

    package = models.ForeignKey(
        CapabilityPackage, on_delete=models.CASCADE, related_name="items", verbose_name=_("package")
    )
    requirement = models.ForeignKey(
        Requirement,
        on_delete=models.PROTECT,
        related_name="package_items",
        verbose_name=_("requirement"),
    )
    role = models.CharField(_("role"), max_length=12, choices=Role.choices)
    tranche = models.PositiveSmallIntegerField(
        _("sustainment tranche"),
        default=1,
        validators=between(1, 99),
        help_text=_("Readiness waits for the first tranche of sustainment only."),
    )

    class Meta:
        verbose_name = _("package item")
        verbose_name_plural = _("package items")
        ordering = ["package", "role", "tranche", "requirement__reference"]
        constraints = [
            models.UniqueConstraint(
                fields=["package", "requirement"], name="package_item_requirement_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.package.reference}: {self.get_role_display()} {self.requirement.reference}"


class ReadinessChange(models.Model):
    """A package's readiness date or bottleneck moved: before, after, and what caused it."""

    package = models.ForeignKey(
        CapabilityPackage,
        on_delete=models.CASCADE,
        related_name="changes",
        verbose_name=_("package"),
    )
    at = models.DateTimeField(auto_now_add=True, verbose_name=_("when"))
    cause = models.CharField(_("cause"), max_length=300)  # the cell's words (facts.Cause.text)
    causes = models.JSONField(_("causes"), default=list, blank=True)  # facts.Cause.as_fact()
    before_date = models.DateField(null=True, blank=True, verbose_name=_("ready on before"))
    after_date = models.DateField(null=True, blank=True, verbose_name=_("ready on after"))
    before_bottleneck = models.JSONField(default=dict, blank=True)
    after_bottleneck = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("readiness change")
        verbose_name_plural = _("readiness changes")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.package.reference}: {self.before_date} → {self.after_date}"

    @property
    def days_moved(self) -> int | None:
        if self.before_date and self.after_date:
            return (self.after_date - self.before_date).days
        return None
