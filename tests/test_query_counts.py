"""Every list page and API list costs the same number of queries whatever the number of rows.

The pages are found from the URL conf, as the access matrix finds them: every route without a
parameter that answers a GET (the Register pages, allocation runs, shipments, delays, training
sessions and runs, the audit trail, the dashboards, the reports) and every ``*-list`` operation
of the API, plus the lists that sit behind a parameter (a donor's late shipments, the drill-down
lists of the reports, the lines of an allocation run). Each is requested by a coordinator and a
donor liaison with one object of every kind, then again with six of every kind: the counts must
be equal (no query per row) and within ``MAX_QUERIES``. Each list also pages its rows.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterator
from itertools import count
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import get_resolver
from django.utils import timezone

from coordcell.registry.models import Role

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

# A page that needs more has a reason to be read: a dashboard counts several figures.
MAX_QUERIES = 40
# Pages allowed more, with the reason (still the same count with one row or many).
MORE_QUERIES = {
    "/reports/": (60, "the summary first: pledged vs delivered, P1 met, risks; then charts"),
}
ROLES = (Role.COORDINATOR, Role.DONOR_LIAISON)
# Routes without a parameter that are no list: forms, sign-in, downloads, the API's own pages.
NOT_LISTS = (
    "login/",
    "logout/",
    "account/",
    "i18n/",
    "admin/",
    "import/",
    "api/v1/docs",
    "api/v1/me",
    "api/v1/schema",
    "logistics/events/bulk",  # POST only
    "readiness/recompute/",  # POST only
    "inbox/read/",  # POST only
    "logistics/shipments/advance/",  # POST only (the list's bulk form)
    "inbox/open/",  # POST only
    "inbox/preferences/",  # a form
    "reports/briefing.",  # whole-picture downloads, measured by bench_dashboards
)

_n = count(1)


def _walk(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    from django.urls import URLResolver

    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern


def list_urls() -> list[str]:
    """The URL of every list page and API list, from the URL conf and the reports' lists."""
    from coordcell.allocation.models import AllocationRun
    from coordcell.reports.lists import LISTS

    urls = []
    for route, pattern in _walk(get_resolver().url_patterns):
        if "<" in route or "(?P<" in route or route.endswith("new/"):
            continue
        url = "/" + route.replace("^", "").replace("$", "")
        api = url.startswith("/api/v1/")
        if any(url[1:].startswith(prefix) for prefix in NOT_LISTS):
            continue
        if api and not str(pattern.name).endswith("-list"):
            continue
        urls.append(url)
    urls += [f"/reports/lists/{slug}/" for slug in LISTS]
    urls += ["/logistics/donors/DE/late/"]
    run = AllocationRun.objects.filter(status=AllocationRun.Status.COMMITTED).order_by("pk").first()
    urls += [f"/allocation/{run.pk}/", f"/allocation/{run.pk}/?sort=donor"]
    # A filtered and sorted list, as people use them.
    urls += [
        "/pledges/?status=confirmed&sort=-available_from",
        "/requirements/?status=allocated&sort=need_by",
        "/logistics/?status=planned",
        "/api/v1/pledges?status=confirmed&ordering=-available_from",
        "/api/v1/audit-events?target_type=logistics.shipment",
    ]
    return list(dict.fromkeys(urls))


def grow(world: Any, n: int) -> None:
    """``n`` more objects of every kind a list shows, made through the services where they
    exist (so the audit trail grows with them)."""
    from coordcell.allocation.models import AllocationRun
    from coordcell.api.services import token_create
    from coordcell.logistics.lifecycle import S
    from coordcell.logistics.models import SerialItem
    from coordcell.logistics.tests.factories import (
        event,
        ingest,
        make_line,
        make_run,
        make_shipment,
    )
    from coordcell.pledges.tests.factories import PledgeFactory
    from coordcell.readiness.models import CapabilityPackage, PackageItem
    from coordcell.readiness.services import package_save
    from coordcell.registry.models import Location, Organisation, StockNumber
    from coordcell.registry.tests.factories import (
        CapabilityFactory,
        CoalitionFactory,
        ItemCategoryFactory,
        LocationFactory,
        NationFactory,
        UserFactory,
    )
    from coordcell.requirements.tests.factories import RequirementFactory
    from coordcell.training.models import Course, ScheduleRun
    from coordcell.training.services import booking_create
    from coordcell.training.tests.factories import (
        make_cohort,
        make_session,
        make_site,
        next_monday,
    )

    coordinator = world.users[Role.COORDINATOR]
    today = timezone.now().date()
    monday = today - dt.timedelta(days=today.weekday())
    first_run = AllocationRun.objects.order_by("pk").first()
    for _ in range(n):
        i = next(_n)
        nation = NationFactory(code=f"Q{chr(64 + i)}", name=f"Nation Q{i}")
        Organisation.objects.create(nation=nation, name=f"MoD {i}", kind="ministry")
        category = ItemCategoryFactory(sensitive=True)
        category.can_serve.add(world.category)
        StockNumber.objects.create(category=category, nsn=f"1320-12-{i:03d}-0001")
        coalition = CoalitionFactory()
        coalition.lead_nations.add(nation, world.nations["DE"])
        coalition.members.add(world.nations["PL"])
        capability = CapabilityFactory(coalition=coalition)
        LocationFactory(kind=Location.Kind.HUB, nation=world.nations["PL"])
        UserFactory(role=Role.DONOR_LIAISON, nation=nation)
        requirement = RequirementFactory(
            category=world.category,
            capability=capability,
            delivery_point=world.delivery_point,
            need_by=today + dt.timedelta(weeks=6),
        )
        for donor in ("DE", "PL"):
            pledge = PledgeFactory(
                donor=world.nations[donor],
                origin=world.depots[donor],
                category=world.category,
                available_from=today,
            )
            pledge.allowed_hubs.add(world.hub)
            pledge.allowed_capabilities.add(world.capability, capability)
            # A late shipment (planned three weeks ago), one arriving this week, serial items.
            late = make_run(start=monday - dt.timedelta(weeks=3))
            shipment = make_shipment(
                world, donor=donor, run=late, quantity=5, requirement=requirement
            )
            make_shipment(world, donor=donor, run=make_run(start=monday - dt.timedelta(weeks=1)))
            if first_run is not None:
                make_line(world, run=first_run, donor=donor)
            line = shipment.lines.get()
            at = timezone.now() - dt.timedelta(days=3)
            if donor == "DE":  # the Polish one stays planned
                ingest(world, [event(shipment, S.READY, at)])
            for k in range(2):
                SerialItem.objects.create(
                    serial=f"S-{i}-{donor}-{k}",
                    category=category,
                    shipment_line=line,
                    recorded_at=at,
                    last_seen_at=at,
                    last_location=world.depots[donor],
                    received_at=at - dt.timedelta(days=200) if k else None,
                )
        op = Course.objects.create(
            code=f"op-{i}", name=f"Operator {i}", system=category, duration_weeks=1,
            max_class_size=20,
        )  # fmt: skip
        mnt = Course.objects.create(
            code=f"mnt-{i}", name=f"Maintainer {i}", system=category, duration_weeks=1,
            max_class_size=20,
        )  # fmt: skip
        mnt.prerequisites.add(op)
        site = make_site(world, "DE", f"site-{i}", [op, mnt])
        session = make_session(op, site, next_monday())
        cohort = make_cohort(world, [op, mnt], trainees=5, capability=capability)
        booking_create(actor=coordinator, cohort=cohort, session=session)
        ScheduleRun.objects.create(
            reference=f"TR-{i:05d}", planning_start=next_monday(), created_by=coordinator
        )
        package_save(
            actor=coordinator,
            package=CapabilityPackage(name=f"Package {i}", capability=capability),
            items=[(requirement, PackageItem.Role.END_ITEM, 1)],
        )
        for role in ROLES:
            token_create(actor=coordinator, user=world.users[role], name=f"sync {i}")
    # A run's page shows its lines once the run has a result.
    AllocationRun.objects.filter(objective__isnull=True).update(objective=0)


