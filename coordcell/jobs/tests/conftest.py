from __future__ import annotations

import os
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.databases import drop_database, postgres_url

from .processes import Helper


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def helper(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Helper]:
    """A migrated database with the small demo, for the workers: never pytest-django's."""
    url = ""
    if request.param == "sqlite" and postgres_url():
        pytest.skip("the SQLite variant runs in the suite's SQLite pass")
    if request.param == "postgresql":
        if not postgres_url():
            pytest.skip("runs when the suite runs with a PostgreSQL DATABASE_URL")
        import psycopg

        name = f"coordcell_jobs_{os.getpid()}_{request.module.__name__.rsplit('.', 1)[-1]}"[:63]
        with psycopg.connect(postgres_url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        url = urlunsplit(urlsplit(postgres_url())._replace(path=f"/{name}"))
    env = {
        **os.environ,
        "COORDCELL_DATA_DIR": str(tmp_path_factory.mktemp(f"jobs-{request.param}")),
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "coordcell.settings",
    }
    session = Helper(env)
    try:
        session("setup")
        yield session
    finally:
        session.close()
        if url:
            drop_database(postgres_url(), name)
