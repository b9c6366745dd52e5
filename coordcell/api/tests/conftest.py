from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from rest_framework.test import APIClient

from coordcell.allocation.tests.scenario import urgent_and_routine
from coordcell.api.services import token_create
from coordcell.exchange.cli import command_user
from coordcell.pledges.models import Pledge
from coordcell.pledges.tests.factories import PledgeFactory
from coordcell.registry.models import Role


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
    start: dt.date = urgent_and_routine(world)["start"]
    return start
