"""A requirement's status follows from what is allocated to it and what was received: this is
the one place that says how. ``services.requirements_refresh_status`` is its only writer."""

from __future__ import annotations

from dataclasses import dataclass

from .models import Requirement

Status = Requirement.Status


@dataclass(frozen=True)
class Coverage:
    """The quantities of one requirement that decide its status (logistics/ledger.py counts
    them from committed allocation lines and shipments)."""

    allocated: int = 0  # committed to it and not released (a cancelled shipment releases)
    received: int = 0  # confirmed received by the recipient


def derive_status(*, required: int | None, coverage: Coverage, cancelled: bool) -> str:
    """Fulfilled only by what was received; allocated only by committed plans. An undisclosed
    quantity (None) is never fulfilled nor wholly allocated: only partly, or open."""
    if cancelled:
        return Status.CANCELLED
    if required is None:
        if coverage.received > 0:
            return Status.PARTLY_FULFILLED
        return Status.PARTLY_ALLOCATED if coverage.allocated > 0 else Status.OPEN
    if coverage.received >= required:
        return Status.FULFILLED
    if coverage.received > 0:
        return Status.PARTLY_FULFILLED
    if coverage.allocated >= required:
        return Status.ALLOCATED
    if coverage.allocated > 0:
        return Status.PARTLY_ALLOCATED
    return Status.OPEN
