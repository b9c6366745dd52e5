"""Logistics: bulk event ingestion rate, and the delays page over a large history.

    python benchmarks/bench_logistics.py [--shipments 100000] [--events 1000000]
                                         [--batches 10] [--api-batches 100]
                                         [--backends sqlite,postgres]

Each backend runs in its own process on its own fresh database: SQLite in a temporary file
(WAL, synchronous=FULL, as in production) and PostgreSQL in a separate database
``coordcell_bench_logistics`` on the server ``scripts/testdb.sh start`` runs (dropped and
re-created each time). Measured:

* ``events_ingest`` in batches of 1,000 events (200 shipments x 5 lifecycle steps; validation,
  the events, status/leg/ETA derivation, checks and one audit event per event, each batch in one
  transaction), then the same batch re-sent (all duplicates);
* the same through the HTTP view ``POST /logistics/events/bulk`` (Django's test client, so
  without a network but with middleware, session and JSON);
* the same through the API with a bearer token, ``POST /api/v1/shipment-events``
  (``--api-batches`` batches of 1,000: 100,000 events by default);
* the delays page for a coordinator after generating ``--shipments`` shipments with legs and
  lines and ``--events`` events with ``insert_many`` (synthetic: statuses spread over the
  lifecycle, extra events per shipment repeat its last stage, as re-sent position reports would).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "coordcell_bench_logistics"
STAGES = ["ready_at_origin", "departed", "at_hub", "departed_hub", "handed_over", "received"]
SIGNED = {"handed_over_by": "Sgt. Weber", "taken_over_by": "Capt. Shevchenko"}


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coordcell.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.test.utils import override_settings

    # No collectstatic here: serve pages with the plain storage, as the tests do.
    override_settings(
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
    ).enable()


def _world() -> dict[str, Any]:
    from decimal import Decimal

    from coordcell.pledges.models import Pledge
    from coordcell.registry.models import (
        Capability,
        CapabilityCoalition,
        HubCapacity,
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

    def place(code: str, kind: str, nation: Any, lat: str, lon: str) -> Location:
        return Location.objects.create(
            code=code,
            name=code,
            kind=kind,
            nation=nation,
            latitude=Decimal(lat),
            longitude=Decimal(lon),
        )

    depots = [
        place("depot-de", "depot", de, "52.84", "10.30"),
        place("depot-pl", "depot", pl, "53.12", "18.01"),
    ]
    hub = place("rzeszow", "hub", pl, "50.11", "22.02")
    HubCapacity.objects.create(hub=hub, domain="artillery", weekly_capacity=50_000)
    points = [place(f"dp-{n}", "delivery_point", ua, "49.84", f"{24 + n}.03") for n in range(4)]
    category = ItemCategory.objects.create(
        code="ammo-155", name="155 mm HE round", domain="artillery", unit="round"
    )
    coalition = CapabilityCoalition.objects.create(name="Artillery", domain="artillery")
    capability = Capability.objects.create(
        code="arty", name="Artillery brigade", coalition=coalition
    )
    today = dt.date.today()
    requirements = Requirement.objects.bulk_create(
        Requirement(
            reference=f"R-{n:06d}",
            capability=capability,
            category=category,
            quantity=10_000,
            need_by=today + dt.timedelta(days=60),
            delivery_point=points[n % 4],
            priority=1 + n % 5,
        )
        for n in range(1, 1001)
    )
    pledges = Pledge.objects.bulk_create(
        Pledge(
            reference=f"P-{n:06d}",
            donor=(de, pl)[n % 2],
            category=category,
            quantity=100_000,
            available_from=today,
            origin=depots[n % 2],
            status="confirmed",
        )
        for n in range(1, 1001)
    )
    coordinator = User.objects.create(username="coord", role=Role.COORDINATOR)
    return {
        "depots": depots,
        "hub": hub,
        "points": points,
        "category": category,
        "requirements": requirements,
        "pledges": pledges,
        "coordinator": coordinator,
        "donors": (de, pl),
    }


def _make_shipments(
    world: dict[str, Any], first: int, count: int, today: dt.date, *, events_total: int = 0
) -> int:
    """Insert ``count`` shipments (with 2 legs and 1 line each) and, optionally, events."""
    from coordcell.db import insert_many
    from coordcell.logistics.lifecycle import LegTimes, next_due
    from coordcell.logistics.models import Leg, Shipment, ShipmentEvent, ShipmentLine

    day = dt.timedelta(days=1)
    created = dt.datetime.now(dt.UTC)
    shipments, legs, lines, plan = [], [], [], []
    for i in range(first, first + count):
        pledge = world["pledges"][i % 1000]
        requirement = world["requirements"][i % 1000]
        # departures from 20 weeks ago to 10 weeks ahead; with events, the stage follows time
        departure = today + dt.timedelta(days=(i * 7919) % 210 - 140)
        stage = 0 if not events_total else min(max((today - departure).days // 2, 0), 6)
        stage = stage if i % 5 else max(stage - 1, 0)  # a fifth lag one stage behind: late
        leg_times = [
            LegTimes(departure, departure + 2 * day),
            LegTimes(departure + 3 * day, departure + 4 * day),
        ]
        status = ["planned", *STAGES][stage]
        due = next_due(leg_times, status)
        delay = 3 if i % 11 == 0 and stage < 5 else 0
        shipments.append(
            (
                i,
                f"S-{i:07d}",
                pledge.donor_id,
                pledge.origin_id,
                world["hub"].pk,
                requirement.delivery_point_id,
                status,
                departure + 4 * day,
                departure,
                departure + (4 + delay) * day,
                due,
                delay,
                "",
                1,
                created,
            )
        )
        for n, t in enumerate(leg_times, start=1):
            legs.append(
                (
                    i,
                    n,
                    (pledge.origin_id, world["hub"].pk)[n - 1],
                    (world["hub"].pk, requirement.delivery_point_id)[n - 1],
                    "road",
                    t.planned_departure,
                    t.planned_arrival,
                    t.planned_departure,
                    t.planned_arrival,
                )
            )
        lines.append((i, i, pledge.pk, requirement.pk, world["category"].pk, 100))
        plan.append((i, stage, departure))
    insert_many(
        Shipment,
        [
            "id",
            "reference",
            "donor_id",
            "origin_id",
            "hub_id",
            "delivery_point_id",
            "status",
            "planned_arrival",
            "planned_departure",
            "eta",
            "next_due",
            "delay_days",
            "reason",
            "version",
            "created_at",
        ],
        shipments,
    )
    insert_many(
        Leg,
        [
            "shipment_id",
            "sequence",
            "origin_id",
            "destination_id",
            "mode",
            "planned_departure",
            "planned_arrival",
            "expected_departure",
            "expected_arrival",
        ],
        legs,
    )
    insert_many(
        ShipmentLine,
        ["id", "shipment_id", "pledge_id", "requirement_id", "category_id", "quantity"],
        lines,
    )
    if not events_total:
        return 0
    moving = [p for p in plan if p[1] > 0]
    per_shipment = -(-events_total // max(len(moving), 1))
    now = dt.datetime.now(dt.UTC)
    user = world["coordinator"].pk
    made = 0

    def rows() -> Any:
        nonlocal made
        for sid, stage, departure in moving:
            at = dt.datetime.combine(departure, dt.time(6), tzinfo=dt.UTC)
            for k in range(per_shipment):
                if made >= events_total:
                    return
                status = STAGES[min(k, stage - 1)]
                made += 1
                yield (
                    f"gen-{sid}-{k}",
                    sid,
                    status,
                    at + dt.timedelta(hours=k),
                    now,
                    user,
                    None,
                    100,
                    {str(sid): 100},
                    {},
                    "",
                    "",
                    "",
                )

    insert_many(
        ShipmentEvent,
        [
            "client_id",
            "shipment_id",
            "status",
            "occurred_at",
            "recorded_at",
            "recorded_by_id",
            "location_id",
            "quantity",
            "line_quantities",
            "serials",
            "handed_over_by",
            "taken_over_by",
            "note",
        ],
        rows(),
        batch_size=10_000,
    )
    return made


def _batches(first: int, batches: int, tag: str) -> list[list[dict[str, Any]]]:
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=3)
    out = []
    for b in range(batches):
        events = []
        for s in range(first + b * 200, first + (b + 1) * 200):
            for k, status in enumerate(STAGES[:5]):
                event = {
                    "id": f"{tag}-{s}-{k}",
                    "shipment": f"S-{s:07d}",
                    "status": status,
                    "occurred_at": (start + dt.timedelta(hours=k * 6)).isoformat(),
                }
                if status in ("at_hub", "handed_over"):
                    event["quantity"] = 100
                if status == "handed_over":
                    event.update(SIGNED)
                events.append(event)
        out.append(events)
    return out


def child(shipments: int, events: int, batches: int, api_batches: int) -> None:
    _setup_django()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test import Client

    from coordcell.logistics.models import Shipment
    from coordcell.logistics.selectors import late_shipments
    from coordcell.logistics.services import events_ingest

    call_command("migrate", verbosity=0)
    world = _world()
    today = dt.date.today()
    result: dict[str, Any] = {"vendor": connection.vendor}
    http_batches = max(batches // 2, 1)
    n_ingest = (batches + http_batches + api_batches) * 200
    with transaction.atomic():
        _make_shipments(world, 1, n_ingest, today)

    client = Client()
    client.force_login(world["coordinator"])
    client.get("/logistics/")  # the first request imports every app's views: not measured
    times = []
    direct = _batches(1, batches, "direct")
    cpu = time.process_time()
    for batch in direct:
        t = time.perf_counter()
        r = events_ingest(actor=world["coordinator"], events=batch)
        times.append(time.perf_counter() - t)
        assert r.accepted == len(batch) and not r.rejected, r.rejected[:3]
    # CPU of this process only (Python, driver; SQLite runs in-process, PostgreSQL does not)
    result["ingest_cpu"] = sum(len(b) for b in direct) / (time.process_time() - cpu)
    result["ingest"] = sum(len(b) for b in direct) / sum(times)
    result["ingest_batch_ms"] = statistics.median(times) * 1000
    t = time.perf_counter()
    r = events_ingest(actor=world["coordinator"], events=direct[0])
    result["resend"] = len(direct[0]) / (time.perf_counter() - t)
    assert r.duplicates == len(direct[0]) and r.accepted == 0

    times = []
    for batch in _batches(1 + batches * 200, http_batches, "http"):
        body = json.dumps({"events": batch})
        t = time.perf_counter()
        response = client.post("/logistics/events/bulk", body, content_type="application/json")
        times.append(time.perf_counter() - t)
        assert response.status_code == 200 and response.json()["accepted"] == len(batch)
    result["http"] = http_batches * 1000 / sum(times)

    from coordcell.api.services import token_create

    _, token = token_create(actor=world["coordinator"], user=world["coordinator"], name="bench")
    api = Client(headers={"Authorization": f"Bearer {token}"})
    api.get("/api/v1/me")  # the first API request imports the API's views: not measured
    times = []
    first = 1 + (batches + http_batches) * 200
    for batch in _batches(first, api_batches, "api"):
        body = json.dumps({"events": batch})
        t = time.perf_counter()
        response = api.post("/api/v1/shipment-events", body, content_type="application/json")
        times.append(time.perf_counter() - t)
        assert response.status_code == 200 and response.json()["accepted"] == len(batch)
    result["api"] = api_batches * 1000 / sum(times) if times else 0
    result["api_events"] = api_batches * 1000

    t = time.perf_counter()
    with transaction.atomic():
        made = _make_shipments(world, n_ingest + 1, shipments, today, events_total=events)
    result["generate_s"] = time.perf_counter() - t
    result["shipments"], result["events"] = (
        shipments + n_ingest,
        made + (batches + http_batches + api_batches) * 1000,
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    times = []
    for _ in range(5):
        t = time.perf_counter()
        page = client.get("/logistics/delays/")
        times.append(time.perf_counter() - t)
        assert page.status_code == 200
    result["late"] = late_shipments(Shipment.objects.all()).count()
    result["delays_first_ms"] = times[0] * 1000
    result["delays_ms"] = statistics.median(times[1:]) * 1000
    t = time.perf_counter()
    client.get("/logistics/donors/DE/late/")
    result["donor_ms"] = (time.perf_counter() - t) * 1000
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shipments", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--api-batches", type=int, default=100)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.shipments, args.events, args.batches, args.api_batches)
        return
    rows = []
    for backend in args.backends.split(","):
        with tempfile.TemporaryDirectory(prefix="coordcell-bench-") as directory:
            env = {**os.environ, "COORDCELL_DATA_DIR": directory, "DATABASE_URL": ""}
            if backend == "postgres":
                env["DATABASE_URL"] = _postgres_url()
            print(f"{backend}: {args.shipments:,} shipments, {args.events:,} events …", flush=True)
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    "--shipments",
                    str(args.shipments),
                    "--events",
                    str(args.events),
                    "--batches",
                    str(args.batches),
                    "--api-batches",
                    str(args.api_batches),
                ],
                env=env,
                capture_output=True,
                text=True,
            )
            if out.returncode:
                print(out.stderr[-3000:])
                raise SystemExit(out.returncode)
            rows.append((backend, json.loads(out.stdout.strip().splitlines()[-1])))
    print()
    load = os.getloadavg()[0]
    print(f"load average at the end: {load:.1f} on {os.cpu_count()} CPUs (wall times include it)")
    print(f"{'':44}" + "".join(f"{b:>14}" for b, _ in rows))
    lines = [
        ("events_ingest, batches of 1,000 (events/s)", "ingest", "{:,.0f}"),
        ("  median batch (ms)", "ingest_batch_ms", "{:,.0f}"),
        ("  per CPU-second of this process (events)", "ingest_cpu", "{:,.0f}"),
        ("same batch re-sent, all duplicates (events/s)", "resend", "{:,.0f}"),
        ("POST /logistics/events/bulk (events/s)", "http", "{:,.0f}"),
        ("POST /api/v1/shipment-events, token (events/s)", "api", "{:,.0f}"),
        ("  events sent through the API", "api_events", "{:,}"),
        ("shipments in the database", "shipments", "{:,}"),
        ("events in the database", "events", "{:,}"),
        ("  generated with insert_many in (s)", "generate_s", "{:,.1f}"),
        ("late shipments listed", "late", "{:,}"),
        ("delays page, first request (ms)", "delays_first_ms", "{:,.0f}"),
        ("delays page, median of 4 more (ms)", "delays_ms", "{:,.0f}"),
        ("a donor's late page (ms)", "donor_ms", "{:,.0f}"),
    ]
    for label, key, fmt in lines:
        print(f"{label:<46}" + "".join(f"{fmt.format(r[key]):>14}" for _, r in rows))


if __name__ == "__main__":
    main()
