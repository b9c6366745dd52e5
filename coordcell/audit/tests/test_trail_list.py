"""The audit trail as a list: filters that a value cannot fool (400 and a message, never the
whole trail), a count, and moments to the minute in the page's language."""

import datetime as dt
import re

import pytest

from coordcell.pledges.services import pledge_save
from coordcell.pledges.tests.factories import PledgeFactory
from coordcell.registry.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def audited(world):
    """One audited change: the coordinator moves a pledge's date."""
    pledge = PledgeFactory(donor=world.nations["DE"], origin=world.depots["DE"])
    pledge.available_from += dt.timedelta(days=3)
    pledge_save(actor=world.users[Role.COORDINATOR], pledge=pledge)
    return pledge


@pytest.mark.parametrize("query", [{"after": "yesterday"}, {"page": "abc"}, {"page": "999"}])
def test_a_filter_or_page_the_trail_cannot_read_is_a_message(world, client_for, audited, query):
    response = client_for(world.users[Role.AUDITOR]).get("/audit/", query)
    html = response.content.decode()
    assert response.status_code == 400
    assert 'role="alert"' in html
    assert audited.reference not in html  # no event listed as if filtered


def test_the_trail_counts_its_events_and_shows_moments_to_the_minute(world, client_for, audited):
    client = client_for(world.users[Role.AUDITOR])
    english = client.get("/audit/", headers={"accept-language": "en"}).content.decode()
    assert re.search(r"\d+ events?", english)
    assert re.search(r"<td>\d{1,2} [A-Z][a-z]{2} \d{4} \d\d:\d\d</td>", english)
    assert not re.search(r"\d\d:\d\d:\d\d", english)
    ukrainian = client.get("/audit/", headers={"accept-language": "uk"}).content.decode()
    assert re.search(r"<td>\d\d\.\d\d\.\d{4} \d\d:\d\d</td>", ukrainian)
