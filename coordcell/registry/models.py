"""The registers every other part of coordcell builds on: nations, organisations, users and
their roles, item categories with their compatibility, locations, coalitions and capabilities."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from coordcell.bounds import QUANTITY_MAX, VERSION_MAX, between

nsc_validator = RegexValidator(
    r"^\d{4}$", _("A NATO Supply Classification is exactly 4 digits, e.g. 1315.")
)
nsn_validator = RegexValidator(
    r"^\d{4}-?\d{2}-?\d{3}-?\d{4}$",
    _("A NATO Stock Number is 13 digits, written 1315-12-345-6789 or 1315123456789."),
)
iso_nation_validator = RegexValidator(
    r"^[A-Z]{2}$", _("Use the two-letter ISO 3166-1 code in capitals, e.g. DE.")
)


def quantity_text(quantity: int | None) -> str:
    """A quantity as lists and messages print it: "undisclosed" rather than a number."""
    return str(_("undisclosed")) if quantity is None else str(quantity)


class UndisclosedQuantity:
    """A record whose ``quantity`` may be undisclosed (None): counted as undisclosed, never as 0
    or 1 (pledges, requirements; docs/import.md)."""

    quantity: int | None
    # Fields whose None reads "undisclosed" (pages, exports: what an import reads back).
    UNDISCLOSED_FIELDS = ("quantity",)

    @property
    def quantity_disclosed(self) -> bool:
        return self.quantity is not None

    def get_quantity_display(self) -> str | int:
        """What registers and detail pages print (``registers.resolve`` asks for it)."""
        return quantity_text(self.quantity) if self.quantity is None else self.quantity


class CategoryDomain(models.TextChoices):
    AIR_DEFENCE = "air_defence", _("Air defence")
    ARTILLERY = "artillery", _("Artillery")
    ARMOUR = "armour", _("Armour")
    DRONES = "drones", _("Drones")
    MEDICAL = "medical", _("Medical")
    ENGINEERING = "engineering", _("Engineering")
    SUSTAINMENT = "sustainment", _("Sustainment")


class Nation(models.Model):
    code = models.CharField(
        _("ISO 3166 code"), max_length=2, unique=True, validators=[iso_nation_validator]
    )
    name = models.CharField(_("name"), max_length=100, unique=True)
    is_donor = models.BooleanField(_("donor"), default=False)
    is_recipient = models.BooleanField(_("recipient"), default=False)
    is_host = models.BooleanField(_("training host"), default=False)

    class Meta:
        verbose_name = _("nation")
        verbose_name_plural = _("nations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not (self.is_donor or self.is_recipient or self.is_host):
            raise ValidationError(
                _("A nation takes part as donor, recipient or training host: tick at least one.")
            )
        if self.is_recipient and (self.is_donor or self.is_host):
            raise ValidationError(
                {"is_recipient": _("The recipient nation cannot also be a donor or a host.")}
            )

    @property
    def coalition_roles(self) -> list[str]:
        roles = [(self.is_donor, _("donor")), (self.is_recipient, _("recipient"))]
        roles.append((self.is_host, _("host")))
        return [str(label) for flag, label in roles if flag]


class Organisation(models.Model):
    class Kind(models.TextChoices):
        MINISTRY = "ministry", _("Ministry")
        ARMED_FORCES = "armed_forces", _("Armed-forces branch")
        AGENCY = "agency", _("Agency")
        COMMAND = "command", _("Multinational command")
        INDUSTRY = "industry", _("Industry")

    nation = models.ForeignKey(
        Nation, on_delete=models.PROTECT, related_name="organisations", verbose_name=_("nation")
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["nation__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["nation", "name"], name="organisation_unique_per_nation"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.nation.code})"


class Role(models.TextChoices):
    COORDINATOR = "coordinator", _("Coordinator")
    DONOR_LIAISON = "donor_liaison", _("Donor liaison")
    RECIPIENT_LIAISON = "recipient_liaison", _("Recipient liaison")
    TRAINING_SITE_OFFICER = "training_site_officer", _("Training-site officer")
    AUDITOR = "auditor", _("Auditor")


ROLES_ACTING_FOR_A_NATION = {
    Role.DONOR_LIAISON: "is_donor",
    Role.RECIPIENT_LIAISON: "is_recipient",
    Role.TRAINING_SITE_OFFICER: "is_host",
}


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=30, choices=Role.choices, blank=True)
    nation = models.ForeignKey(
        Nation,
        verbose_name=_("acts for nation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="users",
        verbose_name=_("organisation"),
    )

    def clean(self) -> None:
        super().clean()
        needed_flag = ROLES_ACTING_FOR_A_NATION.get(Role(self.role)) if self.role else None
        if needed_flag:
            if self.nation_id is None:
                raise ValidationError(
                    {
                        "nation": _("A %(role)s acts for a nation: choose it.")
                        % {"role": Role(self.role).label}
                    }
                )
            if not getattr(self.nation, needed_flag):
                raise ValidationError(
                    {
                        "nation": _("%(nation)s is not registered as %(what)s.")
                        % {"nation": self.nation, "what": needed_flag.removeprefix("is_")}
                    }
                )
        elif self.role and self.nation_id is not None:
            raise ValidationError(
                {"nation": _("Coordinators and auditors work for the cell, not for one nation.")}
            )
        if (
            self.nation_id
            and self.organisation is not None
            and self.organisation.nation_id != self.nation_id
        ):
            raise ValidationError(
                {"organisation": _("The organisation must belong to the user's nation.")}
            )

    @property
    def is_coordinator(self) -> bool:
        return self.is_active and self.role == Role.COORDINATOR

    @property
    def is_auditor(self) -> bool:
        return self.is_active and self.role == Role.AUDITOR

    @property
    def is_donor_liaison(self) -> bool:
        return self.is_active and self.role == Role.DONOR_LIAISON and self.nation_id is not None

    @property
    def is_recipient_liaison(self) -> bool:
        return self.is_active and self.role == Role.RECIPIENT_LIAISON and self.nation_id is not None

    @property
    def is_training_site_officer(self) -> bool:
        return (
            self.is_active
            and self.role == Role.TRAINING_SITE_OFFICER
            and self.nation_id is not None
        )

    @property
    def sees_everything(self) -> bool:
        return self.is_coordinator or self.is_auditor


class ItemCategory(models.Model):
    class Unit(models.TextChoices):
        EACH = "each", _("each")
        ROUND = "round", _("round")
        SYSTEM = "system", _("system")
        SET = "set", _("set")
        KILOGRAM = "kg", _("kg")
        LITRE = "litre", _("litre")
        PALLET = "pallet", _("pallet")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200, unique=True)
    domain = models.CharField(_("domain"), max_length=20, choices=CategoryDomain.choices)
    unit = models.CharField(_("unit of measure"), max_length=10, choices=Unit.choices)
    nsc = models.CharField(
        _("NATO Supply Classification"), max_length=4, blank=True, validators=[nsc_validator]
    )
    sensitive = models.BooleanField(
        _("sensitive (serial-numbered)"),
        default=False,
        help_text=_("Items carry serial numbers recorded before departure and checked on the way."),
    )
    can_serve = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="served_by",
        verbose_name=_("can also serve requirements for"),
        help_text=_("Compatibility is explicit: only list categories these items really replace."),
    )

    class Meta:
        verbose_name = _("item category")
        verbose_name_plural = _("item categories")
        ordering = ["domain", "name"]

    def __str__(self) -> str:
        return self.name

    def serving_categories(self) -> list[ItemCategory]:
        """Categories whose items can fill a requirement for this one, itself first."""
        return [self, *self.served_by.exclude(pk=self.pk).order_by("code")]


class StockNumber(models.Model):
    """A NATO Stock Number (NSN) of an item covered by a category."""

    category = models.ForeignKey(
        ItemCategory,
        on_delete=models.CASCADE,
        related_name="stock_numbers",
        verbose_name=_("category"),
    )
    nsn = models.CharField(
        _("NATO Stock Number"), max_length=16, unique=True, validators=[nsn_validator]
    )
    description = models.CharField(_("item"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("stock number")
        verbose_name_plural = _("stock numbers")
        ordering = ["nsn"]

    def __str__(self) -> str:
        return self.nsn

    @staticmethod
    def normalise(nsn: str) -> str:
        digits = "".join(ch for ch in nsn if ch.isdigit())
        if len(digits) != 13:
            return nsn.strip()
        return f"{digits[:4]}-{digits[4:6]}-{digits[6:9]}-{digits[9:]}"

    def clean(self) -> None:
        self.nsn = self.normalise(self.nsn)
        if self.category_id and self.category.nsc and not self.nsn.startswith(self.category.nsc):
            raise ValidationError(
                {
                    "nsn": _(
                        "The NSN starts with its supply class; this category's class is %(nsc)s."
                    )
                    % {"nsc": self.category.nsc}
                }
            )


class Location(models.Model):
    class Kind(models.TextChoices):
        DEPOT = "depot", _("Depot (donor origin)")
        HUB = "hub", _("Logistics hub")
        DELIVERY_POINT = "delivery_point", _("Delivery point (handover)")
        TRAINING_SITE = "training_site", _("Training site")
        HEADQUARTERS = "headquarters", _("Headquarters")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    nation = models.ForeignKey(
        Nation, on_delete=models.PROTECT, related_name="locations", verbose_name=_("nation")
    )
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=8,
        decimal_places=5,
        validators=between(-90, 90, _("Latitude lies between -90 and 90 degrees.")),
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=8,
        decimal_places=5,
        validators=between(-180, 180, _("Longitude lies between -180 and 180 degrees.")),
    )
    is_main_hub = models.BooleanField(_("main hub"), default=False)

    class Meta:
        verbose_name = _("location")
        verbose_name_plural = _("locations")
        ordering = ["kind", "name"]
        indexes = [models.Index(fields=["kind", "name"])]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = {}
        if self.is_main_hub and self.kind != self.Kind.HUB:
            errors["is_main_hub"] = _("Only a hub can be the main hub.")
        if errors:
            raise ValidationError(errors)


# The standing weekly figure of a hub is a row from this Monday on, with no end.
STANDING_FROM = dt.date(2000, 1, 3)


class HubCapacity(models.Model):
    """A hub's weekly throughput for one category domain (pyrotechnic and CI checks included)
    over a span of weeks: from the week starting ``valid_from`` (a Monday) to the week holding
    ``valid_until`` (none: open-ended). 0 is a closure, which says why.

    Where rows of a hub and domain overlap, the narrowest row covering a week gives that week's
    capacity (open-ended rows are the widest); between rows as narrow, the later start, then the
    later row. So the standing figure (from ``STANDING_FROM``, open-ended) holds wherever no
    narrower row says otherwise, and a closure inside a longer cut still closes
    (``coordcell/registry/capacity.py``)."""

    hub = models.ForeignKey(
        Location,
        on_delete=models.CASCADE,
        related_name="capacities",
        limit_choices_to={"kind": Location.Kind.HUB},
        verbose_name=_("hub"),
    )
    domain = models.CharField(_("domain"), max_length=20, choices=CategoryDomain.choices)
    valid_from = models.DateField(
        _("from the week of (Monday)"),
        default=STANDING_FROM,
        help_text=_("The Monday of the first week this figure holds."),
    )
    valid_until = models.DateField(
        _("until the week of"),
        null=True,
        blank=True,
        help_text=_("A day of the last week this figure holds; empty: until further notice."),
    )
    weekly_capacity = models.PositiveIntegerField(
        _("units per week"), validators=between(0, QUANTITY_MAX)
    )
    reason = models.TextField(
        _("reason"), blank=True, help_text=_("Required for a closure (0 units per week).")
    )
    created_by = models.ForeignKey(
        "registry.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    version = models.PositiveIntegerField(default=1, validators=between(1, VERSION_MAX))

    class Meta:
        # Readers that keep one figure per hub and domain, the last row they meet (the reports'
        # hub load), meet the standing row (earliest start) last.
        ordering = ["hub__name", "domain", "-valid_from", "-pk"]
        verbose_name = _("hub capacity")
        verbose_name_plural = _("hub capacities")
        indexes = [models.Index(fields=["hub", "domain", "valid_from"])]

    def __str__(self) -> str:
        figure = gettext("%(hub)s: %(domain)s %(units)s/week") % {
            "hub": self.hub,
            "domain": self.get_domain_display(),
            "units": self.weekly_capacity,
        }
        if self.valid_until is not None:
            return f"{figure}, {self.valid_from:%Y-%m-%d} – {self.valid_until:%Y-%m-%d}"
        if self.is_standing:
            return figure
        return gettext("%(figure)s, from %(day)s") % {
            "figure": figure,
            "day": f"{self.valid_from:%Y-%m-%d}",
        }

    @property
    def is_standing(self) -> bool:
        return self.valid_from <= STANDING_FROM

    @property
    def is_closure(self) -> bool:
        return self.weekly_capacity == 0

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.hub_id and self.hub.kind != Location.Kind.HUB:
            errors["hub"] = _("Capacities belong to hubs only.")
        if self.valid_from is not None and self.valid_from.weekday() != 0:
            monday = self.valid_from - dt.timedelta(days=self.valid_from.weekday())
            errors["valid_from"] = _(
                "A capacity holds from a Monday: %(day)s is not one (that week's Monday is "
                "%(monday)s)."
            ) % {"day": self.valid_from.isoformat(), "monday": monday.isoformat()}
        if (
            self.valid_from is not None
            and self.valid_until is not None
            and self.valid_until < self.valid_from
        ):
            errors["valid_until"] = _(
                "The last week (%(until)s) cannot come before the first (%(since)s)."
            ) % {"until": self.valid_until.isoformat(), "since": self.valid_from.isoformat()}
        if self.weekly_capacity == 0 and not (self.reason or "").strip():
            errors["reason"] = _("A closure (0 units per week) needs a reason.")
        if not errors and self.hub_id and self.domain and self.valid_from is not None:
            same = HubCapacity.objects.filter(
                hub_id=self.hub_id,
                domain=self.domain,
                valid_from=self.valid_from,
                valid_until=self.valid_until,
            ).exclude(pk=self.pk)
            if same.exists():
                errors["__all__"] = _(
                    "%(hub)s already has a %(domain)s capacity for exactly these weeks: change "
                    "that one instead."
                ) % {"hub": self.hub, "domain": self.get_domain_display()}
        if errors:
            raise ValidationError(errors)


class CapabilityCoalition(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    domain = models.CharField(
        _("domain"), max_length=20, choices=CategoryDomain.choices, blank=True
    )
    lead_nations = models.ManyToManyField(
        Nation, related_name="led_coalitions", verbose_name=_("lead nations")
    )
    members = models.ManyToManyField(
        Nation, related_name="coalitions", blank=True, verbose_name=_("members")
    )

    class Meta:
        verbose_name = _("capability coalition")
        verbose_name_plural = _("capability coalitions")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Capability(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    coalition = models.ForeignKey(
        CapabilityCoalition,
        on_delete=models.PROTECT,
        related_name="capabilities",
        verbose_name=_("coalition"),
    )
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("capability")
        verbose_name_plural = _("capabilities")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
