"""8 threads × 50 edits of one pledge: no update is lost; each stale one is refused (409)."""

import json
import subprocess
import sys

import pytest
from django.db import connection

from coordcell.pledges.models import Pledge
from coordcell.pledges.tests.concurrent_edits import run
from coordcell.pledges.tests.factories import PledgeFactory
from coordcell.registry.models import Role

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

THREADS, EDITS = 8, 50


def _assert_nothing_lost(outcomes: list[str], quantity: int, version: int) -> None:
    saved = outcomes.count("saved")
    errors = sorted({o for o in outcomes if o.startswith("error")})
    assert not errors, errors
    assert len(outcomes) == THREADS * EDITS
    assert saved >= EDITS  # at least one thread's worth got through
    # Every saved edit added exactly one unit and one version; no refused edit changed anything.
    assert quantity == 1000 + saved
    assert version == 1 + saved


def test_concurrent_edits_of_one_pledge_lose_nothing(world):
    if connection.vendor == "sqlite":
        # Threads cannot share the test runner's in-memory database: use a file of its own.
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "coordcell.pledges.tests.concurrent_edits",
                str(THREADS),
                str(EDITS),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        data = json.loads(result.stdout.strip().splitlines()[-1])
        _assert_nothing_lost(data["outcomes"], data["quantity"], data["version"])
        return
    pledge = PledgeFactory(
        donor=world.nations["DE"], origin=world.depots["DE"], category=world.category, quantity=1000
    )
    outcomes = run(pledge.pk, world.users[Role.COORDINATOR].pk, THREADS, EDITS)
    final = Pledge.objects.get(pk=pledge.pk)
    _assert_nothing_lost(outcomes, final.quantity, final.version)
