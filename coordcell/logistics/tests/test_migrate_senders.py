"""The data migration of issue 23: stored events get their sender's id space, and wrong-serial
texts that named another shipment keep it in ``other_shipment`` instead."""

import importlib

import pytest
from django.apps import apps
from django.utils import timezone

from coordcell.logistics.lifecycle import S
from coordcell.logistics.models import Discrepancy, ShipmentEvent
from coordcell.logistics.tests.factories import event, ingest, make_shipment
from coordcell.registry.models import Role

pytestmark = pytest.mark.django_db
migration = importlib.import_module(
    "coordcell.logistics.migrations.0004_event_senders_and_neutral_wrong_serial_texts"
)


def test_events_get_their_senders_id_space_and_texts_lose_the_other_shipment(world):
    german, polish = make_shipment(world, donor="DE"), make_shipment(world, donor="PL")
    ingest(world, [event(german, S.READY, timezone.now())], role=Role.DONOR_LIAISON)
    ingest(world, [event(german, S.DEPARTED, timezone.now())])
    ShipmentEvent.objects.update(sender=ShipmentEvent.CELL)  # as 0003 left them
    old = Discrepancy.objects.create(
        shipment=german,
        kind=Discrepancy.Kind.WRONG_SERIAL,
        stage=S.AT_HUB,
        serial="PL-1",
        description=f"This serial is on the manifest of {polish.reference}.",
        recorded_at=timezone.now(),
        due_on=timezone.now().date(),
    )
    migration.forwards(apps, None)
    senders = dict(ShipmentEvent.objects.values_list("status", "sender"))
    assert senders == {S.READY: f"nation:{world.nations['DE'].pk}", S.DEPARTED: "cell"}
    old.refresh_from_db()
    assert old.other_shipment == polish
    assert polish.reference not in old.description
