"""The change feed: reading ``GET /api/v1/changes`` over a large audit trail, beside reading
``GET /api/v1/audit-events`` over the same trail.

    python benchmarks/bench_changes.py [--events 1000000] [--backends sqlite[,postgres]]

Each backend gets a fresh database: SQLite in a temporary file, PostgreSQL in a separate database
``coordcell_bench_changes`` on the server ``scripts/testdb.sh start`` runs. One process fills it:
1,000 pledges of two donors, 200 requirements, and ``--events`` audit events (``insert_many``,
synthetic: 50% pledge changes, 15% requirement changes, 10% location changes, 25% log-ins, which
no feed lists). Then each reader runs in a process of its own (so that its peak memory is its
own), with a bearer token, through Django's test client (middleware, authentication, JSON; no
network), following ``next`` with ``page_size=1000`` from the start to the end:

* the change feed as a coordinator (reads every type whole: one query a page);
* the change feed as a donor liaison (its own nation's pledges and the reference data: one
  ``pk IN`` check a page for the pledges);
* the audit trail as a coordinator (``ordering=seq``, cursor pages).

Printed: audit events covered per second, changes listed, pages, wall time and the reader's peak
resident memory.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "coordcell_bench_changes"
READERS = ("changes-coordinator", "changes-donor", "audit-coordinator")


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coordcell.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def generate(events: int) -> dict[str, float]:
    from django.core.management import call_command
    from django.db import transaction

    call_command("migrate", verbosity=0)
    from coordcell.audit.models import AuditEvent, AuditHead
    from coordcell.db import insert_many
    from coordcell.pledges.models import Pledge
    from coordcell.registry.models import (
        Capability,
        CapabilityCoalition,
        ItemCategory,
        Location,
        Nation,
        Role,
        User,
    )
    from coordcell.requirements.models import Requirement

    de = Nation.objects.create(code="DE", name="Germany", is_donor=True)
    pl = Nation.objects.create(code="PL", name="Poland", is_donor=True)
    ua = Nation.objects.create(code="UA", name="Ukraine", is_recipient=True)
    category = ItemCategory.objects.create(code="ammo-155", name="155 mm", domain="artillery")
    depots = {
        n.pk: Location.objects.create(
            code=f"depot-{n.code.lower()}",
            name=f"{n.code} depot",
            kind="depot",
            nation=n,
            latitude=50,
            longitude=10,
        )
        for n in (de, pl)
    }
    point = Location.objects.create(
        code="dp", name="Handover", kind="delivery_point", nation=ua, latitude=50, longitude=24
    )
    User.objects.create(username="coord", role=Role.COORDINATOR)
    User.objects.create(username="donor-de", role=Role.DONOR_LIAISON, nation=de)
    pledges = Pledge.objects.bulk_create(
        Pledge(
            reference=f"P-{i:06d}",
            donor=de if i % 2 else pl,
            category=category,
            origin=depots[(de if i % 2 else pl).pk],
            quantity=10,
            available_from=dt.date(2027, 1, 4),
            status="offered",
        )
        for i in range(1, 1001)
    )
    coalition = CapabilityCoalition.objects.create(name="Artillery")
    capability = Capability.objects.create(code="arty", name="Artillery", coalition=coalition)
    requirements = Requirement.objects.bulk_create(
        Requirement(
            capability=capability,
            reference=f"R-{i:06d}",
            category=category,
            delivery_point=point,
            quantity=10,
            need_by=dt.date(2027, 6, 1),
            priority=3,
        )
        for i in range(1, 201)
    )
    pledge_ids = [p.pk for p in pledges]
    requirement_ids = [r.pk for r in requirements]
    location_ids = [*depots.values(), point]
    at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

    def rows():  # type: ignore[no-untyped-def]
        for seq in range(1, events + 1):
            kind = seq % 20
            if kind < 10:
                target = ("pledges.pledge", pledge_ids[seq % len(pledge_ids)])
            elif kind < 13:
                target = ("requirements.requirement", requirement_ids[seq % len(requirement_ids)])
            elif kind < 15:
                target = ("registry.location", location_ids[seq % len(location_ids)].pk)
            else:
                target = ("registry.user", 1)
            verb = "login" if target[0] == "registry.user" else "update"
            version = seq // 20 + 1
            yield (
                seq,
                at + dt.timedelta(seconds=seq),
                None,
                "bench",
                verb,
                target[0],
                str(target[1]),
                "",
                {"changes": {"version": [version, version + 1]}},
                f"{seq - 1:064x}",
                f"{seq:064x}",
            )

    began = time.perf_counter()
    with transaction.atomic():
        insert_many(
            AuditEvent,
            [
                "seq",
                "at",
                "actor_id",
                "actor_name",
                "verb",
                "target_type",
                "target_id",
                "target_repr",
                "data",
                "prev_hash",
                "hash",
            ],
            rows(),
        )
        AuditHead.objects.update_or_create(pk=1, defaults={"seq": events, "hash": f"{events:064x}"})
    return {"generate_s": time.perf_counter() - began}


def read(reader: str) -> dict[str, float]:
    from django.db import transaction
    from django.test import Client

    from coordcell.api.services import token_create
    from coordcell.registry.models import User

    kind, who = reader.split("-")
    user = User.objects.get(username="coord" if who == "coordinator" else "donor-de")
    with transaction.atomic():
        _, raw = token_create(actor=User.objects.get(username="coord"), user=user, name="bench")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    url = (
        "/api/v1/changes?page_size=1000"
        if kind == "changes"
        else "/api/v1/audit-events?page_size=1000&ordering=seq"
    )
    listed = pages = 0
    began = time.perf_counter()
    while url:
        answer = client.get(url)
        assert answer.status_code == 200, answer.content[:500]
        body = json.loads(answer.content)
        listed += len(body["results"])
        pages += 1
        url = body["next"]
        if url:
            url = url.removeprefix("http://testserver")
    seconds = time.perf_counter() - began
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"listed": listed, "pages": pages, "seconds": seconds, "peak_mb": peak_kib / 1024}


def child(mode: str, events: int) -> None:
    _setup_django()
    result = generate(events) if mode == "generate" else read(mode)
    print(json.dumps(result))


def _postgres_url() -> str:
    url = (
        subprocess.run(
            [str(ROOT / "scripts/testdb.sh"), "start"], capture_output=True, text=True, check=True
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")
        conn.execute(f"CREATE DATABASE {BENCH_DB}")
    return url.rsplit("/", 1)[0] + "/" + BENCH_DB


def _run(env: dict[str, str], mode: str, events: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, "--events", str(events)],
        env=env,
        capture_output=True,
        text=True,
    )
    if out.returncode:
        print(out.stderr[-3000:])
        raise SystemExit(out.returncode)
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--backends", default="sqlite")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.events)
        return
    print(
        f"{'backend':<10}{'reader':<22}{'events/s':>12}{'listed':>12}{'pages':>8}"
        f"{'seconds':>10}{'peak MB':>10}"
    )
    for backend in args.backends.split(","):
        with tempfile.TemporaryDirectory(prefix="coordcell-bench-") as directory:
            env = {**os.environ, "COORDCELL_DATA_DIR": directory, "DATABASE_URL": ""}
            if backend == "postgres":
                env["DATABASE_URL"] = _postgres_url()
            made = _run(env, "generate", args.events)
            print(
                f"{backend:<10}{'(generate)':<22}{args.events / made['generate_s']:>12,.0f}"
                f"{args.events:>12,}{'':>8}{made['generate_s']:>10.1f}",
                flush=True,
            )
            for reader in READERS:
                r = _run(env, reader, args.events)
                print(
                    f"{backend:<10}{reader:<22}{args.events / r['seconds']:>12,.0f}"
                    f"{int(r['listed']):>12,}{int(r['pages']):>8,}{r['seconds']:>10.1f}"
                    f"{r['peak_mb']:>10.0f}",
                    flush=True,
                )
    load = os.getloadavg()[0]
    print(f"\nload average at the end: {load:.1f} on {os.cpu_count()} CPUs (wall times include it)")


if __name__ == "__main__":
    main()
