"""Shipments, their lines and legs, the append-only status events, serial-numbered items and
discrepancies. Status, ETA and the counted quantities on these rows are derived from the events
(see ``lifecycle.py`` and ``ingest.py``); nothing else writes them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from coordcell.allocation.models import AllocationLine, AllocationRun
from coordcell.bounds import DAYS_MAX, INTEGER, QUANTITY_MAX, SMALLINT, VERSION_MAX, between
from coordcell.pledges.models import Pledge
from coordcell.registry.models import ROLES_ACTING_FOR_A_NATION, ItemCategory, Location, Nation
from coordcell.requirements.models import Requirement

from .lifecycle import EVENT_STATUSES, ShipmentStatus


class Shipment(models.Model):
    """Goods of one donor moving from its depot through a hub to one delivery point."""

    Status = ShipmentStatus

    reference = models.CharField(_("reference"), max_length=20, unique=True)
    donor = models.ForeignKey(Nation, on_delete=models.PROTECT, related_name="shipments")
    origin = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    hub = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="hub_shipments")
    delivery_point = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    run = models.ForeignKey(
        AllocationRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="shipments"
    )
    dispatch_week = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=between(0, SMALLINT[1])
    )
    # The load it travels in from the depot to the hub (L-000012): a plan's commit puts a
    # donor's shipments leaving one depot for one hub in one week in one load, one shipment per
    # delivery point. Empty for a shipment made by hand or imported. Route and timing
    # information: shown only to those who see the shipment's whole route.
    load = models.CharField(
        _("load"), max_length=20, blank=True, default="", db_default="", db_index=True
    )
    # Derived from the events: written only by ingest.refresh_shipments().
    status = models.CharField(
        _("status"), max_length=20, choices=ShipmentStatus.choices, default=ShipmentStatus.PLANNED
    )
    status_at = models.DateTimeField(_("status since (UTC)"), null=True, blank=True)
    last_location = models.ForeignKey(
        Location, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    planned_departure = models.DateField(_("planned departure"))
    planned_arrival = models.DateField(_("planned handover"))
    eta = models.DateField(_("expected handover"), null=True, blank=True)
    next_due = models.DateField(_("next milestone due"), null=True, blank=True)
    delay_days = models.IntegerField(
        _("days behind plan"), default=0, validators=between(-DAYS_MAX, DAYS_MAX)
    )
    reason = models.TextField(_("reason for the last change by hand"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1, validators=between(1, VERSION_MAX))

    class Meta:
        ordering = ["planned_departure", "reference"]
        indexes = [
            models.Index(fields=["status", "next_due"]),
            models.Index(fields=["status", "delay_days"]),
            models.Index(fields=["donor", "status"]),
            models.Index(fields=["hub", "status"]),
            # The shipments list (latest planned departure first) and arrivals by ETA.
            models.Index(fields=["planned_departure", "id"], name="shipment_departure_idx"),
            models.Index(fields=["eta"], name="shipment_eta_idx"),
        ]

    def __str__(self) -> str:
        return self.reference


class ShipmentLine(models.Model):
    """The part of an allocation line this shipment carries, and what was counted of it."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    allocation_line = models.ForeignKey(
        AllocationLine, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    pledge = models.ForeignKey(Pledge, on_delete=models.PROTECT, related_name="shipment_lines")
    requirement = models.ForeignKey(
        Requirement, on_delete=models.PROTECT, related_name="shipment_lines"
    )
    category = models.ForeignKey(ItemCategory, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(
        _("planned quantity"), validators=between(1, QUANTITY_MAX)
    )
    # Counted at departure, handover and receipt; None until that event arrives.
    shipped_quantity = models.PositiveIntegerField(
        _("shipped"), null=True, blank=True, validators=between(0, QUANTITY_MAX)
    )
    handed_over_quantity = models.PositiveIntegerField(
        _("handed over"), null=True, blank=True, validators=between(0, QUANTITY_MAX)
    )
    received_quantity = models.PositiveIntegerField(
        _("received"), null=True, blank=True, validators=between(0, QUANTITY_MAX)
    )

    class Meta:
        ordering = ["shipment", "id"]
        indexes = [models.Index(fields=["requirement", "shipment"])]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.category} → {self.requirement.reference}"


class Leg(models.Model):
    class Mode(models.TextChoices):
        ROAD = "road", _("Road")
        RAIL = "rail", _("Rail")
        AIR = "air", _("Air")
        SEA = "sea", _("Sea")

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="legs")
    sequence = models.PositiveSmallIntegerField(validators=between(1, SMALLINT[1]))
    origin = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    destination = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    mode = models.CharField(_("mode"), max_length=5, choices=Mode.choices)
    planned_departure = models.DateField(_("planned departure"))
    planned_arrival = models.DateField(_("planned arrival"))
    actual_departure = models.DateTimeField(_("departed (UTC)"), null=True, blank=True)
    actual_arrival = models.DateTimeField(_("arrived (UTC)"), null=True, blank=True)
    expected_departure = models.DateField(_("expected departure"), null=True, blank=True)
    expected_arrival = models.DateField(_("expected arrival"), null=True, blank=True)

    class Meta:
        ordering = ["shipment", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["shipment", "sequence"], name="leg_sequence_unique")
        ]
        indexes = [models.Index(fields=["destination", "expected_arrival"])]

    def __str__(self) -> str:
        return f"{self.shipment}: {self.origin} → {self.destination} ({self.get_mode_display()})"


