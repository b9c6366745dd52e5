"""The recipient is told the calendar week of a shipment's ETA: never the ETA itself, and no move
of it inside that week (issue 23: ETA-1 .. ETA+2 gave the ETA away)."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from coordcell.logistics.models import Shipment
from coordcell.logistics.selectors import eta_window, week_window
from coordcell.logistics.tests.factories import make_shipment
from coordcell.registry.models import Role
from coordcell.registry.templatetags.figures import day

pytestmark = pytest.mark.django_db


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def test_every_eta_of_one_week_gives_the_same_window():
    monday = dt.date(2027, 5, 17)
    windows = {week_window(monday + dt.timedelta(days=n)) for n in range(7)}
    assert windows == {(monday, monday + dt.timedelta(days=6))}
    assert week_window(monday + dt.timedelta(days=7))[0] == monday + dt.timedelta(days=7)


def test_the_window_is_the_week_of_the_eta_not_a_span_around_it(world):
    shipment = make_shipment(world)
    shipment.eta = dt.date(2027, 5, 19)  # a Wednesday
    assert eta_window(shipment) == (dt.date(2027, 5, 17), dt.date(2027, 5, 23))
    shipment.eta = dt.date(2027, 5, 21)  # moved two days: the recipient sees no change
    assert eta_window(shipment) == (dt.date(2027, 5, 17), dt.date(2027, 5, 23))


def _set_eta(shipment: Shipment, eta: dt.date) -> None:
    Shipment.objects.filter(pk=shipment.pk).update(eta=eta)


def test_recipient_pages_show_the_week_and_never_the_eta(world, client_for):
    shipment = make_shipment(world)
    wednesday = _monday(timezone.now().date()) + dt.timedelta(days=2)
    _set_eta(shipment, wednesday)
    client = client_for(world.users[Role.RECIPIENT_LIAISON])
    monday, sunday = week_window(wednesday)
    for url in (
        f"/logistics/shipments/{shipment.pk}/",
        "/logistics/",
        "/",
        "/reports/lists/arriving-this-week/",
    ):
        body = client.get(url).content.decode()
        assert shipment.reference in body, url
        # The page's one date format (``|day``), or ISO where a page still writes it.
        shown = [(f(monday), f(sunday), f(wednesday)) for f in (day, dt.date.isoformat)]
        assert any(m in body and s in body for m, s, _w in shown), url
        assert not any(re.search(rf"(?<!\d){re.escape(w)}", body) for _m, _s, w in shown), url


def test_the_recipients_lists_do_not_rank_shipments_by_their_eta(world, client_for):
    today = timezone.now().date()
    first, second = make_shipment(world), make_shipment(world)
    # The later reference arrives first: a list ordered by ETA would put it first.
    _set_eta(first, _monday(today) + dt.timedelta(days=5))
    _set_eta(second, _monday(today) + dt.timedelta(days=1))
    client = client_for(world.users[Role.RECIPIENT_LIAISON])
    for url in ("/reports/lists/arriving-this-week/", "/"):
        body = client.get(url).content.decode()
        assert body.index(first.reference) < body.index(second.reference), url
    # The shipments page lists them by reference, not by planned departure either.
    Shipment.objects.filter(pk=first.pk).update(planned_departure=today + dt.timedelta(days=30))
    listing = client.get("/logistics/").content.decode()
    assert listing.index(second.reference) < listing.index(first.reference)
    donor = client_for(world.users[Role.DONOR_LIAISON]).get("/logistics/").content.decode()
    assert donor.index(first.reference) < donor.index(second.reference)  # its own: by plan
