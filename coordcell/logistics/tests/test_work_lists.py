"""The lists the cell works from beside the shipment list (late shipments, end-use inventory,
discrepancies): their filters give what a user expects, names not codes, dates in the page's
language, and a value they cannot read is a 400 with a message, never everything."""

import datetime as dt

import pytest
from django.utils import timezone

from coordcell.logistics.tests.factories import make_run, make_shipment
from coordcell.registry.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def late_two(world):
    """A German and a Polish shipment, both three weeks behind plan."""
    three_weeks_ago = timezone.now().date() - dt.timedelta(days=21)
    monday = three_weeks_ago - dt.timedelta(days=three_weeks_ago.weekday())
    german = make_shipment(world, run=make_run(start=monday), quantity=30)
    polish = make_shipment(world, donor="PL", run=make_run(start=monday), quantity=20)
    return german, polish


def test_the_delays_filter_by_donor_and_show_names_and_dates_per_language(
    world, client_for, late_two
):
    german, polish = late_two
    client = client_for(world.users[Role.COORDINATOR])
    html = client.get("/logistics/delays/").content.decode()
    assert german.reference in html and polish.reference in html
    assert "Germany" in html and "Poland" in html  # names, not codes
    assert "2 shipments behind plan" in html
    html = client.get("/logistics/delays/", {"donor": "PL"}).content.decode()
    assert polish.reference in html and german.reference not in html
    today = timezone.now().date()
    assert f"{today.day} {today:%b %Y}" in html  # "on 6 Dec 2026"
    ukrainian = client.get("/logistics/delays/", headers={"accept-language": "uk"})
    assert f"{today:%d.%m.%Y}" in ukrainian.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/logistics/delays/?donor=XX",
        "/logistics/delays/?hub=nowhere",
        "/logistics/delays/?sort=nonsense",
        "/logistics/delays/?page=abc",
        "/logistics/inventory/?state=nonsense",
        "/logistics/inventory/?page=9",
        "/discrepancies/?kind=nonsense",
    ],
)
def test_a_list_answers_a_value_it_cannot_read_with_a_message(world, client_for, late_two, url):
    response = client_for(world.users[Role.COORDINATOR]).get(url)
    html = response.content.decode()
    assert response.status_code == 400
    assert 'role="alert"' in html
    assert not any(s.reference in html for s in late_two)


def test_a_donors_own_delays_have_no_donor_filter(world, client_for, late_two):
    client = client_for(world.users[Role.DONOR_LIAISON])
    response = client.get("/logistics/donors/DE/late/")
    assert response.status_code == 200
    assert 'name="donor"' not in response.content.decode()


def test_every_column_of_the_shipment_list_sorts_as_far_as_the_role_reads_it(
    world, client_for, late_two
):
    german, polish = late_two
    client = client_for(world.users[Role.COORDINATOR])
    html = client.get("/logistics/", {"status": ""}).content.decode()
    for key in ("reference", "donor", "delivery_point", "hub", "departure", "status", "eta"):
        assert f"sort={key}" in html
    html = client.get("/logistics/", {"sort": "donor"}).content.decode()
    assert html.index(german.reference) < html.index(polish.reference)  # Germany, Poland
    assert "sort=-donor" in html  # the header now sorts the other way round
    html = client.get("/logistics/", {"sort": "-donor"}).content.decode()
    assert html.index(polish.reference) < html.index(german.reference)
    recipient = client_for(world.users[Role.RECIPIENT_LIAISON]).get("/logistics/").content.decode()
    assert "sort=reference" in recipient and "sort=eta" not in recipient
    assert "sort=departure" not in recipient and "sort=hub" not in recipient


def test_the_shipment_list_finds_a_reference(world, client_for, late_two):
    german, polish = late_two
    client = client_for(world.users[Role.COORDINATOR])
    html = client.get("/logistics/", {"q": german.reference}).content.decode()
    assert f"/logistics/shipments/{german.pk}/" in html
    assert f"/logistics/shipments/{polish.pk}/" not in html