def _count(client: Client, url: str) -> tuple[int, int, list[str]]:
    client.get(url)  # once to warm what a second visit finds warm (session, caches)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, headers={"Accept": "application/json"})
    return response.status_code, len(captured), [q["sql"] for q in captured.captured_queries]


def _shape(sql: str) -> str:
    """A query without its values, so that the query repeated per row shows as one shape."""
    return re.sub(r"'[^']*'|\b\d+\b", "?", sql)


def _measure(world: Any, urls: list[str]) -> dict[tuple[str, str], tuple[int, int, list[str]]]:
    out = {}
    for role in ROLES:
        client = Client()
        client.force_login(world.users[role])
        for url in urls:
            out[(role, url)] = _count(client, url)
    return out


def test_lists_cost_the_same_queries_with_one_row_or_many(
    world, django_capture_on_commit_callbacks
):
    # Readiness is recomputed once grow's writes commit: run the callbacks of that commit.
    with django_capture_on_commit_callbacks(execute=True):
        grow(world, 1)
    urls = list_urls()
    few = _measure(world, urls)
    with django_capture_on_commit_callbacks(execute=True):
        grow(world, 5)
    many = _measure(world, urls)
    failures, measured = [], 0
    for key, (status, queries, sql) in many.items():
        role, url = key
        if status != 200:
            assert role != Role.COORDINATOR, f"the coordinator gets {status} at {url}"
            continue
        measured += 1
        before = few[key][1]
        if queries != before:
            grown = Counter(map(_shape, sql)) - Counter(map(_shape, few[key][2]))
            failures.append(
                f"{role} {url}: {before} queries with 1 row, {queries} with 6; repeated: "
                + " | ".join(q[:160] for q in grown)
            )
        elif queries > (cap := MORE_QUERIES.get(url, (MAX_QUERIES, ""))[0]):
            failures.append(f"{role} {url}: {queries} queries (at most {cap})")
    print(f"\nquery counts: {measured} lists × roles measured")
    assert measured > 50
    assert not failures, "\n".join(failures)


# Lists whose rows are bounded by reference data or by one user, not by the data's growth.
UNPAGED = {
    "/": "a dashboard: a fixed set of figures",
    "/reports/": "charts of the whole picture: a fixed set of figures",
    "/logistics/hubs/": "the hubs: reference data, a handful",
    "/hub-capacities/": "one row per hub (reference data, a handful), this week's figures",
    "/readiness/": "one row per capability package (one per capability, reference data)",
    "/api/tokens/": "the user's own API tokens",
}


def test_every_list_pages_its_rows(world, django_capture_on_commit_callbacks):
    """An HTML list renders a ``Page`` (page numbers); an API list answers ``next`` links."""
    from django.core.paginator import Page

    with django_capture_on_commit_callbacks(execute=True):
        grow(world, 1)
    failures = []
    for role in ROLES:
        client = Client()
        client.force_login(world.users[role])
        for url in list_urls():
            response = client.get(url)
            if response.status_code != 200 or url.split("?")[0] in UNPAGED:
                continue
            if url.startswith("/api/"):
                paged = "next" in response.json()
            else:
                context = response.context  # a ContextList: iterating it gives contexts, not keys
                paged = any(isinstance(context.get(k), Page) for k in context.keys())  # noqa: SIM118
            if not paged:
                failures.append(f"{role} {url} is not paginated")
    assert not failures, "\n".join(failures)
