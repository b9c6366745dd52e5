"""The discrepancy register pages by cursor, in its own order (due date first, or as sorted),
through rows that share a due date, back and forth, without OFFSET."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from coordcell.logistics.discrepancies import discrepancy_record
from coordcell.logistics.lifecycle import S
from coordcell.logistics.models import Discrepancy
from coordcell.logistics.selectors import DiscrepancyFilters, discrepancy_register
from coordcell.logistics.tests.discrepancy_fixtures import shipment_at
from coordcell.registry.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def seven(world):
    """Seven discrepancies of one shipment; four share a due date."""
    shipment = shipment_at(world, S.AT_HUB)
    found = [
        discrepancy_record(
            actor=world.users[Role.COORDINATOR],
            shipment=shipment,
            kind=Discrepancy.Kind.DAMAGED,
            quantity=1,
            serial="",
            description=f"Crate {n} crushed",
        )
        for n in range(7)
    ]
    today = dt.date.today()
    for n, d in enumerate(found[:3]):  # test data: three with due dates of their own
        Discrepancy.objects.filter(pk=d.pk).update(due_on=today + dt.timedelta(days=9 - n))
    return found


def _walk(api, url):
    ids, pages = [], []
    while url:
        body = api.get(url).json()
        assert "count" not in body
        pages.append(body)
        ids += [row["id"] for row in body["results"]]
        url = body["next"]
    return ids, pages


@pytest.mark.parametrize("sort", ["", "due_on", "-due_on", "recorded_at", "-recorded_at"])
def test_following_next_reads_the_register_in_its_order_once(world, seven, api_for, sort):
    coordinator = world.users[Role.COORDINATOR]
    api = api_for(coordinator)
    ids, pages = _walk(api, f"/api/v1/discrepancies?page_size=2&sort={sort}")
    expected = discrepancy_register(coordinator, DiscrepancyFilters(sort=sort or "due_on"))
    assert ids == [d.pk for d in expected]
    assert len(pages) == 4 and pages[0]["previous"] is None
    # Back from the last page: the page before it, as it was read.
    back = api.get(pages[-1]["previous"]).json()
    assert [r["id"] for r in back["results"]] == [r["id"] for r in pages[-2]["results"]]
    assert back["next"] and back["previous"]


def test_a_page_is_found_without_offset(world, seven, api_for):
    api = api_for(world.users[Role.COORDINATOR])
    second = api.get("/api/v1/discrepancies?page_size=2").json()["next"]
    with CaptureQueriesContext(connection) as queries:
        assert api.get(second).status_code == 200
    assert not any("OFFSET" in q["sql"].upper() for q in queries.captured_queries)


def test_bad_cursors_and_page_numbers_are_refused(world, seven, api_for):
    api = api_for(world.users[Role.COORDINATOR])
    assert api.get("/api/v1/discrepancies?page=2").status_code == 400
    assert api.get("/api/v1/discrepancies?cursor=bm9wZQ").status_code == 404
    # A cursor of one order is not a position in another.
    due_first = api.get("/api/v1/discrepancies?page_size=2").json()["next"]
    cursor = due_first.split("cursor=", 1)[1].split("&", 1)[0]
    answer = api.get(f"/api/v1/discrepancies?sort=-recorded_at&cursor={cursor}")
    assert answer.status_code == 404
    assert answer["Content-Type"] == "application/problem+json"


def test_a_donor_pages_through_its_own_only(world, seven, api_for):
    polish = api_for(world.users["donor-pl"])
    assert _walk(polish, "/api/v1/discrepancies?page_size=2")[0] == []
    german = api_for(world.users[Role.DONOR_LIAISON])
    assert sorted(_walk(german, "/api/v1/discrepancies?page_size=3")[0]) == sorted(
        d.pk for d in seven
    )
