"""The triggers wired into other apps' actions, driven the way users drive them: the event
feed (a short receipt raises automatic discrepancies; a cancel event), a slip by the donor."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from coordcell.logistics.lifecycle import S
from coordcell.logistics.tests.factories import SIGNED, event, ingest, make_shipment
from coordcell.notifications.models import Kind, Notification
from coordcell.registry.models import Role

from .conftest import inbox, texts_of

pytestmark = pytest.mark.django_db


def test_a_short_receipt_tells_of_its_discrepancies_by_stage(world, people):
    shipment = make_shipment(world, quantity=100, donor="PL")
    at = timezone.now() - dt.timedelta(days=3)
    steps = [
        (S.READY, {}),
        (S.DEPARTED, {"quantity": 100}),
        (S.AT_HUB, {"quantity": 100}),
        (S.DEPARTED_HUB, {}),
        (S.HANDED_OVER, {"quantity": 95, **SIGNED}),
    ]
    ingest(
        world,
        [event(shipment, s, at + dt.timedelta(hours=n), **f) for n, (s, f) in enumerate(steps)],
    )
    ingest(
        world,
        [event(shipment, S.RECEIVED, at + dt.timedelta(hours=9), quantity=90, **SIGNED)],
        role=Role.RECIPIENT_LIAISON,
    )
    # Two automatic discrepancies (short at handover, short at receipt): raised by a check, so
    # even the senders of the events are told.
    for user in (people.coord, people.auditor, people.donor_pl, people.recipient):
        assert len(inbox(user, Kind.DISCREPANCY_OPENED)) == 2, user.username
    assert inbox(people.donor_de) == [] and inbox(people.trainer_gb) == []
    assert "(5 units)" in texts_of(people.recipient)
    assert world.hub.name not in texts_of(people.recipient)


def test_a_cancel_event_from_the_feed_is_told(world, people):
    shipment = make_shipment(world)
    ingest(world, [event(shipment, S.CANCELLED, timezone.now())], role=Role.COORDINATOR)
    # The coordinator sent it: the others who see the shipment are told, once.
    told = Notification.objects.filter(kind=Kind.SHIPMENT_CANCELLED)
    assert sorted(told.values_list("recipient__username", flat=True)) == [
        "audit",
        "donor-de",
        "recipient",
    ]


def test_an_import_tells_of_slips_and_withdrawals_like_the_page(world, people):
    from coordcell.audit.services import values_of
    from coordcell.pledges.services import pledges_save_many
    from coordcell.pledges.tests.factories import PledgeFactory

    slipping = PledgeFactory(donor=world.nations["DE"], origin=world.depots["DE"])
    leaving = PledgeFactory(donor=world.nations["DE"], origin=world.depots["DE"])
    same = PledgeFactory(donor=world.nations["DE"], origin=world.depots["DE"])
    updates = []
    for pledge in (slipping, leaving, same):
        updates.append((values_of(pledge), pledge))
    slipping.available_from += dt.timedelta(days=5)
    leaving.status = "withdrawn"
    pledges_save_many(actor=people.donor_de, creates=[], updates=updates)

    assert [n.target_id for n in inbox(people.recipient, Kind.PLEDGE_SLIPPED)] == [str(slipping.pk)]
    [gone] = inbox(people.recipient, Kind.PLEDGE_WITHDRAWN)
    assert gone.target_id == str(leaving.pk) and gone.link == ""
    assert len(inbox(people.coord)) == 2 and inbox(people.donor_de) == []  # the importer
    assert inbox(people.donor_pl) == [] and inbox(people.trainer_gb) == []
    assert "5 days later" in inbox(people.auditor, Kind.PLEDGE_SLIPPED)[0].body
