"""The lists' filters and default orders are served by indexes (PostgreSQL, EXPLAIN).

Loads tens of thousands of pledges, requirements, shipments and audit events (``insert_many``),
runs ANALYZE, requests each list page or API list as its users do, takes the very query the page
ran for its rows (the one with LIMIT) and asserts that PostgreSQL's own plan for it reads the
expected index, with no sequential scan of the table. Nothing nudges the planner
(``enable_seqscan`` stays on): the plan is the one production gets at this size.
"""

from __future__ import annotations

import base64
import datetime as dt
import random
import re
from typing import Any
from urllib.parse import quote

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from coordcell.registry.models import Role

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.slow,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="EXPLAIN plans of PostgreSQL"),
]

N = 6_000  # rows per table, audit events twice as many: enough for the planner to choose
TODAY = timezone.now().date()
STATUSES = ["planned", "ready_at_origin", "departed", "at_hub", "departed_hub", "handed_over"]


def _load(world: Any) -> dict[str, Any]:
    """Thirty donors (Germany gives 5% of the pledges), forty categories, and the rows."""
    from coordcell.audit.models import AuditEvent, AuditHead
    from coordcell.db import insert_many
    from coordcell.logistics.models import Shipment
    from coordcell.pledges.models import Pledge
    from coordcell.registry.models import Location
    from coordcell.registry.tests.factories import (
        CapabilityFactory,
        ItemCategoryFactory,
        LocationFactory,
        NationFactory,
    )
    from coordcell.requirements.models import Requirement

    rng = random.Random(1)
    de = world.nations["DE"]
    donors = [NationFactory(code=f"Q{chr(65 + i)}", name=f"Donor {i}") for i in range(26)]
    depots = {n.pk: LocationFactory(nation=n).pk for n in donors}
    depots[de.pk] = world.depots["DE"].pk
    categories = [world.category.pk] + [ItemCategoryFactory().pk for _ in range(39)]
    rare = categories[-1]
    capabilities = [world.capability.pk] + [CapabilityFactory().pk for _ in range(9)]
    hubs = [world.hub.pk] + [
        LocationFactory(kind=Location.Kind.HUB, nation=world.nations["PL"]).pk for _ in range(3)
    ]
    now = timezone.now()

    def donor(i: int) -> int:
        return de.pk if i % 20 == 0 else donors[i % 26].pk

    def category(i: int) -> int:
        return rare if i % 200 == 1 else categories[rng.randrange(39)]

    pledge_fields = [
        "reference", "donor_id", "donor_reference", "category_id", "quantity",
        "allocated_quantity", "available_from", "origin_id", "conditions", "status", "value",
        "currency", "valuation_basis", "created_at", "version",
    ]  # fmt: skip
    insert_many(
        Pledge,
        pledge_fields,
        (
            (
                f"P-{i:06d}",
                donor(i),
                "",
                category(i),
                100,
                0,
                TODAY + dt.timedelta(days=rng.randrange(-700, 200)),
                depots[donor(i)],
                "",
                rng.choice(["offered", "confirmed", "withdrawn"]),
                None,
                "",
                "",
                now - dt.timedelta(minutes=i),
                1,
            )
            for i in range(N)
        ),
    )
    requirement_fields = [
        "reference", "capability_id", "category_id", "quantity", "need_by",
        "delivery_point_id", "priority", "status", "justification", "created_at", "version",
    ]  # fmt: skip
    insert_many(
        Requirement,
        requirement_fields,
        (
            (
                f"R-{i:06d}",
                capabilities[i % 10],
                category(i),
                50,
                TODAY + dt.timedelta(days=rng.randrange(-700, 300)),
                world.delivery_point.pk,
                rng.randint(1, 5),
                rng.choice(["open", "allocated", "fulfilled", "cancelled"]),
                "",
                now,
                1,
            )
            for i in range(N)
        ),
    )
    shipment_fields = [
        "reference", "donor_id", "origin_id", "hub_id", "delivery_point_id", "status",
        "planned_departure", "planned_arrival", "eta", "next_due", "delay_days", "reason",
        "created_at", "version",
    ]  # fmt: skip

    def shipment(i: int) -> tuple[Any, ...]:
        # Years of history: most received; the ones still on the way are this season's.
        departs = TODAY - dt.timedelta(days=(N - i) // 3)
        moving = i > N * 0.95
        status = STATUSES[i % len(STATUSES)] if moving else "received"
        late = moving and i % 40 == 0
        return (
            f"S-{i:06d}", donor(i), depots[donor(i)], hubs[i % 4], world.delivery_point.pk,
            status, departs, departs + dt.timedelta(days=9), departs + dt.timedelta(days=9),
            (TODAY - dt.timedelta(days=3) if late else TODAY + dt.timedelta(days=5))
            if moving else None,
            0, "", now, 1,
        )  # fmt: skip

    insert_many(Shipment, shipment_fields, (shipment(i) for i in range(N)))
    # Two years of audit trail; one object type in 70 is cohorts (a small share of a large
    # trail, as most types are: the planner then reads them through their own index).
    first = now - dt.timedelta(days=730)
    types = ["pledges.pledge", "requirements.requirement", "logistics.shipment"]
    audit_fields = [
        "seq", "at", "actor_name", "verb", "target_type", "target_id", "target_repr", "data",
        "prev_hash", "hash",
    ]  # fmt: skip
    insert_many(
        AuditEvent,
        audit_fields,
        (
            (
                seq,
                first + dt.timedelta(minutes=88 * seq),
                "coord",
                "delete" if seq % 50 == 7 else "update",  # deletions: one event in 50
                "training.cohort" if seq % 70 == 0 else types[seq % 3],
                str(seq % 5000),
                "x",
                {"n": seq},
                f"{seq - 1:064x}",
                f"{seq:064x}",
            )
            for seq in range(1, 2 * N + 1)
        ),
    )
    AuditHead.objects.update_or_create(pk=1, defaults={"seq": 2 * N, "hash": f"{2 * N:064x}"})
    with connection.cursor() as cursor:
        for model in (Pledge, Requirement, Shipment, AuditEvent):
            cursor.execute(f"ANALYZE {model._meta.db_table}")
    day = first + dt.timedelta(days=300)
    return {"rare": rare, "de": de.pk, "day": day, "seq": 2 * N}


def index_on(table: str, *columns: str) -> str:
    """The name of the btree index on exactly these columns (in this order) of ``table``."""
    wanted = "(" + ", ".join(columns) + ")"
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [table])
        names = [name for name, ddl in cursor.fetchall() if ddl.endswith(wanted)]
    assert names, f"no index on {table}{wanted}"
    return names[0]


