"""Helper for ``test_import_concurrency``: a large import in one thread, other users' API writes
and list reads in others, against the database of ``COORDCELL_DATA_DIR`` / ``DATABASE_URL``.

    python tests/concurrent_import.py DIR ROWS

Migrates, makes a small world and a pledge CSV of ROWS rows, then runs the import (as the
coordinator, all or nothing) while three threads work until it has finished and a little after:
a donor liaison creates pledges and updates each one through the API, a coordinator updates one
pledge over and over, and a coordinator reads the pledge list (API and page). Prints one JSON line:
the import's report and the times of its write transaction, every request's start, end and
status, and the counts afterwards.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

HEADERS = ["Donor", "Donor reference", "Category", "Quantity", "Available from", "Origin depot"]


def _setup(directory: Path, rows: int) -> Any:
    from django.core.management import call_command
    from django.db import transaction

    call_command("migrate", verbosity=0, interactive=False)
    from coordcell.registry.tests.factories import make_world

    with transaction.atomic():
        world = make_world()
    available = (dt.date.today() + dt.timedelta(days=60)).isoformat()
    with open(directory / "pledges.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        for row in range(rows):
            writer.writerow(
                ["DE", f"BULK-{row}", world.category.code, 1 + row % 97, available, "depot-de"]
            )
    return world


def _api(user: Any) -> Any:
    from rest_framework.test import APIClient

    from coordcell.api.services import token_create

    _, raw = token_create(actor=user, user=user, name="concurrency")
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


class Traffic(threading.Thread):
    """Requests in a loop until told to stop; every one is logged (kind, start, end, status)."""

    def __init__(self, name: str, step: Any, log: list[dict[str, Any]], stop: threading.Event):
        super().__init__(name=name, daemon=True)
        self.step, self.log, self.stop = step, log, stop

    def run(self) -> None:
        from django.db import connection

        try:
            while not self.stop.is_set():
                for kind, call in self.step():
                    began = time.monotonic()
                    error = ""
                    try:
                        response = call()
                        status = response.status_code
                        if getattr(response, "exc_info", None):
                            error = repr(response.exc_info[1])[:500]
                    except Exception as exc:  # a request that raises is a failure too
                        status, error = -1, repr(exc)[:500]
                        traceback.print_exc()
                    self.log.append(
                        {
                            "thread": self.name,
                            "kind": kind,
                            "start": began,
                            "end": time.monotonic(),
                            "status": status,
                            "error": error,
                        }
                    )
                time.sleep(0.25)  # the import shares the interpreter: leave it the most
        finally:
            connection.close()


def main(directory: Path, rows: int) -> dict[str, Any]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coordcell.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    # No collectstatic here: the pages take their assets as a development server does.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    from django.test import Client

    from coordcell.audit.models import AuditEvent
    from coordcell.audit.services import verify
    from coordcell.exchange.engine import WRITING, run_import
    from coordcell.exchange.specs import PLEDGES
    from coordcell.pledges.models import Pledge
    from coordcell.registry.models import Role

    world = _setup(directory, rows)
    coordinator, donor = world.users[Role.COORDINATOR], world.users[Role.DONOR_LIAISON]
    donor_api, coordinator_api = _api(donor), _api(coordinator)
    page = Client(raise_request_exception=False)
    page.force_login(coordinator)
    base = {"category": world.category.code, "available_from": "2027-03-01", "origin": "depot-de"}
    kept = coordinator_api.post(
        "/api/v1/pledges",
        {**base, "donor": "DE", "donor_reference": "KEPT", "quantity": 1},
        format="json",
    ).json()
    connection.close()  # each thread has its own connection; this one's stays idle meanwhile
    counter = {"created": 0, "kept_version": kept["version"]}

    def create_and_update() -> Any:
        counter["created"] += 1
        reference = f"API-{counter['created']}"
        answer: dict[str, Any] = {}

        def create() -> Any:
            response = donor_api.post(
                "/api/v1/pledges",
                {**base, "donor_reference": reference, "quantity": 5},
                format="json",
            )
            answer.update(response.json() if response.status_code == 201 else {})
            return response

        def update() -> Any:
            if not answer:
                return type("Skipped", (), {"status_code": 0})()
            return donor_api.patch(
                f"/api/v1/pledges/{answer['id']}",
                {"quantity": 6, "version": answer["version"]},
                format="json",
            )

        return [("create", create), ("update", update)]

    def update_kept() -> Any:
        def update() -> Any:
            response = coordinator_api.patch(
                f"/api/v1/pledges/{kept['id']}",
                {"quantity": 2 + counter["kept_version"] % 50, "version": counter["kept_version"]},
                format="json",
            )
            if response.status_code == 200:
                counter["kept_version"] = response.json()["version"]
            return response

        return [("update", update)]

    def read_lists() -> Any:
        return [
            ("read", lambda: coordinator_api.get("/api/v1/pledges?page_size=50")),
            ("read", lambda: page.get("/pledges/")),
        ]

    log: list[dict[str, Any]] = []
    stop = threading.Event()
    threads = [
        Traffic("create", create_and_update, log, stop),
        Traffic("update", update_kept, log, stop),
        Traffic("read", read_lists, log, stop),
    ]
    times: dict[str, float] = {}

    def progress(phase: str, done: int, total: int | None) -> None:
        if phase == WRITING and "write_start" not in times:
            times["write_start"] = time.monotonic()

    for thread in threads:
        thread.start()
    time.sleep(1)
    times["import_start"] = time.monotonic()
    report = run_import(
        spec=PLEDGES,
        path=directory / "pledges.csv",
        user=coordinator,
        commit=True,
        progress=progress,
    )
    times["import_end"] = time.monotonic()
    time.sleep(2)
    stop.set()
    for thread in threads:
        thread.join(timeout=120)
    result = {
        "vendor": connection.vendor,
        "report": {
            "committed": report.committed,
            "created": report.created,
            "fatal": report.fatal,
            "errors": len(report.errors),
        },
        "times": times,
        "requests": log,
        "pledges": Pledge.objects.count(),
        "bulk": Pledge.objects.filter(donor_reference__startswith="BULK-").count(),
        "api_created": Pledge.objects.filter(donor_reference__startswith="API-").count(),
        # One create event per imported pledge (the API's creates have theirs too).
        "import_events": AuditEvent.objects.filter(
            verb="create",
            target_type="pledges.pledge",
            target_id__in=[
                str(pk)
                for pk in Pledge.objects.filter(donor_reference__startswith="BULK-").values_list(
                    "pk", flat=True
                )
            ],
        ).count(),
        "audit_ok": verify().ok,
    }
    connection.close()
    return result


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]), int(sys.argv[2]))))
