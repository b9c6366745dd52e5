"""A database of its own for the tests that run coordcell in subprocesses or servers (crash
safety, concurrent imports and references, serve, backups, the cluster): ``database_url``, never
the one pytest-django manages. Loaded for the whole suite by the root conftest.

``database_url`` is an empty string for SQLite (the subprocess then uses a file under its own
``COORDCELL_DATA_DIR``), or a PostgreSQL URL of a database created for the test and dropped after
it, when the suite runs with a PostgreSQL ``DATABASE_URL``. Each variant runs in its own pass.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest


def postgres_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else ""


def drop_database(url: str, name: str) -> None:
    """Drop a test's PostgreSQL database ``name`` (``url``: one on the same server), ending the
    sessions the test left on it.  Not ``WITH (FORCE)``: that refuses when a session the suite's
    role may not end is on the database (an autovacuum worker, busy on a database just written
    to), while a plain drop stops autovacuum itself; it is retried while one of the test's own
    sessions, just told to end, is still there."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        for _attempt in range(100):
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
                "AND pid <> pg_backend_pid() AND usename = current_user",
                (name,),
            )
            try:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
                return
            except psycopg.errors.ObjectInUse:
                time.sleep(0.1)
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    if request.param == "sqlite":
        if postgres_url():
            pytest.skip("the SQLite variant runs in the suite's SQLite pass")
        yield ""
        return
    url = postgres_url()
    if not url:
        pytest.skip("runs when the suite runs with a PostgreSQL DATABASE_URL")
    import psycopg

    name = f"coordcell_{request.node.module.__name__.rsplit('.', 1)[-1][5:20]}_{os.getpid()}"
    parts = urlsplit(url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        drop_database(url, name)
