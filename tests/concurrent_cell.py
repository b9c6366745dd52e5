"""Helper for ``test_concurrent_references``: prepares a database, and numbers records from
several threads of its own process where no page makes them (capability packages).

Run in its own process against ``COORDCELL_DATA_DIR`` / ``DATABASE_URL`` from the environment:

    python tests/concurrent_cell.py setup N       migrate, a small world, what N creates need;
                                                  prints one JSON line (ids, codes, a token)
    python tests/concurrent_cell.py packages N    N threads save a capability package each
    python tests/concurrent_cell.py state         every numbered record's references, as JSON
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import threading
from typing import Any

PASSWORD = "a-long-test-password"  # the factories' password


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coordcell.settings")
    import django

    django.setup()


def setup(count: int) -> dict[str, Any]:
    from django.core.management import call_command
    from django.db import transaction

    call_command("migrate", verbosity=0, interactive=False)
    from coordcell.api.services import token_create
    from coordcell.logistics.tests.factories import make_shipment
    from coordcell.registry.models import Role
    from coordcell.registry.tests.factories import CapabilityFactory, UserFactory, make_world
    from coordcell.training.tests.factories import make_courses, make_site

    with transaction.atomic():
        world = make_world()
        coordinators = ["coord"] + [
            UserFactory(username=f"coord-{n}", role=Role.COORDINATOR).username for n in range(3)
        ]
        _, token = token_create(
            actor=world.users[Role.COORDINATOR], user=world.users[Role.COORDINATOR], name="load"
        )
        op, mnt = make_courses(world)
        site = make_site(
            world, "GB", "site-load", [op, mnt], instructors=1000, seats_per_week=10**5
        )
        capabilities = [CapabilityFactory().pk for _ in range(count)]
        shipments = [make_shipment(world, quantity=100) for _ in range(count)]
    return {
        "coordinators": coordinators,
        "password": PASSWORD,
        "token": token,
        "course": op.pk,
        "path": f"{op.code}, {mnt.code}",
        "site": site.pk,
        "capability": world.capability.pk,
        "capabilities": capabilities,
        "shipments": [[s.pk, s.lines.get().pk] for s in shipments],
        "monday": (dt.date.today() - dt.timedelta(days=dt.date.today().weekday())).isoformat(),
    }


def packages(count: int) -> dict[str, Any]:
    """``count`` threads, each saving one package at the same moment (a barrier)."""
    from django.db import connection

    from coordcell.readiness.models import CapabilityPackage
    from coordcell.readiness.services import package_save
    from coordcell.registry.models import Capability, Role, User

    actor = User.objects.filter(role=Role.COORDINATOR).order_by("pk").first()
    free = list(Capability.objects.filter(package__isnull=True).order_by("pk")[:count])
    barrier = threading.Barrier(count)
    errors: list[str] = []

    def work(capability: Capability) -> None:
        try:
            barrier.wait()
            package_save(
                actor=actor,
                package=CapabilityPackage(name=f"{capability.name} pkg", capability=capability),
                items=[],
            )
        except Exception as exc:  # noqa: BLE001 - reported to the test
            errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(c,)) for c in free]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"errors": errors}


def state() -> dict[str, list[str]]:
    from coordcell.allocation.models import AllocationRun
    from coordcell.logistics.models import Shipment
    from coordcell.pledges.models import Pledge
    from coordcell.readiness.models import CapabilityPackage
    from coordcell.requirements.models import Requirement
    from coordcell.training.models import Cohort, ScheduleRun, Session

    models = {
        "P": Pledge,
        "R": Requirement,
        "S": Shipment,
        "A": AllocationRun,
        "TS": Session,
        "CO": Cohort,
        "TR": ScheduleRun,
        "CP": CapabilityPackage,
    }
    return {
        prefix: list(model.objects.values_list("reference", flat=True))
        for prefix, model in models.items()
    }


def main(argv: list[str]) -> int:
    _django()
    if argv[0] == "setup":
        print(json.dumps(setup(int(argv[1]))))
    elif argv[0] == "packages":
        print(json.dumps(packages(int(argv[1]))))
    elif argv[0] == "state":
        print(json.dumps(state()))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
