"""The allocation tests' shared situation."""

import datetime as dt

import pytest

from coordcell.allocation.services import default_planning_start
from coordcell.pledges.tests.factories import PledgeFactory
from coordcell.requirements.tests.factories import RequirementFactory


@pytest.fixture
def situation(world):
    """Two requirements for 155 mm rounds; two pledges that can cover the urgent one only."""
    start = default_planning_start()
    urgent = RequirementFactory(
        reference="R-000001",
        priority=1,
        quantity=300,
        category=world.category,
        capability=world.capability,
        delivery_point=world.delivery_point,
        need_by=start + dt.timedelta(weeks=6),
    )
    routine = RequirementFactory(
        reference="R-000002",
        priority=4,
        quantity=400,
        category=world.category,
        capability=world.capability,
        delivery_point=world.delivery_point,
        need_by=start + dt.timedelta(weeks=6),
    )
    german = PledgeFactory(
        reference="P-000001",
        donor=world.nations["DE"],
        quantity=200,
        origin=world.depots["DE"],
        category=world.category,
        available_from=start,
    )
    polish = PledgeFactory(
        reference="P-000002",
        donor=world.nations["PL"],
        quantity=250,
        origin=world.depots["PL"],
        category=world.category,
        available_from=start,
    )
    return {
        "urgent": urgent,
        "routine": routine,
        "german": german,
        "polish": polish,
        "start": start,
    }
