"""Notifications' tests: the shared world, every user with an e-mail address, and a second
training-site officer (Germany) who must hear nothing of British sites."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from coordcell.readiness.tests.conftest import package  # noqa: F401  # a fixture, used by name
from coordcell.registry.models import Role, User
from coordcell.registry.tests.factories import UserFactory


@pytest.fixture
def people(world: Any) -> SimpleNamespace:
    users = world.users
    trainer_de = UserFactory(
        username="trainer-de", role=Role.TRAINING_SITE_OFFICER, nation=world.nations["DE"]
    )
    ns = SimpleNamespace(
        coord=users[Role.COORDINATOR],
        auditor=users[Role.AUDITOR],
        donor_de=users[Role.DONOR_LIAISON],
        donor_pl=users["donor-pl"],
        recipient=users[Role.RECIPIENT_LIAISON],
        trainer_gb=users[Role.TRAINING_SITE_OFFICER],
        trainer_de=trainer_de,
    )
    for user in vars(ns).values():
        User.objects.filter(pk=user.pk).update(email=f"{user.username}@example.org")
        user.email = f"{user.username}@example.org"
    return ns


def inbox(user: User, kind: str | None = None) -> list[Any]:
    """The user's notifications (of one kind), oldest first."""
    qs = user.notifications.order_by("created_at", "pk")
    return list(qs.filter(kind=kind) if kind else qs)


def texts_of(user: User) -> str:
    return "\n".join(f"{n.subject}\n{n.body}" for n in inbox(user))
