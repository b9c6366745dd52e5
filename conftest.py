"""Fixtures every app's tests share: a small world with users of each role."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from coordcell.registry.models import Role, User

pytest_plugins = ["tests.write_paths", "tests.databases"]


@pytest.fixture
def world(db: Any) -> Any:
    from coordcell.registry.tests.factories import make_world

    return make_world()


def _client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def client_for() -> Any:
    return _client_for


@pytest.fixture
def coordinator(world: Any) -> User:
    return world.users[Role.COORDINATOR]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _jobs_run_at_once(settings: Any) -> None:
    # Background jobs run in the test's process when enqueued (after the transaction commits).
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _worker_keeps_the_test_priority(settings: Any) -> None:
    # `call_command("worker")` runs in the test's process: it must not renice the test run.
    settings.COORDCELL_WORKER_NICE = 0


@pytest.fixture(autouse=True)
def _figures_computed_afresh(settings: Any) -> None:
    # Dashboards and reports are computed on every request; tests of their reuse turn it on.
    settings.COORDCELL_FIGURES_SECONDS = 0


@pytest.fixture(autouse=True)
def _plain_static_files(settings: Any) -> None:
    # Tests do not run collectstatic; the manifest storage of production would refuse them.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
