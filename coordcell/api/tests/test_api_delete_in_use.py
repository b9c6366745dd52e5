"""Deleting a record another one still names is a 409 naming what to do instead, never a server
error; nothing is deleted."""

from __future__ import annotations

import pytest

from coordcell.pledges.models import Pledge
from coordcell.readiness.tests.conftest import package  # noqa: F401 (fixture)
from coordcell.registry.models import Role
from coordcell.requirements.models import Requirement

pytestmark = pytest.mark.django_db


def test_a_requirement_in_a_package_and_a_run_is_not_deleted(world, package, api_for):  # noqa: F811
    api = api_for(world.users[Role.COORDINATOR])
    answer = api.delete(f"/api/v1/requirements/{package.rounds.pk}")
    assert answer.status_code == 409
    assert "cancel it instead" in answer.json()["detail"]
    assert Requirement.objects.filter(pk=package.rounds.pk).exists()


def test_a_pledge_on_a_runs_line_is_not_deleted(world, package, api_for):  # noqa: F811
    api = api_for(world.users[Role.COORDINATOR])
    answer = api.delete(f"/api/v1/pledges/{package.pledge.pk}")
    assert answer.status_code == 409
    assert "withdraw it instead" in answer.json()["detail"]
    assert Pledge.objects.filter(pk=package.pledge.pk).exists()
