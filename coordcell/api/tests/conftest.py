from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from rest_framework.test import APIClient

from coordcell.allocation.services import default_planning_start
from coordcell.api.services import token_create
from coordcell.exchange.cli import command_user
from coordcell.pledges.models import Pledge
from coordcell.pledges.tests.factories import PledgeFactory
from coordcell.registry.models import Role
from coordcell.requirements.tests.factories import RequirementFactory


@pytest.fixture
def api_for() -> Any:
    """An API client carrying a fresh bearer token of ``user`` (issued by the command line's
    system account, which may issue one to an auditor too)."""

    def make(user: Any) -> APIClient:
        _, raw = token_create(actor=command_user(None), user=user, name="tests")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        return client

    return make


@pytest.fixture
def pledges(world: Any) -> tuple[Pledge, Pledge]:
    german = PledgeFactory(
        donor=world.nations["DE"],
        origin=world.depots["DE"],
        category=world.category,
        reference="P-000001",
        donor_reference="DE-1",
        status=Pledge.Status.OFFERED,
    )
    polish = PledgeFactory(
        donor=world.nations["PL"],
        origin=world.depots["PL"],
        category=world.category,
        reference="P-000002",
        donor_reference="PL-2",
        status=Pledge.Status.CONFIRMED,
    )
    return german, polish


@pytest.fixture
def donor(world: Any) -> Any:
    return world.users[Role.DONOR_LIAISON]


@pytest.fixture
def situation(world: Any) -> dt.date:
    """Two requirements for 155 mm rounds; two pledges that can cover the urgent one only."""
    start = default_planning_start()
    for reference, priority, quantity in (("R-000001", 1, 300), ("R-000002", 4, 400)):
        RequirementFactory(
            reference=reference,
            priority=priority,
            quantity=quantity,
            category=world.category,
            capability=world.capability,
            delivery_point=world.delivery_point,
            need_by=start + dt.timedelta(weeks=6),
        )
    for reference, code, quantity in (("P-000001", "DE", 200), ("P-000002", "PL", 250)):
        PledgeFactory(
            reference=reference,
            donor=world.nations[code],
            quantity=quantity,
            origin=world.depots[code],
            category=world.category,
            available_from=start,
        )
    return start
