import os
import secrets
import subprocess
import sys

import pytest
from django.db import connection

from coordcell.registry.models import Role

pytestmark = pytest.mark.django_db


def test_sqlite_runs_wal_full_and_immediate():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        assert cursor.fetchone()[0] == 2
    assert connection.transaction_mode == "IMMEDIATE"


def test_sqlite_refuses_a_non_durable_configuration():
    from django.core.exceptions import ImproperlyConfigured

    from coordcell.registry.apps import check_sqlite_durability

    class Cursor:
        answers = iter([("delete",), (1,)])

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def execute(self, sql):
            self.last = sql

        def fetchone(self):
            return next(self.answers)

    class FakeConnection:
        vendor = "sqlite"
        transaction_mode = "IMMEDIATE"

        def cursor(self):
            return Cursor()

    with pytest.raises(ImproperlyConfigured, match="journal_mode=delete"):
        check_sqlite_durability(None, FakeConnection())


def test_pages_are_not_cached_and_carry_a_strict_csp(world, client_for):
    response = client_for(world.users[Role.COORDINATOR]).get("/pledges/")
    assert "no-store" in response["Cache-Control"]
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"


def test_an_idle_session_expires(world, client_for, settings):
    client = client_for(world.users[Role.COORDINATOR])
    assert client.get("/").status_code == 200
    session = client.session
    session["_cc_seen_at"] -= settings.COORDCELL_IDLE_MINUTES * 60 + 5
    session.save()
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert client.get("/").status_code == 302  # logged out for good


def test_a_session_ends_after_its_absolute_lifetime(world, client_for, settings):
    client = client_for(world.users[Role.COORDINATOR])
    client.get("/")
    session = client.session
    session["_cc_login_at"] -= settings.COORDCELL_SESSION_HOURS * 3600 + 5
    session.save()
    assert client.get("/").status_code == 302


def test_production_settings_pass_the_deploy_check(tmp_path):
    env = {
        # Browser tests in the same run may set this; a real deployment never does.
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "COORDCELL_DATA_DIR": str(tmp_path),
        "COORDCELL_PRODUCTION": "1",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "coordcell.example.org",
        "DJANGO_SETTINGS_MODULE": "coordcell.settings",
    }
    result = subprocess.run(
        [sys.executable, "-m", "coordcell.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues (0 silenced)" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env.update({"COORDCELL_PRODUCTION": "1", "DJANGO_SETTINGS_MODULE": "coordcell.settings"})
    result = subprocess.run(
        [sys.executable, "-m", "coordcell.cli", "check"], env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "needs SECRET_KEY" in result.stderr


def test_no_template_relies_on_an_inline_event_handler():
    """The Content-Security-Policy (script-src 'self') blocks inline handlers such as
    onchange="…": a control relying on one silently does nothing in the browser."""
    import re
    from pathlib import Path

    import coordcell

    handler = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
    offenders = [
        f"{path.relative_to(Path(coordcell.__file__).parent)}: {match.group(0)[:60]}"
        for path in Path(coordcell.__file__).parent.rglob("templates/**/*.html")
        for match in handler.finditer(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_shipment_list_filters_by_status(world, client_for):
    import datetime as dt

    from django.utils import timezone

    from coordcell.logistics.lifecycle import S
    from coordcell.logistics.tests.factories import event, ingest, make_shipment

    planned, departed = make_shipment(world), make_shipment(world)
    at = timezone.now() - dt.timedelta(hours=2)
    result = ingest(
        world, [event(departed, S.READY, at), event(departed, S.DEPARTED, at, quantity=100)]
    )
    assert not result.rejected, result.rejected
    client = client_for(world.users[Role.COORDINATOR])
    page = client.get("/logistics/?status=departed")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'hx-trigger="change"' in html and '<option value="departed" selected>' in html
    assert departed.reference in html and planned.reference not in html
    unfiltered = client.get("/logistics/").content.decode()
    assert departed.reference in unfiltered and planned.reference in unfiltered
