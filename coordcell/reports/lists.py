"""Lists behind dashboard figures that no register filter expresses, e.g. unallocated pledges."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import DateField, F, QuerySet
from django.db.models.functions import TruncWeek
from django.utils.translation import gettext_lazy as _

from coordcell.pledges.models import Pledge
from coordcell.pledges.selectors import pledges_visible_to

from . import figures


def attr(path: str) -> Callable[[Any], Any]:
    def get(obj: Any) -> Any:
        value = obj
        for part in path.split("."):
            value = getattr(value, part)
            if callable(value):
                value = value()
        return value

    return get


def quantity(path: str) -> Callable[[Any], Any]:
    """A pledge's quantity with its category's unit ("204,954 litre"), as the language writes it."""
    from coordcell.registry.templatetags.figures import qty

    read = attr(path)
    return lambda obj: qty(read(obj), obj.category.unit)


def _day(path: str) -> Callable[[Any], Any]:
    from coordcell.registry.templatetags.figures import day

    read = attr(path)
    return lambda obj: day(read(obj))


def _eta_window(shipment: Any) -> str:
    """The recipient is told a window, not the exact plan (need-to-know)."""
    from coordcell.logistics.selectors import eta_window
    from coordcell.registry.templatetags.figures import day

    window = eta_window(shipment)
    return " – ".join(day(d) for d in window) if window else "–"


@dataclass(frozen=True)
class DrillList:
    title: Any
    columns: tuple[tuple[Any, Callable[[Any], Any], str], ...]  # (label, value, ORM sort key)
    queryset: Callable[[Any, dt.date], QuerySet[Any]]
    detail_url: str  # with {pk}
    default_sort: str


def _unallocated(user: Any, today: dt.date) -> QuerySet[Any]:
    return (
        pledges_visible_to(user)
        .filter(status=Pledge.Status.CONFIRMED, allocated_quantity__lt=F("quantity"))
        .annotate(unallocated=F("quantity") - F("allocated_quantity"))
    )


def _arriving(user: Any, today: dt.date) -> QuerySet[Any]:
    from coordcell.logistics.lifecycle import IN_PROGRESS
    from coordcell.logistics.selectors import shipments_visible_to

    monday = today - dt.timedelta(days=today.weekday())
    # Every row's window is this week; sorting by the ETA itself would rank the shipments by
    # their exact plan, which the window hides. "eta_week" (the window) sorts without that.
    return (
        shipments_visible_to(user)
        .filter(status__in=IN_PROGRESS, eta__range=(monday, monday + dt.timedelta(days=6)))
        .annotate(eta_week=TruncWeek("eta", output_field=DateField()))
    )


LISTS: dict[str, DrillList] = {
    "unallocated-pledges": DrillList(
        _("Confirmed pledges not yet fully allocated"),
        (
            (_("Reference"), attr("reference"), "reference"),
            (_("Donor"), attr("donor.name"), "donor__name"),
            (_("Category"), attr("category.name"), "category__name"),
            (_("Quantity"), quantity("quantity"), "quantity"),
            (_("Allocated"), quantity("allocated_quantity"), "allocated_quantity"),
            (_("Unallocated"), quantity("unallocated"), "unallocated"),
            (_("Available from"), _day("available_from"), "available_from"),
        ),
        _unallocated,
        "/pledges/{pk}/",
        "available_from",
    ),
}
if figures.logistics_installed():
    LISTS["arriving-this-week"] = DrillList(
        _("Shipments arriving this week"),
        (
            (_("Shipment"), attr("reference"), "reference"),
            (_("Donor"), attr("donor.name"), "donor__name"),
            (_("Delivery point"), attr("delivery_point.name"), "delivery_point__name"),
            (_("Status"), attr("get_status_display"), "status"),
            (_("Expected handover (window)"), _eta_window, "eta_week"),
        ),
        _arriving,
        "/logistics/shipments/{pk}/",
        "reference",
    )
