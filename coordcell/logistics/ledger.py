"""The quantities of a requirement that its status follows from, counted from the records:
committed allocation lines, the shipments that carry them, and what the recipient confirmed.

Nothing here is a stored counter: each figure is summed from the rows it describes, so it
cannot drift from them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Q, Sum

from coordcell.allocation.models import AllocationLine, AllocationRun
from coordcell.requirements.status import Coverage

from .lifecycle import S
from .models import ShipmentLine


def requirement_coverage(requirement_ids: Iterable[int]) -> dict[int, Coverage]:
    """Per requirement: allocated (committed, less what cancelled shipments released, plus
    shipments planned by hand) and received."""
    ids = sorted(set(requirement_ids))
    allocated: dict[int, int] = defaultdict(int)
    for row in (
        AllocationLine.objects.filter(
            requirement_id__in=ids, run__status=AllocationRun.Status.COMMITTED
        )
        .values("requirement_id")
        .annotate(n=Sum("quantity"))
    ):
        allocated[row["requirement_id"]] += row["n"] or 0
    received: dict[int, int] = defaultdict(int)
    cancelled = Q(shipment__status=S.CANCELLED)
    for totals in (
        ShipmentLine.objects.filter(requirement_id__in=ids)
        .values("requirement_id")
        .annotate(
            released=Sum("quantity", filter=cancelled & Q(allocation_line__isnull=False)),
            by_hand=Sum("quantity", filter=~cancelled & Q(allocation_line__isnull=True)),
            received=Sum("received_quantity", filter=~cancelled),
        )
    ):
        rid = totals["requirement_id"]
        allocated[rid] += (totals["by_hand"] or 0) - (totals["released"] or 0)
        received[rid] = totals["received"] or 0
    return {rid: Coverage(allocated=max(0, allocated[rid]), received=received[rid]) for rid in ids}
