"""A discrepancy has an owner and a due date, moves open -> investigating -> resolved (found,
replaced, written off or claimed) by those allowed, once, and every move is audited."""

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from coordcell.audit.models import AuditEvent
from coordcell.audit.services import StaleEditError
from coordcell.logistics.discrepancies import (
    discrepancy_reassign,
    discrepancy_resolve,
    discrepancy_set_due,
    discrepancy_start_investigation,
)
from coordcell.logistics.lifecycle import S
from coordcell.logistics.models import Discrepancy
from coordcell.logistics.selectors import (
    can_investigate_discrepancy,
    can_reassign_discrepancy,
    can_resolve_discrepancy,
    can_set_due_discrepancy,
)
from coordcell.logistics.tests.discrepancy_fixtures import discrepancy_at
from coordcell.registry.models import Role

pytestmark = pytest.mark.django_db

R = Discrepancy.Resolution
COORD, AUDITOR, DONOR_DE, RECIPIENT = (
    Role.COORDINATOR,
    Role.AUDITOR,
    Role.DONOR_LIAISON,
    Role.RECIPIENT_LIAISON,
)


def _events(d, verb):
    return list(
        AuditEvent.objects.filter(
            verb=verb, target_type="logistics.discrepancy", target_id=str(d.pk)
        )
    )


def test_damage_found_at_the_hub_belongs_to_the_donor_and_is_due_in_14_days(world):
    d = discrepancy_at(world, S.AT_HUB, donor="DE")
    assert d.owner_nation == world.nations["DE"]
    assert d.due_on == d.recorded_at.date() + dt.timedelta(days=14)
    assert (d.status, d.resolution) == ("open", "")


def test_damage_found_at_handover_belongs_to_the_cell(world):
    d = discrepancy_at(world, S.HANDED_OVER)
    assert d.owner_nation is None


def test_a_short_count_raised_by_the_hub_check_belongs_to_the_donor(world):
    from coordcell.logistics.tests.factories import event, ingest, make_shipment

    shipment = make_shipment(world, donor="PL", quantity=10)
    at = timezone.now() - dt.timedelta(days=1)
    ingest(
        world,
        [
            event(shipment, S.READY, at),
            event(shipment, S.DEPARTED, at + dt.timedelta(hours=1), quantity=10),
            event(shipment, S.AT_HUB, at + dt.timedelta(hours=2), quantity=8),
        ],
    )
    short = Discrepancy.objects.get(kind=Discrepancy.Kind.SHORT)
    assert short.automatic and short.quantity == 2
    assert short.owner_nation == world.nations["PL"]
    assert short.due_on == short.recorded_at.date() + dt.timedelta(days=14)


def test_open_investigating_resolved_each_audited(world):
    d = discrepancy_at(world)
    coord = world.users[COORD]
    discrepancy_start_investigation(actor=coord, discrepancy=d, expected_version=1)
    d.refresh_from_db()
    assert d.status == "investigating" and d.version == 2
    discrepancy_resolve(
        actor=coord, discrepancy=d, resolution=R.WRITTEN_OFF, note="Destroyed in transit."
    )
    d.refresh_from_db()
    assert (d.status, d.resolution, d.resolution_note) == (
        "resolved",
        "written_off",
        "Destroyed in transit.",
    )
    assert d.resolved_by == coord and d.resolved_at is not None
    [started] = _events(d, "discrepancy.investigate")
    assert started.data["changes"]["status"] == ["open", "investigating"]
    [resolved] = _events(d, "discrepancy.resolve")
    assert resolved.data["changes"]["resolution"] == ["", "written_off"]
    assert resolved.actor_name == "coord"


def test_a_resolution_is_final(world):
    d = discrepancy_at(world)
    discrepancy_resolve(actor=world.users[COORD], discrepancy=d, resolution=R.FOUND)
    with pytest.raises(ValidationError, match="already resolved"):
        discrepancy_resolve(
            actor=world.users[COORD], discrepancy=d, resolution=R.CLAIMED, note="Claim filed."
        )
    d.refresh_from_db()
    assert d.resolution == "found"
    assert len(_events(d, "discrepancy.resolve")) == 1
    with pytest.raises(ValidationError, match="already resolved"):
        discrepancy_set_due(actor=world.users[COORD], discrepancy=d, due_on=timezone.now().date())


def test_a_resolution_other_than_found_says_why(world):
    d = discrepancy_at(world)
    with pytest.raises(ValidationError) as caught:
        discrepancy_resolve(actor=world.users[COORD], discrepancy=d, resolution=R.REPLACED)
    assert "note" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        discrepancy_resolve(actor=world.users[COORD], discrepancy=d, resolution="lost")
    assert "resolution" in caught.value.message_dict
    d.refresh_from_db()
    assert d.status == "open"


def test_a_change_since_the_page_was_opened_is_refused(world):
    d = discrepancy_at(world)
    discrepancy_set_due(
        actor=world.users[COORD], discrepancy=d, due_on=timezone.now().date() + dt.timedelta(3)
    )
    with pytest.raises(StaleEditError):
        discrepancy_resolve(
            actor=world.users[COORD], discrepancy=d, resolution=R.FOUND, expected_version=1
        )


