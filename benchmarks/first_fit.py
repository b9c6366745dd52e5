"""A committed allocation made without the solver, for benchmarks that need shipments to exist:
each requirement, in the order given, takes confirmed pledges of its category first-fit (oldest
available first), all through the main hub; then the shipments of the lines are created."""

from __future__ import annotations

from collections import defaultdict
from typing import Any


def commit_first_fit(coordinator: Any, requirements: Any) -> Any:
    """A committed AllocationRun serving ``requirements`` (an ordered queryset), its lines, the
    pledges' allocated quantities (written in bulk) and the lines' shipments."""
    from django.db import transaction
    from django.utils import timezone

    from coordcell.allocation.models import AllocationLine, AllocationRun
    from coordcell.allocation.services import RUN_REFERENCES, default_planning_start
    from coordcell.logistics.services import shipments_create_for_lines
    from coordcell.pledges.models import Pledge
    from coordcell.registry.models import Location

    start = default_planning_start()
    hub = Location.objects.filter(kind=Location.Kind.HUB).order_by("-is_main_hub", "pk").first()
    with transaction.atomic():
        run = AllocationRun.objects.create(
            reference=RUN_REFERENCES.next(),
            status=AllocationRun.Status.COMMITTED,
            planning_start=start,
            committed_at=timezone.now(),
            created_by=coordinator,
        )
        supply: dict[int, list[list[Any]]] = defaultdict(list)
        confirmed = Pledge.objects.filter(status=Pledge.Status.CONFIRMED)
        for p in confirmed.order_by("available_from", "pk"):
            supply[p.category_id].append([p, p.quantity - p.allocated_quantity])
        lines, taken = [], defaultdict(int)
        for r in requirements:
            need = r.quantity
            for entry in supply.get(r.category_id, []):
                if need == 0:
                    break
                take = min(need, entry[1])
                if take <= 0:
                    continue
                entry[1] -= take
                need -= take
                taken[entry[0].pk] += take
                week = max(0, (entry[0].available_from - start).days // 7)
                lines.append(
                    AllocationLine(
                        run=run,
                        pledge=entry[0],
                        requirement=r,
                        hub=hub,
                        quantity=take,
                        dispatch_week=week,
                        hub_week=week + 1,
                        arrival_week=week + 2,
                    )
                )
        AllocationLine.objects.bulk_create(lines, batch_size=2000)
        changed = []
        for entries in supply.values():
            for pledge, _left in entries:
                if taken.get(pledge.pk):
                    pledge.allocated_quantity += taken[pledge.pk]
                    changed.append(pledge)
        Pledge.objects.bulk_update(changed, ["allocated_quantity"], batch_size=2000)
        shipments_create_for_lines(actor=coordinator, lines=list(run.lines.all()))
    return run
