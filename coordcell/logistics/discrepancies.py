"""Discrepancies recorded by hand at any check (short, damaged, wrong item, wrong serial), with
photos; and end-use inventory checks of serial-numbered items."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from coordcell.audit.services import AuditEntry, record, record_many
from coordcell.registry.access import as_user
from coordcell.registry.models import Location

from .models import Discrepancy, DiscrepancyPhoto, InventoryCheck, SerialItem, Shipment
from .selectors import serial_items_visible_to, shipments_visible_to

# Photos from phones at a hub: JPEG, PNG or WebP, recognised by their first bytes, not by name.
PHOTO_SIGNATURES = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/webp": (b"RIFF",),
}
MAX_PHOTOS = 10


def photo_max_bytes() -> int:
    return int(getattr(settings, "COORDCELL_PHOTO_MAX_BYTES", 5 * 1024 * 1024))


def check_photo(photo: UploadedFile) -> str:
    """The photo's content type, or ValidationError naming the file and what is allowed."""
    name = photo.name or "photo"
    limit = photo_max_bytes()
    if photo.size is None or photo.size > limit:
        raise ValidationError(
            f"{name}: {photo.size or 0:,} bytes; a photo may have at most {limit:,} bytes."
        )
    photo.seek(0)
    head = photo.read(12)
    photo.seek(0)
    for content_type, signatures in PHOTO_SIGNATURES.items():
        if any(head.startswith(sig) for sig in signatures):
            if content_type == "image/webp" and head[8:12] != b"WEBP":
                continue
            return content_type
    raise ValidationError(f"{name}: not a JPEG, PNG or WebP image.")


def can_record_discrepancy(user: Any, shipment: Shipment) -> bool:
    u = as_user(user)
    if u is None or not shipments_visible_to(u).filter(pk=shipment.pk).exists():
        return False
    return u.is_coordinator or u.is_donor_liaison or u.is_recipient_liaison


def discrepancy_record(
    *,
    actor: Any,
    shipment: Shipment,
    kind: str,
    description: str,
    line_id: int | None = None,
    quantity: int | None = None,
    serial: str = "",
    location: Location | None = None,
    photos: Sequence[UploadedFile] = (),
) -> Discrepancy:
    """Record what a check found, with photos; audited."""
    if not can_record_discrepancy(actor, shipment):
        raise PermissionDenied("You may not record discrepancies on this shipment.")
    errors: dict[str, Any] = {}
    if kind not in Discrepancy.Kind.values:
        errors["kind"] = f"Choose one of: {', '.join(Discrepancy.Kind.values)}."
    if line_id is not None and not shipment.lines.filter(pk=line_id).exists():
        errors["line"] = f"Line {line_id} is not on {shipment.reference}."
    if kind == Discrepancy.Kind.SHORT and not quantity:
        errors["quantity"] = "Say how many are short."
    if len(photos) > MAX_PHOTOS:
        errors["photos"] = f"At most {MAX_PHOTOS} photos per discrepancy."
    types = []
    photo_errors = []
    for photo in photos:
        try:
            types.append(check_photo(photo))
        except ValidationError as exc:
            photo_errors += exc.messages
    if photo_errors:
        errors["photos"] = photo_errors
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        discrepancy = Discrepancy.objects.create(
            shipment=shipment,
            line_id=line_id,
            kind=kind,
            stage=shipment.status,
            quantity=quantity,
            serial=serial,
            description=description,
            location=location or shipment.last_location,
            recorded_by=actor,
            recorded_at=timezone.now(),
        )
        for photo, content_type in zip(photos, types, strict=True):
            DiscrepancyPhoto.objects.create(
                discrepancy=discrepancy,
                file=photo,
                content_type=content_type,
                size=photo.size or 0,
                uploaded_by=actor,
            )
        record(
            actor=actor,
            verb="discrepancy.record",
            target=discrepancy,
            data={
                "shipment": shipment.reference,
                "kind": kind,
                "quantity": quantity,
                "serial": serial,
                "description": description,
                "photos": len(photos),
            },
        )
        from coordcell.notifications.services import notify_discrepancy_opened

        notify_discrepancy_opened(discrepancy, actor)
    return discrepancy


def inventory_check_record(
    *,
    actor: Any,
    serials: Sequence[str],
    location: Location,
    checked_at: dt.datetime | None = None,
    note: str = "",
) -> list[SerialItem]:
    """Record that these received items were found at ``location``. Unknown serials are refused."""
    u = as_user(actor)
    if u is None or not (u.is_coordinator or u.is_recipient_liaison):
        raise PermissionDenied("End-use checks are recorded by the cell or the recipient.")
    if not location.nation.is_recipient:
        raise ValidationError(
            {
                "location": "An end-use check is made in the recipient's country: choose one "
                "of its locations."
            }
        )
    checked_at = checked_at or timezone.now()
    wanted = [s.strip() for s in serials if s.strip()]
    items = list(serial_items_visible_to(u).filter(serial__in=wanted, received_at__isnull=False))
    unknown = sorted(set(wanted) - {i.serial for i in items})
    if unknown:
        raise ValidationError(f"Not received items you may check: {', '.join(unknown[:20])}.")
    with transaction.atomic():
        InventoryCheck.objects.bulk_create(
            InventoryCheck(
                item=i, checked_at=checked_at, checked_by=u, location=location, note=note
            )
            for i in items
        )
        for item in items:
            item.last_checked_at = max(item.last_checked_at or checked_at, checked_at)
            if checked_at >= item.last_seen_at:
                item.last_seen_at, item.last_location = checked_at, location
        SerialItem.objects.bulk_update(items, ["last_checked_at", "last_seen_at", "last_location"])
        record_many(
            actor=u,
            verb="serial.inventory_check",
            entries=(
                AuditEntry(
                    "logistics.serialitem",
                    str(i.pk),
                    str(i)[:200],
                    {"checked_at": checked_at, "location": location.code},
                )
                for i in items
            ),
        )
    return items
