"""The shipment list people work from: filters by what they know, the next departure first, names
not codes, and a bad filter value or page answered with a message, never everything."""

import datetime as dt

import pytest
from django.utils import timezone

from coordcell.logistics.models import Shipment
from coordcell.logistics.tests.factories import make_shipment
from coordcell.registry.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def three(world):
    today = timezone.now().date()
    shipments = [make_shipment(world) for _ in range(3)]
    # One gone last week, one leaving next week, one in three weeks.
    for shipment, days in zip(shipments, (-7, 21, 7), strict=True):
        Shipment.objects.filter(pk=shipment.pk).update(
            planned_departure=today + dt.timedelta(days=days),
            planned_arrival=today + dt.timedelta(days=days + 5),
        )
    return shipments


def _order(html, shipments):
    return sorted(shipments, key=lambda s: html.index(s.reference))


def test_the_next_departure_comes_first_then_those_gone(world, client_for, three):
    gone, later, soon = three
    html = client_for(world.users[Role.COORDINATOR]).get("/logistics/").content.decode()
    assert _order(html, three) == [soon, later, gone]
    assert world.nations["DE"].name in html  # names, not codes
    assert "3 shipments" in html


def test_filters_by_donor_code_hub_and_departure_weeks(world, client_for, three):
    gone, later, soon = three
    client = client_for(world.users[Role.COORDINATOR])
    today = timezone.now().date()
    html = client.get(
        "/logistics/",
        {"departing_from": today.isoformat(), "hub": world.hub.code, "donor": "DE"},
    ).content.decode()
    assert soon.reference in html and later.reference in html and gone.reference not in html
    html = client.get("/logistics/", {"sort": "-departure"}).content.decode()
    assert _order(html, three) == [later, soon, gone]


@pytest.mark.parametrize(
    "query, message",
    [
        ({"status": "nonsense"}, "nonsense"),
        ({"donor": "XX"}, "XX"),
        ({"page": "abc"}, "is not a page number"),
        ({"page": "9"}, "There is no page 9"),
    ],
)
def test_a_bad_filter_or_page_says_so_and_lists_nothing(world, client_for, three, query, message):
    answer = client_for(world.users[Role.COORDINATOR]).get("/logistics/", query)
    html = answer.content.decode()
    assert answer.status_code == 400
    assert message in html and 'role="alert"' in html
    assert not any(s.reference in html for s in three)


def test_the_recipient_neither_filters_nor_sorts_by_route_or_time(world, client_for, three):
    client = client_for(world.users[Role.RECIPIENT_LIAISON])
    html = client.get("/logistics/").content.decode()
    assert 'name="hub"' not in html and 'name="departing_from"' not in html
    assert 'value="departure"' not in html and 'name="late"' not in html
    # A route filter given anyway is not applied: what it would keep is not theirs to learn.
    other_hub = client.get("/logistics/", {"hub": "nowhere"})
    assert other_hub.status_code == 200
    assert all(s.reference in other_hub.content.decode() for s in three)


def test_the_filter_form_sends_any_priority_unless_one_is_chosen(world, client_for, three):
    """The form's priority select starts empty: sending the form as it stands (another filter
    changed) must not also filter to priority 1."""
    client = client_for(world.users[Role.COORDINATOR])
    html = client.get("/logistics/").content.decode()
    assert '<option value="" selected>' in html.split('name="priority"')[1].split("</select>")[0]
    listed = client.get("/logistics/", {"priority": "", "donor": "DE"}).content.decode()
    assert all(s.reference in listed for s in three)
