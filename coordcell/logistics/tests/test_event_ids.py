"""Event ids are the sender's: unique within its nation's (or the cell's) id space. Another
nation's id is a new id for you and tells nothing about that nation's events (issue 23)."""

import datetime as dt

import pytest
from django.utils import timezone

from coordcell.audit.models import AuditEvent
from coordcell.logistics.lifecycle import S
from coordcell.logistics.models import ShipmentEvent
from coordcell.logistics.tests.factories import event, ingest, make_shipment
from coordcell.registry.models import Role
from coordcell.registry.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _ready(shipment, event_id, hours_ago=2):
    at = timezone.now() - dt.timedelta(hours=hours_ago)
    return {**event(shipment, S.READY, at), "id": event_id}


def test_another_nations_event_id_is_a_new_id_for_you(world):
    polish, german = make_shipment(world, donor="PL"), make_shipment(world, donor="DE")
    assert ingest(world, [_ready(polish, "feed-0001")], role="donor-pl").accepted == 1
    result = ingest(world, [_ready(german, "feed-0001")], role=Role.DONOR_LIAISON)
    assert (result.accepted, result.duplicates, result.rejected) == (1, 0, [])
    assert ShipmentEvent.objects.filter(client_id="feed-0001").count() == 2


def test_resending_another_nations_event_answers_like_any_shipment_you_cannot_see(world):
    polish = make_shipment(world, donor="PL")
    sent = _ready(polish, "feed-0001")
    ingest(world, [sent], role="donor-pl")
    replay = ingest(world, [sent], role=Role.DONOR_LIAISON).as_dict()
    made_up = ingest(world, [{**sent, "id": "never-used"}], role=Role.DONOR_LIAISON).as_dict()
    assert replay["duplicates"] == 0
    assert replay["rejected"][0]["error"] == made_up["rejected"][0]["error"]
    assert "already used" not in replay["rejected"][0]["error"]
    # ... and changed to another event: no "already used" either.
    changed = ingest(world, [{**sent, "status": S.DEPARTED}], role=Role.DONOR_LIAISON).as_dict()
    assert "already used" not in changed["rejected"][0]["error"]


def test_a_nations_users_share_one_id_space(world):
    """A national system feeding through several users: a re-send by another is a duplicate."""
    german = make_shipment(world, donor="DE")
    second = UserFactory(username="donor-de-2", role=Role.DONOR_LIAISON, nation=world.nations["DE"])
    world.users["donor-de-2"] = second
    batch = [_ready(german, "de-0001")]
    assert ingest(world, batch, role=Role.DONOR_LIAISON).accepted == 1
    again = ingest(world, batch, role="donor-de-2")
    assert (again.accepted, again.duplicates) == (0, 1)
    assert ShipmentEvent.objects.get().sender == f"nation:{world.nations['DE'].pk}"


def test_the_cell_has_an_id_space_of_its_own(world):
    german = make_shipment(world, donor="DE")
    ingest(world, [_ready(german, "x-1")], role=Role.DONOR_LIAISON)
    departed = {**event(german, S.DEPARTED, timezone.now()), "id": "x-1"}
    result = ingest(world, [departed])  # the coordinator
    assert result.accepted == 1
    assert ShipmentEvent.objects.get(status=S.DEPARTED).sender == ShipmentEvent.CELL


def test_an_own_id_reused_for_another_event_is_refused_and_audited(world):
    german = make_shipment(world, donor="DE")
    sent = _ready(german, "de-0001")
    ingest(world, [sent], role=Role.DONOR_LIAISON)
    changed = {**sent, "status": S.DEPARTED}
    result = ingest(world, [changed], role=Role.DONOR_LIAISON)
    assert "already used for a different event" in result.rejected[0].error
    [audit] = AuditEvent.objects.filter(verb="shipment.event-id-conflict")
    assert audit.actor_name == "donor-de"
    assert audit.data["client_id"] == "de-0001"
    assert audit.data["sent"]["status"] == S.DEPARTED


def test_an_idempotent_resend_is_not_audited_as_a_conflict(world):
    german = make_shipment(world, donor="DE")
    batch = [_ready(german, "de-0001")]
    ingest(world, batch, role=Role.DONOR_LIAISON)
    before = AuditEvent.objects.count()
    assert ingest(world, batch, role=Role.DONOR_LIAISON).duplicates == 1
    assert AuditEvent.objects.count() == before


def test_another_donors_depot_is_an_unknown_location_like_a_made_up_one(world):
    german = make_shipment(world, donor="DE")
    errors = [
        ingest(world, [{**_ready(german, f"x-{code}"), "location": code}], role=Role.DONOR_LIAISON)
        .rejected[0]
        .error
        for code in ("depot-pl", "depot-xx")
    ]
    assert errors == ["Unknown location 'depot-pl'.", "Unknown location 'depot-xx'."]
