"""The inbox filters by kind and unread; a value it cannot read is a message (400), never the
whole inbox; its moments are to the minute, in the page's language."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from coordcell.pledges.services import pledge_save
from coordcell.pledges.tests.factories import PledgeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def slipped(world, people):
    pledge = PledgeFactory(donor=world.nations["DE"], origin=world.depots["DE"])
    pledge.available_from += dt.timedelta(days=10)
    pledge_save(actor=people.coord, pledge=pledge)
    return pledge


def test_the_inbox_filters_by_kind(client_for, people, slipped):
    client = client_for(people.donor_de)
    html = client.get("/inbox/", {"kind": "pledge_slipped"}).content.decode()
    assert slipped.reference in html
    html = client.get("/inbox/", {"kind": "session_cancelled"}).content.decode()
    assert slipped.reference not in html


@pytest.mark.parametrize("query", [{"kind": "nonsense"}, {"unread": "yes"}, {"page": "abc"}])
def test_a_filter_the_inbox_cannot_read_is_a_message(client_for, people, slipped, query):
    response = client_for(people.donor_de).get("/inbox/", query)
    html = response.content.decode()
    assert response.status_code == 400
    assert 'role="alert"' in html and slipped.reference not in html


def test_the_inbox_dates_follow_the_language_without_seconds(client_for, people, slipped):
    client = client_for(people.donor_de)
    english = client.get("/inbox/", headers={"accept-language": "en"}).content.decode()
    assert re.search(r"\d{1,2} [A-Z][a-z]{2} \d{4} \d\d:\d\d UTC", english)
    ukrainian = client.get("/inbox/", headers={"accept-language": "uk"}).content.decode()
    assert re.search(r"\d\d\.\d\d\.\d{4} \d\d:\d\d UTC", ukrainian)
    assert not re.search(r"\d\d:\d\d:\d\d", english + ukrainian)
