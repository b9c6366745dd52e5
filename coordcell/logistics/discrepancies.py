"""Discrepancies recorded by hand at any check (short, damaged, wrong item, wrong serial), with
photos; their lifecycle (open -> investigating -> resolved as found, replaced, written off or
claimed; an owner; a due date); and end-use inventory checks of serial-numbered items.

What each resolution means for the quantities is in docs/logistics.md ("Discrepancy lifecycle")."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from coordcell.audit.services import (
    AuditEntry,
    StaleEditError,
    changes,
    record,
    record_many,
    snapshot,
)
from coordcell.pledges.services import pledges_refresh_allocated
from coordcell.registry.access import as_user
from coordcell.registry.models import Location
from coordcell.requirements.services import requirements_refresh_status

from .lifecycle import S
from .models import (
    DISCREPANCY_NOTE_MAX,
    Discrepancy,
    DiscrepancyPhoto,
    InventoryCheck,
    SerialItem,
    Shipment,
    ShipmentLine,
    discrepancy_default_due,
    discrepancy_default_owner,
)
from .selectors import (
    can_investigate_discrepancy,
    can_reassign_discrepancy,
    can_resolve_discrepancy,
    can_set_due_discrepancy,
    discrepancy_resolutions_for,
    serial_items_visible_to,
    shipments_visible_to,
)

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
    now = timezone.now()
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
            owner_nation_id=discrepancy_default_owner(kind, shipment.status, shipment.donor_id),
            due_on=discrepancy_default_due(now),
            recorded_by=actor,
            recorded_at=now,
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
        _refresh_ledger(actor, discrepancy, f"discrepancy on {shipment.reference}: {kind}")
        from coordcell.notifications.services import notify_discrepancy_opened

        notify_discrepancy_opened(discrepancy, actor)
    return discrepancy


def _refresh_ledger(actor: Any, discrepancy: Discrepancy, cause: str) -> None:
    """A damaged quantity, or one found or written off, moves the line's requirement and
    pledge in the ledger: their stored status and committed quantity follow."""
    if discrepancy.line_id is None:
        return
    line = ShipmentLine.objects.only("requirement_id", "pledge_id").get(pk=discrepancy.line_id)
    requirements_refresh_status(actor=actor, requirement_ids=[line.requirement_id], cause=cause)
    pledges_refresh_allocated(actor=actor, pledge_ids=[line.pledge_id], cause=cause)


# ---- the lifecycle ----

NOTE_MAX = DISCREPANCY_NOTE_MAX
# A resolution other than "found" says why: it changes what the next allocation run plans.
NOTE_REQUIRED = (
    Discrepancy.Resolution.REPLACED,
    Discrepancy.Resolution.WRITTEN_OFF,
    Discrepancy.Resolution.CLAIMED,
)
AUDITED_FIELDS = (
    "status",
    "resolution",
    "owner_nation",
    "due_on",
    "resolved_at",
    "resolved_by",
    "resolution_note",
    "version",
)


def _label(value: str) -> str:
    return str(Discrepancy.Resolution(value).label)


def _change(
    *,
    actor: Any,
    discrepancy: Discrepancy,
    expected_version: int | None,
    verb: str,
    allowed: Callable[[Any, Discrepancy], bool],
    refusal: str,
    apply: Callable[[Discrepancy], None],
) -> Discrepancy:
    """Lock the row, check who acts on what it is now, apply, validate, save and audit: the one
    path of every lifecycle action. A resolved discrepancy is final."""
    with transaction.atomic():
        stored = (
            Discrepancy.objects.select_for_update()
            .select_related("shipment")
            .get(pk=discrepancy.pk)
        )
        if stored.status == Discrepancy.Status.RESOLVED:
            raise ValidationError(
                {
                    "resolution": _(
                        "This discrepancy is already resolved (%(resolution)s, %(when)s): a "
                        "resolution is final. Record a new discrepancy if something else is wrong."
                    )
                    % {
                        "resolution": _label(stored.resolution),
                        "when": f"{stored.resolved_at:%Y-%m-%d}" if stored.resolved_at else "–",
                    }
                }
            )
        if expected_version is not None and stored.version != expected_version:
            raise StaleEditError(stored)
        if not allowed(actor, stored):
            raise PermissionDenied(refusal)
        before = snapshot(stored, AUDITED_FIELDS)
        apply(stored)
        stored.version += 1
        # The lifecycle's fields are validated; what the check recorded is not ours to judge
        # again (an automatic discrepancy may have no location).
        stored.full_clean(
            exclude=[f.name for f in Discrepancy._meta.fields if f.name not in AUDITED_FIELDS]
        )
        stored.save(update_fields=list(AUDITED_FIELDS))
        record(
            actor=actor,
            verb=verb,
            target=stored,
            data={
                "shipment": stored.shipment.reference,
                "changes": changes(before, snapshot(stored, AUDITED_FIELDS)),
            },
        )
    # The caller's object shows the change too.
    for name in AUDITED_FIELDS:
        attname = {"owner_nation": "owner_nation_id", "resolved_by": "resolved_by_id"}.get(
            name, name
        )
        setattr(discrepancy, attname, getattr(stored, attname))
    for relation in ("owner_nation", "resolved_by"):
        discrepancy._state.fields_cache.pop(relation, None)
    return discrepancy


def discrepancy_start_investigation(
    *, actor: Any, discrepancy: Discrepancy, expected_version: int | None = None
) -> Discrepancy:
    """Open -> investigating, by the cell or the owner nation's donor liaison; audited."""

    def apply(d: Discrepancy) -> None:
        d.status = Discrepancy.Status.INVESTIGATING

    return _change(
        actor=actor,
        discrepancy=discrepancy,
        expected_version=expected_version,
        verb="discrepancy.investigate",
        allowed=can_investigate_discrepancy,
        refusal=_("Only the cell or the owner nation may investigate an open discrepancy."),
        apply=apply,
    )


