"""What a check finds: serial manifests recorded before departure, serial numbers compared at
the hub and at handover, and counts short of the plan. Mismatches become discrepancies.

Each check event is compared once: when it is recorded, or, if its shipment's manifest arrives
later (events out of order), when the manifest is recorded.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.utils import timezone

from .lifecycle import CHECKS, S
from .models import (
    Discrepancy,
    SerialItem,
    Shipment,
    ShipmentEvent,
    ShipmentLine,
    discrepancy_default_due,
    discrepancy_default_owner,
)

Kind = Discrepancy.Kind
WRONG_SERIAL_TEXT = "This serial is on the manifest of another shipment."


def apply(event_ids: Sequence[int], user: Any) -> list[Discrepancy]:
    if not event_ids:
        return []
    events = list(
        ShipmentEvent.objects.filter(pk__in=event_ids)
        .select_related("shipment")
        .order_by("occurred_at", "id")
    )
    shipment_ids = {e.shipment_id for e in events}
    lines: dict[int, list[ShipmentLine]] = defaultdict(list)
    for line in ShipmentLine.objects.filter(shipment_id__in=shipment_ids).select_related(
        "category"
    ):
        lines[line.shipment_id].append(line)
    new_manifests: set[int] = set()
    for event in events:
        ready = event.status == S.READY and event.serials
        if ready and _record_manifest(event, lines[event.shipment_id]):
            new_manifests.add(event.shipment_id)
    found: list[Discrepancy] = []
    now = timezone.now()
    for event in events:
        if event.status in CHECKS:
            found += _short(event, lines[event.shipment_id], user, now)
    to_check = [e for e in events if e.status in CHECKS]
    if new_manifests:
        to_check += list(
            ShipmentEvent.objects.filter(shipment_id__in=new_manifests, status__in=CHECKS)
            .exclude(pk__in=event_ids)
            .select_related("shipment")
        )
    sensitive = {sid for sid, ls in lines.items() if any(ln.category.sensitive for ln in ls)}
    to_check = [e for e in to_check if e.shipment_id in sensitive or e.serials]
    if to_check:
        manifests: dict[int, dict[str, SerialItem]] = defaultdict(dict)
        for item in SerialItem.objects.filter(
            shipment_line__shipment_id__in={e.shipment_id for e in to_check}
        ).select_related("shipment_line"):
            manifests[item.shipment_line.shipment_id][item.serial] = item
        for event in sorted(to_check, key=lambda e: (e.occurred_at, e.id)):
            found += _compare_serials(event, manifests[event.shipment_id], user, now, found)
    donors = {e.shipment_id: e.shipment.donor_id for e in events}
    for d in found:
        # Each check event is compared once, so a discrepancy here is always new.
        donor_id = donors.get(d.shipment_id)
        if donor_id is None:
            donor_id = Shipment.objects.values_list("donor_id", flat=True).get(pk=d.shipment_id)
            donors[d.shipment_id] = donor_id
        d.owner_nation_id = discrepancy_default_owner(d.kind, d.stage, donor_id)
        d.due_on = discrepancy_default_due(d.recorded_at)
    Discrepancy.objects.bulk_create(found)
    if found:
        from coordcell.notifications.services import notify_discrepancies_opened

        notify_discrepancies_opened(found)  # raised by a check, not by the sender: all are told
    return found


def _record_manifest(event: ShipmentEvent, lines: list[ShipmentLine]) -> bool:
    by_id = {str(line.pk): line for line in lines}
    existing = set(
        SerialItem.objects.filter(shipment_line__shipment_id=event.shipment_id).values_list(
            "serial", flat=True
        )
    )
    items = [
        SerialItem(
            serial=serial,
            category=by_id[key].category,
            shipment_line=by_id[key],
            recorded_at=event.occurred_at,
            last_seen_at=event.occurred_at,
            last_location_id=event.location_id,
        )
        for key, serials in event.serials.items()
        for serial in serials
        if serial not in existing
    ]
    # A serial already on another shipment is refused at validation; ignore_conflicts guards races.
    SerialItem.objects.bulk_create(items, ignore_conflicts=True)
    return bool(items)


def _short(
    event: ShipmentEvent, lines: list[ShipmentLine], user: Any, now: Any
) -> list[Discrepancy]:
    found = []
    for line in lines:
        counted = event.line_quantities.get(str(line.pk))
        if counted is not None and counted < line.quantity:
            found.append(
                Discrepancy(
                    shipment_id=event.shipment_id,
                    line=line,
                    event=event,
                    kind=Kind.SHORT,
                    stage=event.status,
                    quantity=line.quantity - counted,
                    description=f"Counted {counted} of {line.quantity} planned.",
                    location_id=event.location_id,
                    automatic=True,
                    recorded_by=user,
                    recorded_at=now,
                )
            )
    return found


def _compare_serials(
    event: ShipmentEvent,
    manifest: dict[str, SerialItem],
    user: Any,
    now: Any,
    pending: Sequence[Discrepancy] = (),
) -> list[Discrepancy]:
    if not manifest or (event.status == S.RECEIVED and not event.serials):
        if event.status == S.RECEIVED and manifest:
            # Received without a count of serials: everything on the manifest arrived, but for
            # the serials an earlier check reported missing (and nobody has found since): a
            # receipt that did not count them cannot say they are there.
            reported = _reported_missing(event.shipment_id, pending)
            arrived = [item for serial, item in manifest.items() if serial not in reported]
            _mark_seen(event, arrived)
            _mark_received(event, arrived)
        return []

    def raise_(
        kind: str, serial: str, text: str, line_id: int | None = None, other: int | None = None
    ) -> Discrepancy:
        return Discrepancy(
            shipment_id=event.shipment_id,
            line_id=line_id,
            event=event,
            kind=kind,
            stage=event.status,
            quantity=1,
            serial=serial,
            description=text,
            other_shipment_id=other,
            location_id=event.location_id,
            automatic=True,
            recorded_by=user,
            recorded_at=now,
        )

    found: list[Discrepancy] = []
    seen: set[str] = set()
    for key, serials in (event.serials or {}).items():
        for serial in serials:
            seen.add(serial)
            item = manifest.get(serial)
            if item is None:
                continue
            if key and str(item.shipment_line_id) != key:
                found.append(
                    raise_(
                        Kind.WRONG_SERIAL,
                        serial,
                        f"Listed under line {key}; the manifest has it on line "
                        f"{item.shipment_line_id}.",
                        item.shipment_line_id,
                    )
                )
    unknown = seen - set(manifest)
    if unknown:
        elsewhere = dict(
            SerialItem.objects.filter(serial__in=unknown).values_list(
                "serial", "shipment_line__shipment_id"
            )
        )
        for serial in sorted(unknown):
            other = elsewhere.get(serial)
            if other is not None:
                # The text is read by everyone who sees this discrepancy (the donor, the
                # recipient at handover): it never names the other shipment; the page names it
                # to those who may see it (other_shipment).
                found.append(raise_(Kind.WRONG_SERIAL, serial, WRONG_SERIAL_TEXT, other=other))
            else:
                found.append(raise_(Kind.EXTRA_SERIAL, serial, "Not on the manifest."))
    for serial in sorted(set(manifest) - seen):
        found.append(
            raise_(
                Kind.MISSING_SERIAL,
                serial,
                "On the manifest but not found at this check.",
                manifest[serial].shipment_line_id,
            )
        )
    matched = [manifest[s] for s in seen & set(manifest)]
    _mark_seen(event, matched)
    if event.status == S.RECEIVED:
        _mark_received(event, matched)
    return found


def _reported_missing(shipment_id: int, pending: Sequence[Discrepancy]) -> set[str]:
    """Serials of this shipment reported missing and not resolved as found: recorded before, or
    found earlier in this batch."""
    stored = (
        Discrepancy.objects.filter(shipment_id=shipment_id, kind=Kind.MISSING_SERIAL)
        .exclude(resolution=Discrepancy.Resolution.FOUND)
        .values_list("serial", flat=True)
    )
    batch = {
        d.serial for d in pending if d.shipment_id == shipment_id and d.kind == Kind.MISSING_SERIAL
    }
    return set(stored) | batch


def _mark_seen(event: ShipmentEvent, items: list[SerialItem]) -> None:
    """The items were seen where the event happened, unless they were seen somewhere later."""
    # Every item gets the same values: one UPDATE, not bulk_update's CASE per item.
    SerialItem.objects.filter(
        pk__in=[item.pk for item in items], last_seen_at__lte=event.occurred_at
    ).update(last_seen_at=event.occurred_at, last_location_id=event.location_id)


def _mark_received(event: ShipmentEvent, items: list[SerialItem]) -> None:
    SerialItem.objects.filter(pk__in=[item.pk for item in items], received_at=None).update(
        received_at=event.occurred_at
    )