def rows_query(client: Client, url: str, table: str) -> str:
    """The query the page ran for its rows: from ``table``, with a LIMIT, not the count."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    found = [
        q["sql"]
        for q in captured.captured_queries
        if f'FROM "{table}"' in q["sql"] and " LIMIT " in q["sql"] and "COUNT(" not in q["sql"]
    ]
    assert found, f"{url} ran no LIMIT query on {table}"
    return found[0]


def plan_of(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_each_lists_query_reads_the_index_its_filter_and_order_need(world):
    facts = _load(world)
    day = facts["day"]
    window = f"after={day:%Y-%m-%dT%H:%M}Z&before={day + dt.timedelta(hours=6):%Y-%m-%dT%H:%M}Z"
    deep = quote(base64.b64encode(f"p={facts['seq'] // 10}".encode()).decode())  # 90% down
    pledges, requirements = "pledges_pledge", "requirements_requirement"
    shipments, audit = "logistics_shipment", "audit_auditevent"
    cases = [
        # (user, url, table, acceptable indexes: any one of them)
        (
            Role.DONOR_LIAISON,
            "/pledges/",
            pledges,
            # the donor's few hundred rows: sorting them after the foreign key's index is as good
            [(pledges, "donor_id", "available_from DESC", "id"), (pledges, "donor_id")],
        ),
        (Role.COORDINATOR, "/pledges/", pledges, [(pledges, "available_from")]),
        (
            Role.COORDINATOR,
            "/pledges/?status=withdrawn",
            pledges,
            [(pledges, "status", "available_from DESC", "id")],
        ),
        (
            Role.COORDINATOR,
            f"/pledges/?category={facts['rare']}&status=offered",
            pledges,
            [(pledges, "category_id", "status")],
        ),
        (
            Role.COORDINATOR,
            f"/api/v1/pledges?donor={facts['de']}&status=confirmed",
            pledges,
            [
                (pledges, "donor_id", "status"),
                (pledges, "donor_id"),
                (pledges, "donor_id", "available_from DESC", "id"),
            ],
        ),
        (Role.COORDINATOR, "/api/v1/pledges", pledges, [(pledges, "created_at DESC", "reference")]),
        (Role.COORDINATOR, "/requirements/", requirements, [(requirements, "priority", "id")]),
        (
            Role.COORDINATOR,
            "/requirements/?status=open&priority=1&sort=need_by",
            requirements,
            [(requirements, "status", "priority", "need_by")],
        ),
        (
            Role.COORDINATOR,
            "/requirements/?status=cancelled&sort=need_by",
            requirements,
            [(requirements, "status", "need_by")],
        ),
        (
            Role.COORDINATOR,
            f"/requirements/?need_by_before={TODAY - dt.timedelta(days=680)}&sort=need_by",
            requirements,
            [(requirements, "need_by")],
        ),
        (
            Role.COORDINATOR,
            "/api/v1/requirements",
            requirements,
            [(requirements, "priority", "need_by", "reference")],
        ),
        (Role.COORDINATOR, "/logistics/", shipments, [(shipments, "planned_departure", "id")]),
        (
            Role.COORDINATOR,
            "/logistics/?status=at_hub",
            shipments,
            [
                (shipments, "status", "next_due"),
                (shipments, "status", "delay_days"),
                (shipments, "planned_departure", "id"),
            ],
        ),
        (
            Role.DONOR_LIAISON,
            "/logistics/",
            shipments,
            [
                (shipments, "donor_id", "status"),
                (shipments, "donor_id"),
                (shipments, "planned_departure", "id"),
            ],
        ),
        (
            Role.COORDINATOR,
            "/logistics/delays/",
            shipments,
            [(shipments, "status", "next_due"), (shipments, "status", "delay_days")],
        ),
        (
            Role.COORDINATOR,
            "/reports/lists/arriving-this-week/",
            shipments,
            [(shipments, "eta")],
        ),
        (Role.AUDITOR, "/audit/", audit, [(audit, "seq")]),
        (
            Role.AUDITOR,
            "/audit/?target_type=pledges.pledge&target_id=76",
            audit,
            [(audit, "target_type", "target_id")],
        ),
        (
            Role.AUDITOR,
            "/audit/?target_type=training.cohort",
            audit,
            [(audit, "target_type", "seq")],
        ),
        (
            Role.AUDITOR,
            "/audit/?verb=delete&target_type=pledges.pledge",
            audit,
            [(audit, "verb", "target_type", "seq")],
        ),
        (Role.AUDITOR, f"/audit/?{window}", audit, [(audit, "at")]),
        (Role.AUDITOR, f"/api/v1/audit-events?{window}", audit, [(audit, "at")]),
        (Role.AUDITOR, f"/api/v1/audit-events?cursor={deep}", audit, [(audit, "seq")]),
    ]
    failures = []
    clients: dict[str, Client] = {}
    for role, url, table, acceptable in cases:
        if role not in clients:
            clients[role] = Client()
            clients[role].force_login(world.users[role])
        plan = plan_of(rows_query(clients[role], url, table))
        names = [index_on(*spec) for spec in acceptable]
        uses = any(f"using {n} on" in plan or f"Index Scan on {n}" in plan for n in names)
        # on a few rows the planner may as well take another index of the table (a foreign
        # key's); what must never happen is reading the whole table
        other = re.search(rf"Index (Only )?Scan using \S+ on {table}\b", plan) or (
            f"Bitmap Heap Scan on {table}" in plan
        )
        # (the table itself: "Seq Scan on pledges_pledge_allowed_hubs", a small through table of
        # a many-to-many column, is not a scan of pledges_pledge)
        if not (uses or other) or re.search(rf"Seq Scan on {table}\b", plan):
            failures.append(f"{url} ({role}) reads none of {names}:\n{plan}")
    assert not failures, "\n\n".join(failures)