def discrepancy_resolve(
    *,
    actor: Any,
    discrepancy: Discrepancy,
    resolution: str,
    note: str = "",
    expected_version: int | None = None,
) -> Discrepancy:
    """Resolve as found, replaced, written off or claimed (final; audited). What each means for
    the quantities is in docs/logistics.md. A missing serial found on a received shipment is
    received with it."""
    note = note.strip()
    errors: dict[str, str] = {}
    if resolution not in Discrepancy.Resolution.values:
        errors["resolution"] = _("Choose one of: %(choices)s.") % {
            "choices": ", ".join(str(label) for label in Discrepancy.Resolution.labels)
        }
    elif resolution in NOTE_REQUIRED and not note:
        errors["note"] = _("Say why it is %(resolution)s (who replaces, claims or decided).") % {
            "resolution": _label(resolution).lower()
        }
    if len(note) > NOTE_MAX:
        errors["note"] = _("A note has at most %(n)s characters.") % {"n": f"{NOTE_MAX:,}"}
    if errors:
        raise ValidationError(errors)
    now = timezone.now()

    def allowed(user: Any, d: Discrepancy) -> bool:
        return can_resolve_discrepancy(user, d, resolution)

    def apply(d: Discrepancy) -> None:
        d.status = Discrepancy.Status.RESOLVED
        d.resolution = resolution
        d.resolution_note = note
        d.resolved_at = now
        d.resolved_by_id = getattr(actor, "pk", None)

    if discrepancy_resolutions_for(actor, discrepancy) and not allowed(actor, discrepancy):
        raise ValidationError(
            {
                "resolution": _("You may resolve this discrepancy only as: %(choices)s.")
                % {
                    "choices": ", ".join(
                        _label(r) for r in discrepancy_resolutions_for(actor, discrepancy)
                    )
                }
            }
        )
    with transaction.atomic():
        resolved = _change(
            actor=actor,
            discrepancy=discrepancy,
            expected_version=expected_version,
            verb="discrepancy.resolve",
            allowed=allowed,
            refusal=_("You may not resolve this discrepancy."),
            apply=apply,
        )
        if (
            resolution == Discrepancy.Resolution.FOUND
            and resolved.kind == Discrepancy.Kind.MISSING_SERIAL
            and resolved.serial
        ):
            _found_serial_received(resolved, now)
        _refresh_ledger(
            actor,
            resolved,
            f"discrepancy on {resolved.shipment.reference} resolved: {resolution}",
        )
    return resolved


def _found_serial_received(d: Discrepancy, now: dt.datetime) -> None:
    """A missing serial found on a shipment the recipient received was received with it (the
    receipt did not count it as received while it was reported missing)."""
    shipment = Shipment.objects.get(pk=d.shipment_id)
    if shipment.status != S.RECEIVED:
        return
    still_missing = (
        Discrepancy.objects.filter(
            shipment_id=d.shipment_id, serial=d.serial, kind=Discrepancy.Kind.MISSING_SERIAL
        )
        .exclude(resolution=Discrepancy.Resolution.FOUND)
        .exists()
    )
    if still_missing:
        return
    SerialItem.objects.filter(
        shipment_line__shipment_id=d.shipment_id, serial=d.serial, received_at=None
    ).update(received_at=shipment.status_at or now)


def discrepancy_reassign(
    *,
    actor: Any,
    discrepancy: Discrepancy,
    owner_nation_id: int | None,
    expected_version: int | None = None,
) -> Discrepancy:
    """Give the discrepancy to its shipment's donor (``owner_nation_id``) or to the cell
    (None): the coordinator, while it is not resolved; audited."""
    if owner_nation_id is not None and owner_nation_id != discrepancy.shipment.donor_id:
        raise ValidationError(
            {"owner": _("The owner is the shipment's donor or the cell: choose one of them.")}
        )

    def apply(d: Discrepancy) -> None:
        d.owner_nation_id = owner_nation_id

    return _change(
        actor=actor,
        discrepancy=discrepancy,
        expected_version=expected_version,
        verb="discrepancy.reassign",
        allowed=can_reassign_discrepancy,
        refusal=_("Only the coordinator reassigns a discrepancy."),
        apply=apply,
    )


def discrepancy_set_due(
    *,
    actor: Any,
    discrepancy: Discrepancy,
    due_on: dt.date,
    expected_version: int | None = None,
) -> Discrepancy:
    """Set when it must be resolved by: the coordinator, while it is not resolved; audited."""
    recorded = discrepancy.recorded_at.date()
    if due_on < recorded:
        raise ValidationError(
            {
                "due_on": _("The due date is on or after the day it was recorded (%(day)s).")
                % {"day": recorded.isoformat()}
            }
        )

    def apply(d: Discrepancy) -> None:
        d.due_on = due_on

    return _change(
        actor=actor,
        discrepancy=discrepancy,
        expected_version=expected_version,
        verb="discrepancy.set_due",
        allowed=can_set_due_discrepancy,
        refusal=_("Only the coordinator sets a discrepancy's due date."),
        apply=apply,
    )


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