@pytest.mark.parametrize(
    ("user", "investigate", "resolutions"),
    [
        (COORD, True, set(R.values)),
        (DONOR_DE, True, set(R.values)),  # it owns the hub's finding on its shipment
        ("donor-pl", False, set()),
        (AUDITOR, False, set()),
        (RECIPIENT, False, set()),  # found at the hub: not what it received
        (Role.TRAINING_SITE_OFFICER, False, set()),
    ],
)
def test_who_may_move_a_donors_discrepancy_found_at_the_hub(world, user, investigate, resolutions):
    d = discrepancy_at(world, S.AT_HUB, donor="DE")
    u = world.users[user]
    assert can_investigate_discrepancy(u, d) is investigate
    assert {r for r in R.values if can_resolve_discrepancy(u, d, r)} == resolutions
    assert can_reassign_discrepancy(u, d) is (user == COORD)
    assert can_set_due_discrepancy(u, d) is (user == COORD)


def test_the_recipient_may_mark_found_what_it_received_and_nothing_else(world):
    d = discrepancy_at(world, S.HANDED_OVER, kind=Discrepancy.Kind.SHORT, quantity=2)
    recipient = world.users[RECIPIENT]
    assert not can_investigate_discrepancy(recipient, d)
    with pytest.raises(ValidationError, match="only as: Found"):
        discrepancy_resolve(actor=recipient, discrepancy=d, resolution=R.WRITTEN_OFF, note="x")
    with pytest.raises(PermissionDenied):
        discrepancy_start_investigation(actor=recipient, discrepancy=d)
    discrepancy_resolve(actor=recipient, discrepancy=d, resolution=R.FOUND, note="In crate 4.")
    d.refresh_from_db()
    assert (d.status, d.resolution, d.resolved_by) == ("resolved", "found", recipient)


def test_a_donor_may_not_act_on_a_discrepancy_the_cell_owns(world):
    d = discrepancy_at(world, S.HANDED_OVER, donor="DE")  # the cell's
    donor = world.users[DONOR_DE]
    with pytest.raises(PermissionDenied):
        discrepancy_start_investigation(actor=donor, discrepancy=d)
    with pytest.raises(PermissionDenied):
        discrepancy_resolve(actor=donor, discrepancy=d, resolution=R.FOUND)
    discrepancy_reassign(
        actor=world.users[COORD], discrepancy=d, owner_nation_id=world.nations["DE"].pk
    )
    discrepancy_start_investigation(actor=donor, discrepancy=d)
    d.refresh_from_db()
    assert d.status == "investigating" and d.owner_nation == world.nations["DE"]
    [event] = _events(d, "discrepancy.reassign")
    assert event.data["changes"]["owner_nation_id"] == [None, world.nations["DE"].pk]


def test_the_auditor_changes_nothing(world):
    d = discrepancy_at(world)
    auditor = world.users[AUDITOR]
    for act in (
        lambda: discrepancy_start_investigation(actor=auditor, discrepancy=d),
        lambda: discrepancy_resolve(actor=auditor, discrepancy=d, resolution=R.FOUND),
        lambda: discrepancy_reassign(actor=auditor, discrepancy=d, owner_nation_id=None),
        lambda: discrepancy_set_due(actor=auditor, discrepancy=d, due_on=d.due_on),
    ):
        with pytest.raises(PermissionDenied):
            act()
    d.refresh_from_db()
    assert (d.status, d.version) == ("open", 1)


def test_the_owner_is_the_shipments_donor_or_the_cell(world):
    d = discrepancy_at(world, donor="DE")
    with pytest.raises(ValidationError, match="shipment's donor or the cell"):
        discrepancy_reassign(
            actor=world.users[COORD], discrepancy=d, owner_nation_id=world.nations["PL"].pk
        )
    discrepancy_reassign(actor=world.users[COORD], discrepancy=d, owner_nation_id=None)
    d.refresh_from_db()
    assert d.owner_nation is None


def test_the_due_date_is_not_before_the_discrepancy(world):
    d = discrepancy_at(world)
    with pytest.raises(ValidationError, match="on or after"):
        discrepancy_set_due(
            actor=world.users[COORD],
            discrepancy=d,
            due_on=d.recorded_at.date() - dt.timedelta(days=1),
        )
    later = d.recorded_at.date() + dt.timedelta(days=40)
    discrepancy_set_due(actor=world.users[COORD], discrepancy=d, due_on=later)
    d.refresh_from_db()
    assert d.due_on == later
    assert _events(d, "discrepancy.set_due")


def test_a_resolution_is_set_exactly_when_resolved_in_the_database(world):
    from django.db import IntegrityError, transaction

    d = discrepancy_at(world)
    with pytest.raises(IntegrityError), transaction.atomic():
        Discrepancy.objects.filter(pk=d.pk).update(resolution="found")
    with pytest.raises(IntegrityError), transaction.atomic():
        Discrepancy.objects.filter(pk=d.pk).update(status="resolved")


def test_the_migration_gives_old_rows_an_owner_a_due_date_and_a_resolution(world):
    migration = importlib.import_module("coordcell.logistics.migrations.0007_discrepancy_lifecycle")
    hub = discrepancy_at(world, S.AT_HUB, donor="PL")
    handover = discrepancy_at(world, S.HANDED_OVER, donor="DE")
    recorded = timezone.now() - dt.timedelta(days=100)
    # As rows stood before: no owner, a due date to be filled, one closed by hand.
    Discrepancy.objects.update(owner_nation=None, recorded_at=recorded)
    Discrepancy.objects.filter(pk=handover.pk).update(status="resolved", resolution="found")
    migration.fill_lifecycle(apps, None)
    hub.refresh_from_db()
    handover.refresh_from_db()
    assert hub.owner_nation == world.nations["PL"] and handover.owner_nation is None
    assert hub.due_on == recorded.date() + dt.timedelta(days=14)
    assert (handover.status, handover.resolution) == ("resolved", "found")
    assert "recorded as found" in handover.resolution_note
