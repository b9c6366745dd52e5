"""What the crawl fills URL patterns with: ids per model (one record of each nation and visibility
class that matters to the viewers, the payload records, the reference records holding payloads),
the API's resources, the registers' export slugs, the drill-down lists and the report scopes."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db import models

from . import rules
from .estate import Estate

NATIONS = ("DE", "PL", "US", "UA", "GB")
SHIPMENT_STATES = ("route", "at_hub", "handed_over", "wrong serial at hub")
REFERENCE_SAMPLES: dict[str, dict[str, Any]] = {
    "registry.nation": {"code__in": ["US", "FR", "PL"]},
    "registry.organisation": {"nation__code__in": ["PL"]},
    "registry.itemcategory": {"code__in": ["stinger", "ammo-155-m795"]},
    "registry.capabilitycoalition": {},
    "registry.capability": {},
    "training.course": {"code__in": ["fpv-pilot", "nato-proc"]},
}
TRAINING_REGISTERS = ("courses", "training-sites", "training-sessions", "cohorts", "bookings")


def samples(estate: Estate) -> dict[str, Any]:
    from coordcell.allocation.models import AllocationLine, AllocationRun
    from coordcell.api.urls import RESOURCES
    from coordcell.audit.models import AuditEvent
    from coordcell.catalogue import REGISTERS
    from coordcell.logistics.models import DiscrepancyPhoto
    from coordcell.notifications.models import Notification
    from coordcell.readiness.models import CapabilityPackage
    from coordcell.registry.models import CapabilityCoalition, HubCapacity, Location
    from coordcell.reports.lists import LISTS
    from coordcell.training.models import Booking, ScheduleRun, TrainingSite

    out: dict[str, Any] = {label: _owned(estate, label) for label in rules.OWNED}
    shipments = [
        states[state].pk
        for states in estate.shipments.values()
        for state in SHIPMENT_STATES
        if state in states
    ]
    out["logistics.shipment"] = list(dict.fromkeys([*shipments, *out["logistics.shipment"]]))
    codes = ["crawl-hub", "dp-lviv", "lublin", "salisbury-plain"]
    out["registry.location"] += _ids(Location.objects.filter(code__in=codes))
    out["hub"] = _ids(Location.objects.filter(code__in=["crawl-hub", "rzeszow-jasionka"]))
    out["registry.hubcapacity"] = _ids(HubCapacity.objects.filter(hub_id__in=out["hub"]))[:3]
    out["logistics.discrepancyphoto"] = _ids(DiscrepancyPhoto.objects.all())
    # The API names a photo by its discrepancy and itself: /discrepancies/{id}/photos/{photo}.
    out["discrepancy photos"] = list(
        DiscrepancyPhoto.objects.order_by("pk").values_list("discrepancy_id", "pk")
    )
    out["allocation.allocationrun"] = _ids(AllocationRun.objects.all())
    out["training.schedulerun"] = _ids(ScheduleRun.objects.all())
    committed = AllocationLine.objects.filter(run__status="committed").order_by("pk")
    lines = [committed.filter(pledge__donor__code=code).first() for code in ("DE", "PL")]
    out["allocation lines"] = [(line.run_id, line.pk) for line in lines if line is not None]
    packages = CapabilityPackage.objects.order_by("pk")
    out["readiness.capabilitypackage"] = [
        *_ids(packages)[:4],
        *_ids(packages.filter(reference__startswith="CP-CRAWL")),
    ]
    seqs = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True)
    about_pl = seqs.filter(target_type="logistics.shipmentevent", target_repr__contains="CNRY-PL")
    out["audit.auditevent"] = [*seqs[:1], *about_pl[:1]]
    sites = TrainingSite.objects.filter(location__nation__code__in=["DE", "GB", "PL"])
    out["training.trainingsite"] = _ids(sites)[:3]
    out["training.booking"] = _ids(Booking.objects.all())[:2]
    # The first notification of each recipient: each viewer reads its own, and another's is a 404.
    first: dict[int, int] = {}
    for pk, recipient in Notification.objects.order_by("pk").values_list("pk", "recipient_id"):
        first.setdefault(recipient, pk)
    out["notifications.notification"] = list(first.values())
    for label, filters in REFERENCE_SAMPLES.items():
        out[label] = _ids(apps.get_model(label)._default_manager.filter(**filters))[:3]
    out["api models"] = {r.slug: str(r.register.model._meta.label_lower) for r in RESOURCES}
    out["api models"]["audit-events"] = "audit.auditevent"
    out["api models"]["allocation-runs"] = "allocation.allocationrun"
    out["api models"]["schedule-runs"] = "training.schedulerun"
    out["api models"]["shipments"] = "logistics.shipment"
    out["api models"]["discrepancies"] = "logistics.discrepancy"
    out["api models"]["serial-items"] = "logistics.serialitem"
    out["api models"]["hub-capacities"] = "registry.hubcapacity"
    out["api models"]["notifications"] = "notifications.notification"
    out["api models"]["training-sessions"] = "training.session"
    out["api models"]["bookings"] = "training.booking"
    out["api models"]["capability-packages"] = "readiness.capabilitypackage"
    out["api models"]["pledge-deliveries"] = "pledges.pledgedelivery"
    out["register slugs"] = [r.slug for r in REGISTERS] + list(TRAINING_REGISTERS)
    out["drill lists"] = list(LISTS)
    # scope -> the viewers who ask for it (None: every viewer). The whole picture carries the
    # markup payloads; another donor (overridden by a donor's own scope) and a coalition whose
    # names hold none shows the rest of a briefing even while markup breaks the whole one.
    coalition = CapabilityCoalition.objects.order_by("pk").last()
    out["scopes"] = {
        "": None,
        f"?donor=PL&coalition={coalition.pk}": ("coordinator", "donor-de", "recipient"),
    }
    return out


def _ids(qs: Any) -> list[int]:
    return list(qs.order_by("pk").values_list("pk", flat=True))


def _owned(estate: Estate, label: str) -> list[int]:
    """The first record of each (nation, visibility class), and two payload records."""
    ownership = rules.OWNED[label]
    model = apps.get_model(label)
    # Not the numbers: the largest value Pledge.value accepts does not read back on SQLite (the
    # crawl's business to find, not the sample's).
    numbers = [f.name for f in model._meta.concrete_fields if isinstance(f, models.DecimalField)]
    qs = model._default_manager.select_related(*ownership.related).defer(*numbers).order_by("pk")
    if label == "training.cohort":
        qs = qs.prefetch_related("bookings__session__site__location__nation")
    picked: dict[tuple[str, str], int] = {}
    for obj in qs:
        nation = ownership.owner(obj)
        if nation in NATIONS:
            picked.setdefault((nation, ownership.klass(obj)), obj.pk)
    return [*picked.values(), *estate.payload_rows.get(label, [])[:2]]
