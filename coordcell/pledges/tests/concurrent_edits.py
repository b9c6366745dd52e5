"""Concurrent edits of one pledge from several threads (used by test_concurrent_edits).

Run as a script it sets up its own SQLite file database: threads cannot share the test runner's
in-memory one.   python -m coordcell.pledges.tests.concurrent_edits THREADS EDITS
"""

from __future__ import annotations

import json
import sys
import threading


def run(pledge_pk: int, actor_pk: int, threads: int, edits: int) -> list[str]:
    """Each thread loads the pledge, adds one unit and saves with the version it loaded."""
    from django.db import connection

    from coordcell.audit.services import StaleEditError
    from coordcell.pledges.models import Pledge
    from coordcell.pledges.services import pledge_save
    from coordcell.registry.models import User

    actor = User.objects.get(pk=actor_pk)
    outcomes: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(threads)

    def worker() -> None:
        barrier.wait()
        try:
            for _ in range(edits):
                loaded = Pledge.objects.get(pk=pledge_pk)
                loaded.quantity += 1
                try:
                    pledge_save(actor=actor, pledge=loaded, expected_version=loaded.version)
                    result = "saved"
                except StaleEditError:
                    result = "refused"
                except Exception as exc:  # noqa: BLE001  # reported, so the test names it
                    result = f"error: {type(exc).__name__}: {exc}"
                with lock:
                    outcomes.append(result)
        finally:
            connection.close()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return outcomes


def main() -> None:
    import os
    import tempfile

    threads, edits = int(sys.argv[1]), int(sys.argv[2])
    os.environ["COORDCELL_DATA_DIR"] = tempfile.mkdtemp(prefix="coordcell-concurrency-")
    os.environ["DATABASE_URL"] = ""
    os.environ["DJANGO_SETTINGS_MODULE"] = "coordcell.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from coordcell.pledges.models import Pledge
    from coordcell.registry.tests.factories import make_world

    world = make_world()
    from coordcell.pledges.tests.factories import PledgeFactory

    pledge = PledgeFactory(
        donor=world.nations["DE"], origin=world.depots["DE"], category=world.category, quantity=1000
    )
    outcomes = run(pledge.pk, world.users["coordinator"].pk, threads, edits)
    final = Pledge.objects.get(pk=pledge.pk)
    print(json.dumps({"outcomes": outcomes, "quantity": final.quantity, "version": final.version}))


if __name__ == "__main__":
    main()
