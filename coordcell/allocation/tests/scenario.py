"""One small situation the allocation, API and browser tests share: two requirements for 155 mm
rounds and two pledges that can cover the urgent one only."""

from __future__ import annotations

import datetime as dt
from typing import Any

from coordcell.allocation.services import default_planning_start
from coordcell.pledges.tests.factories import PledgeFactory
from coordcell.requirements.tests.factories import RequirementFactory


def urgent_and_routine(world: Any) -> dict[str, Any]:
    """R-000001 (priority 1, 300) and R-000002 (priority 4, 400), both needed in six weeks;
    P-000001 (Germany, 200) and P-000002 (Poland, 250), confirmed, available from week 0."""
    start = default_planning_start()
    urgent, routine = (
        RequirementFactory(
            reference=reference,
            priority=priority,
            quantity=quantity,
            category=world.category,
            capability=world.capability,
            delivery_point=world.delivery_point,
            need_by=start + dt.timedelta(weeks=6),
        )
        for reference, priority, quantity in (("R-000001", 1, 300), ("R-000002", 4, 400))
    )
    german, polish = (
        PledgeFactory(
            reference=reference,
            donor=world.nations[code],
            quantity=quantity,
            origin=world.depots[code],
            category=world.category,
            available_from=start,
        )
        for reference, code, quantity in (("P-000001", "DE", 200), ("P-000002", "PL", 250))
    )
    return {
        "urgent": urgent,
        "routine": routine,
        "german": german,
        "polish": polish,
        "start": start,
    }
