"""Helper for ``test_crash_safety``: prepares a database and checks it after a killed import.

Run in its own process against ``COORDCELL_DATA_DIR`` / ``DATABASE_URL`` from the environment:

    python tests/crash_import.py setup DIR ROWS FILES   migrate, a small world, FILES pledge CSVs
    python tests/crash_import.py check                  print the state as one JSON line

Each CSV has ROWS pledges with references no other file uses, so every committed import adds
exactly ROWS pledges and a count in between means a partial commit.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import Any

HEADERS = ["Donor", "Donor reference", "Category", "Quantity", "Available from", "Origin depot"]
COORDINATOR = "coord"  # make_world's coordinator


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coordcell.settings")
    import django

    django.setup()


def setup(directory: Path, rows: int, files: int) -> None:
    from django.core.management import call_command
    from django.db import transaction

    call_command("migrate", verbosity=0, interactive=False)
    from coordcell.registry.tests.factories import make_world

    with transaction.atomic():
        world = make_world()
    donors = [(code, depot.code) for code, depot in world.depots.items()]
    available = (dt.date.today() + dt.timedelta(days=60)).isoformat()
    for index in range(files):
        with open(directory / f"pledges-{index}.csv", "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(HEADERS)
            for row in range(rows):
                nation, depot = donors[row % len(donors)]
                reference = f"CRASH-{index}-{row}"
                writer.writerow(
                    [nation, reference, world.category.code, 1 + row % 97, available, depot]
                )


def check() -> dict[str, Any]:
    from django.core.management import CommandError, call_command
    from django.db import connection

    from coordcell.audit.models import AuditEvent
    from coordcell.pledges.models import Pledge

    state: dict[str, Any] = {
        "pledges": Pledge.objects.count(),
        "audit_events": AuditEvent.objects.count(),
        "vendor": connection.vendor,
    }
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA integrity_check")
            state["integrity"] = [row[0] for row in cursor.fetchall()]
    try:
        call_command("audit", "verify", stdout=open(os.devnull, "w"))  # noqa: SIM115
        state["audit_verify"] = "ok"
    except CommandError as exc:
        state["audit_verify"] = str(exc)
    return state


def main(argv: list[str]) -> int:
    _django()
    if argv[0] == "setup":
        setup(Path(argv[1]), int(argv[2]), int(argv[3]))
    elif argv[0] == "check":
        print(json.dumps(check()))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
