"""The largest numbers the cell accepts, in many rows, break no read and overflow no sum (issue
23): the dashboards of every role, the reports, the briefing, the exports and the API lists all
answer, on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import OperationalError, connection
from django.db.models import Sum

from coordcell.bounds import MONEY_MAX, PEOPLE_MAX, QUANTITY_MAX, float_sum
from coordcell.logistics.models import ShipmentLine
from coordcell.logistics.tests.factories import make_shipment
from coordcell.pledges.models import Pledge
from coordcell.pledges.tests.factories import PledgeFactory
from coordcell.registry.models import HubCapacity, Role
from coordcell.requirements.models import Requirement
from coordcell.requirements.tests.factories import RequirementFactory
from coordcell.training.models import Session
from coordcell.training.tests.factories import make_cohort, make_courses, make_session, make_site
from coordcell.training.tests.factories import next_monday as training_monday

pytestmark = pytest.mark.django_db

ROWS = 500
WHOLE_MAX = MONEY_MAX.to_integral_value(rounding="ROUND_FLOOR")  # an INTEGER in SQLite


@pytest.fixture
def largest(world: Any, monkeypatch: Any) -> Any:
    # One shipment of the largest quantity: a transport mode's load limits would cut it into
    # 25,000 loads (they are tested in coordcell/logistics/tests/test_loads.py).
    from coordcell.logistics import services
    from coordcell.logistics.loads import ModeLimit

    monkeypatch.setattr(
        services, "LOAD_LIMITS", {mode: ModeLimit(max_lines=100) for mode in services.LOAD_LIMITS}
    )
    start = dt.date.today() + dt.timedelta(days=7)
    Pledge.objects.bulk_create(
        Pledge(
            reference=f"P-{500_000 + n:06d}",
            donor=world.nations["DE" if n % 2 else "PL"],
            donor_reference=f"MAX-{n}",
            category=world.category,
            quantity=QUANTITY_MAX,
            allocated_quantity=QUANTITY_MAX if n % 3 == 0 else 0,
            available_from=start,
            origin=world.depots["DE" if n % 2 else "PL"],
            status=Pledge.Status.CONFIRMED,
            value=WHOLE_MAX if n % 2 else MONEY_MAX,
            currency="EUR",
            valuation_basis="replacement_cost",
        )
        for n in range(1, ROWS + 1)
    )
    Requirement.objects.bulk_create(
        RequirementFactory.build(
            reference=f"R-{500_000 + n:06d}",
            quantity=QUANTITY_MAX,
            category=world.category,
            capability=world.capability,
            delivery_point=world.delivery_point,
            priority=1 + n % 5,
            need_by=start,
        )
        for n in range(1, ROWS + 1)
    )
    HubCapacity.objects.filter(hub=world.hub).update(weekly_capacity=QUANTITY_MAX)
    for donor in ("DE", "PL"):
        shipment = make_shipment(world, donor=donor, quantity=QUANTITY_MAX)
        ShipmentLine.objects.filter(shipment=shipment).update(
            shipped_quantity=QUANTITY_MAX,
            handed_over_quantity=QUANTITY_MAX,
            received_quantity=QUANTITY_MAX,
        )
        Pledge.objects.filter(shipment_lines__shipment=shipment).update(
            allocated_quantity=QUANTITY_MAX,
            value=MONEY_MAX,
            currency="EUR",
            valuation_basis="replacement_cost",
        )
    op, mnt = make_courses(world)
    type(op).objects.filter(pk__in=[op.pk, mnt.pk]).update(max_class_size=PEOPLE_MAX)
    site = make_site(world, "GB", "site-max", [op, mnt], seats_per_week=PEOPLE_MAX)
    for week in range(1, 21):
        make_session(op, site, training_monday(week), seats=PEOPLE_MAX)
    for _ in range(20):
        make_cohort(world, [op, mnt], trainees=PEOPLE_MAX)
    Session.objects.update(booked_trainees=PEOPLE_MAX // 2)
    return world


PAGES = [
    "/",
    "/reports/",
    "/reports/briefing.pdf",
    "/reports/briefing.xlsx",
    "/reports/lists/unallocated-pledges/",
    "/export/pledges/?format=csv",
    "/export/pledges/?format=xlsx",
    "/export/requirements/?format=xlsx",
    "/pledges/",
    "/requirements/",
    "/allocation/committed/",
    "/logistics/",
    "/logistics/hubs/",
    "/readiness/",
    "/training/sessions/",
    "/training/cohorts/",
    "/api/v1/pledges?page_size=1000",
    "/api/v1/requirements?page_size=1000",
]


@pytest.mark.parametrize(
    "role",
    [Role.COORDINATOR, Role.AUDITOR, Role.DONOR_LIAISON, Role.RECIPIENT_LIAISON],
)
def test_every_page_answers_with_the_largest_numbers_in_many_rows(
    largest: Any, client_for: Any, role: str
) -> None:
    client = client_for(largest.users[role])
    client.raise_request_exception = False
    failed = {}
    for url in PAGES:
        response = client.get(url)
        if response.status_code >= 500:
            failed[url] = response.status_code
        elif hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)  # an export fails while it streams
    assert not failed, failed


def test_pledge_values_sum_as_floating_point_whatever_is_stored(world: Any) -> None:
    pledges = [
        PledgeFactory(
            donor=world.nations["DE"],
            origin=world.depots["DE"],
            category=world.category,
            value=Decimal("1.00"),
            currency="EUR",
            valuation_basis="replacement_cost",
        )
        for _ in range(3)
    ]
    # Three values SQLite keeps as INTEGER whose sum passes 2**63 (PostgreSQL's numeric(16, 2)
    # holds no such value: there its largest is summed).
    big = str(2**62) if connection.vendor == "sqlite" else "99999999999999.99"
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE pledges_pledge SET value = {big} WHERE id IN (%s, %s, %s)",  # noqa: S608
            [p.pk for p in pledges],
        )
    total = Pledge.objects.aggregate(total=float_sum("value"))["total"]
    assert total == pytest.approx(3 * float(big))
    if connection.vendor == "sqlite":
        with pytest.raises(OperationalError, match="integer overflow"):  # a plain SUM
            Pledge.objects.aggregate(total=Sum("value"))
