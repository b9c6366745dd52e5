"""Registers as a reader of each language expects them: every quantity with its unit, numbers
with the language's separators, one date format per language, moments without microseconds;
a sort the list does not know is a message (400), never a list shown as if sorted."""

import datetime as dt
import re

import pytest

from coordcell.pledges.tests.factories import PledgeFactory
from coordcell.registry.models import ItemCategory, Role
from coordcell.registry.tests.factories import ItemCategoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def pledges(world):
    diesel = ItemCategoryFactory(code="diesel", name="Diesel", unit=ItemCategory.Unit.LITRE)
    germany = world.nations["DE"]
    return {
        "diesel": PledgeFactory(
            donor=germany, category=diesel, quantity=204954, available_from=dt.date(2027, 3, 1)
        ),
        "shells": PledgeFactory(
            donor=germany,
            category=world.category,
            quantity=1200,
            available_from=dt.date(2027, 3, 8),
        ),
    }


def _page(client, url, language):
    response = client.get(url, headers={"accept-language": language})
    assert response.status_code == 200
    return response.content.decode()


def test_the_pledge_register_shows_each_quantity_with_its_unit(world, client_for, pledges):
    client = client_for(world.users[Role.COORDINATOR])
    english = _page(client, "/pledges/", "en")
    assert "204,954\xa0litre" in english and "1,200\xa0round" in english
    assert "1 Mar 2027" in english and "2027-03-01" not in english
    # No total adds litres to rounds (204,954 + 1,200).
    assert "206,154" not in english and "206154" not in english
    ukrainian = _page(client, "/pledges/", "uk")
    assert "204\xa0954\xa0л" in ukrainian
    assert "01.03.2027" in ukrainian and "1 Mar 2027" not in ukrainian


def test_a_pledge_page_shows_its_quantity_unit_and_moments_to_the_minute(
    world, client_for, pledges
):
    client = client_for(world.users[Role.COORDINATOR])
    for language in ("en", "uk"):
        html = _page(client, f"/pledges/{pledges['diesel'].pk}/", language)
        assert ("204,954\xa0litre" if language == "en" else "204\xa0954\xa0л") in html
        # No timestamp to the second or below (created at, history): "12:05", not "12:05:07.1".
        assert not re.search(r"\d\d:\d\d:\d\d", html)
        assert not re.search(r"\d{4}-\d\d-\d\d", html)


def test_sorting_by_a_column_orders_the_rows(world, client_for, pledges):
    client = client_for(world.users[Role.COORDINATOR])
    html = _page(client, "/pledges/?sort=quantity", "en")
    assert html.index(pledges["shells"].reference) < html.index(pledges["diesel"].reference)
    html = _page(client, "/pledges/?sort=-quantity", "en")
    assert html.index(pledges["diesel"].reference) < html.index(pledges["shells"].reference)


@pytest.mark.parametrize("query", ["sort=nonsense", "sort=value", "status=nonsense", "page=abc"])
def test_a_sort_or_filter_the_register_cannot_read_is_a_message(world, client_for, pledges, query):
    # The recipient may not sort by a pledge's value: the same message as any unknown sort.
    client = client_for(world.users[Role.RECIPIENT_LIAISON])
    response = client.get(f"/pledges/?{query}")
    html = response.content.decode()
    assert response.status_code == 400
    assert 'role="alert"' in html
    assert pledges["diesel"].reference not in html


def test_an_export_carries_the_unit_in_a_column_of_its_own(world, client_for, pledges):
    client = client_for(world.users[Role.COORDINATOR])
    response = client.get("/export/pledges/?format=csv")
    assert response.status_code == 200
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    header = lines[0].split(",")
    assert "unit of measure" in header
    diesel = next(line.split(",") for line in lines if pledges["diesel"].reference in line)
    assert diesel[header.index("quantity")] == "204954"  # the number stays a number
    assert diesel[header.index("unit of measure")] == "litre"
    assert client.get("/export/pledges/?format=csv&sort=nonsense").status_code == 400