class AppendOnlyError(Exception):
    pass


class ShipmentEvent(models.Model):
    """One status change as it happened: append-only, identified by the sender's own id.

    An id is unique within its sender's id space (``sender``): one nation's systems share one
    space, whichever of its users sends; the cell's staff share another. Another nation's id is
    then simply a new id for you: re-sending it tells nothing about that nation's events."""

    CELL = "cell"

    client_id = models.CharField(_("sender's event id"), max_length=100)
    sender = models.CharField(
        _("sender's id space"),
        max_length=20,
        db_default=CELL,  # also for rows inserted by raw SQL (coordcell.db.insert_many)
        help_text=_("'cell', or 'nation:<id>' of the nation whose liaison sent it."),
    )
    shipment = models.ForeignKey(Shipment, on_delete=models.PROTECT, related_name="events")
    status = models.CharField(
        _("status"), max_length=20, choices=[(s.value, s.label) for s in EVENT_STATUSES]
    )
    occurred_at = models.DateTimeField(_("when (UTC)"))
    recorded_at = models.DateTimeField(_("recorded (UTC)"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    location = models.ForeignKey(Location, on_delete=models.PROTECT, null=True, related_name="+")
    quantity = models.PositiveIntegerField(
        _("quantity"), null=True, blank=True, validators=between(0, QUANTITY_MAX)
    )
    line_quantities = models.JSONField(_("quantity per shipment line"), default=dict)
    serials = models.JSONField(_("serial numbers per shipment line"), default=dict)
    handed_over_by = models.CharField(_("handed over by (name)"), max_length=150, blank=True)
    taken_over_by = models.CharField(_("taken over by (name)"), max_length=150, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [models.Index(fields=["shipment", "occurred_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["sender", "client_id"], name="event_id_unique_per_sender"
            )
        ]

    def __str__(self) -> str:
        return f"{self.shipment_id} {self.status} {self.occurred_at:%Y-%m-%d %H:%M}"

    def save(self, **kwargs: Any) -> None:  # Model.save takes keywords only
        # History is evidence: an event is written once and never changed.
        if not self._state.adding:
            raise AppendOnlyError("Shipment events are append-only; record a new event instead.")
        super().save(**kwargs)

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("Shipment events are append-only and cannot be deleted.")

    @classmethod
    def sender_of(cls, user: Any) -> str:
        """The id space of the events this user sends: its nation's (a donor's or the
        recipient's liaisons, whichever of them sends), else the cell's."""
        role = getattr(user, "role", "")
        nation_id = getattr(user, "nation_id", None)
        if nation_id and role in ROLES_ACTING_FOR_A_NATION:
            return f"nation:{nation_id}"
        return cls.CELL


class SerialItem(models.Model):
    """One serial-numbered item of a sensitive category, from its manifest to end use."""

    serial = models.CharField(_("serial number"), max_length=100)
    category = models.ForeignKey(ItemCategory, on_delete=models.PROTECT, related_name="+")
    shipment_line = models.ForeignKey(
        ShipmentLine, on_delete=models.PROTECT, related_name="serial_items"
    )
    recorded_at = models.DateTimeField(_("recorded before departure (UTC)"))
    last_seen_at = models.DateTimeField(_("last seen (UTC)"))
    last_location = models.ForeignKey(
        Location, on_delete=models.PROTECT, null=True, related_name="+"
    )
    received_at = models.DateTimeField(_("received (UTC)"), null=True, blank=True)
    last_checked_at = models.DateTimeField(_("last inventory check (UTC)"), null=True, blank=True)

    class Meta:
        ordering = ["category", "serial"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "serial"], name="serial_unique_per_category"
            )
        ]
        indexes = [models.Index(fields=["received_at", "last_checked_at"])]

    def __str__(self) -> str:
        return f"{self.category.code} #{self.serial}"


class InventoryCheck(models.Model):
    """An end-use inventory check that found the item where it should be."""

    item = models.ForeignKey(SerialItem, on_delete=models.CASCADE, related_name="checks")
    checked_at = models.DateTimeField(_("checked (UTC)"))
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-checked_at"]

    def __str__(self) -> str:
        return f"{self.item} checked {self.checked_at:%Y-%m-%d}"


# A discrepancy is due this many days after it was recorded, unless the cell sets another date.
DISCREPANCY_DUE_DAYS = 14
DISCREPANCY_NOTE_MAX = 5000  # characters of a resolution note
# Kinds the donor answers for when found before handover: its count, its packing, its manifest.
DONOR_OWNED_KINDS = ("short", "damaged", "missing_serial", "wrong_serial")
BEFORE_HANDOVER = (
    ShipmentStatus.PLANNED,
    ShipmentStatus.READY,
    ShipmentStatus.DEPARTED,
    ShipmentStatus.AT_HUB,
    ShipmentStatus.DEPARTED_HUB,
)


def discrepancy_default_owner(kind: str, stage: str, donor_id: int | None) -> int | None:
    """Who answers for a new discrepancy: the shipment's donor for what it sent short, damaged
    or with the wrong serials, found before handover; the cell (None) for everything else."""
    if kind in DONOR_OWNED_KINDS and stage in BEFORE_HANDOVER:
        return donor_id
    return None


def discrepancy_default_due(recorded_at: dt.datetime) -> dt.date:
    return recorded_at.date() + dt.timedelta(days=DISCREPANCY_DUE_DAYS)


class Discrepancy(models.Model):
    class Kind(models.TextChoices):
        SHORT = "short", _("Short")
        DAMAGED = "damaged", _("Damaged")
        WRONG_ITEM = "wrong_item", _("Wrong item")
        MISSING_SERIAL = "missing_serial", _("Serial missing")
        EXTRA_SERIAL = "extra_serial", _("Serial not on the manifest")
        WRONG_SERIAL = "wrong_serial", _("Serial belongs elsewhere")

    # The stored values are read by the quantity ledger (docs/logistics.md): do not rename.
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        INVESTIGATING = "investigating", _("Investigating")
        RESOLVED = "resolved", _("Resolved")

    class Resolution(models.TextChoices):
        FOUND = "found", _("Found")
        REPLACED = "replaced", _("Replaced by the donor")
        WRITTEN_OFF = "written_off", _("Written off")
        CLAIMED = "claimed", _("Claimed")

    shipment = models.ForeignKey(Shipment, on_delete=models.PROTECT, related_name="discrepancies")
    line = models.ForeignKey(
        ShipmentLine, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    event = models.ForeignKey(
        ShipmentEvent, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    stage = models.CharField(_("found at"), max_length=20, choices=ShipmentStatus.choices)
    quantity = models.PositiveIntegerField(
        _("quantity affected"), null=True, blank=True, validators=between(0, QUANTITY_MAX)
    )
    serial = models.CharField(_("serial number"), max_length=100, blank=True)
    description = models.TextField(_("description"), blank=True)
    # A wrong serial's own shipment. Named on the page only to those who may see that shipment:
    # the description never names it (it is shown to everyone who sees this discrepancy).
    other_shipment = models.ForeignKey(
        Shipment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("serial's own shipment"),
    )
    location = models.ForeignKey(Location, on_delete=models.PROTECT, null=True, related_name="+")
    automatic = models.BooleanField(_("raised by a check"), default=False)
    # Who answers for it: a donor nation (always the shipment's donor), or the cell (None).
    owner_nation = models.ForeignKey(
        Nation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.OPEN
    )
    resolution = models.CharField(
        _("resolution"), max_length=20, choices=Resolution.choices, blank=True, default=""
    )
    due_on = models.DateField(_("due on"))
    resolved_at = models.DateTimeField(_("resolved (UTC)"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolution_note = models.TextField(_("resolution note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded (UTC)"))
    version = models.PositiveIntegerField(default=1, validators=between(1, VERSION_MAX))

    class Meta:
        ordering = ["-recorded_at", "-id"]
        verbose_name_plural = "discrepancies"
        indexes = [
            models.Index(fields=["shipment", "kind"]),
            models.Index(fields=["status", "due_on"], name="discrepancy_status_due_idx"),
        ]
        constraints = [
            # A resolution is set exactly when the discrepancy is resolved.
            models.CheckConstraint(
                condition=(
                    models.Q(status="resolved") & ~models.Q(resolution="")
                    | ~models.Q(status="resolved") & models.Q(resolution="")
                ),
                name="discrepancy_resolution_iff_resolved",
            )
        ]

    def __str__(self) -> str:
        what = f" #{self.serial}" if self.serial else ""
        return f"{self.shipment_id}: {self.get_kind_display()}{what}"

    @property
    def is_resolved(self) -> bool:
        return self.status == self.Status.RESOLVED


def photo_path(instance: DiscrepancyPhoto, filename: str) -> str:
    return f"discrepancies/{instance.discrepancy_id}/{filename}"


class DiscrepancyPhoto(models.Model):
    discrepancy = models.ForeignKey(Discrepancy, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(_("photo"), upload_to=photo_path)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField(validators=between(0, INTEGER[1]))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.file.name or ""
