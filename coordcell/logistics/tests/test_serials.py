"""Serial numbers are recorded before departure and checked at the hub and at handover;
a missing, extra or wrong serial raises a discrepancy by itself."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from coordcell.audit.models import AuditEvent
from coordcell.logistics.lifecycle import S
from coordcell.logistics.models import Discrepancy, SerialItem
from coordcell.logistics.services import shipment_record_event
from coordcell.logistics.tests.factories import SIGNED, event, ingest, make_shipment
from coordcell.registry.models import Role
from coordcell.registry.tests.factories import ItemCategoryFactory

pytestmark = pytest.mark.django_db
Kind = Discrepancy.Kind


@pytest.fixture
def javelins(world):
    return ItemCategoryFactory(
        code="atgm", name="Anti-tank missile", sensitive=True, unit="each", domain="armour"
    )


def _ship(world, category, serials, **kwargs):
    shipment = make_shipment(world, category=category, quantity=len(serials), **kwargs)
    at = timezone.now() - dt.timedelta(days=2)
    result = ingest(
        world,
        [
            event(shipment, S.READY, at, serials=serials),
            event(shipment, S.DEPARTED, at + dt.timedelta(hours=1)),
        ],
    )
    assert result.accepted == 2, result.rejected
    return shipment, at


def _found(shipment):
    return sorted((d.kind, d.serial) for d in Discrepancy.objects.filter(shipment=shipment))


def test_serials_are_recorded_before_departure(world, javelins):
    shipment, _ = _ship(world, javelins, ["J-1", "J-2", "J-3"])
    assert sorted(SerialItem.objects.values_list("serial", flat=True)) == ["J-1", "J-2", "J-3"]
    assert not _found(shipment)


def test_departure_without_the_serial_list_is_refused(world, javelins):
    shipment = make_shipment(world, category=javelins, quantity=2)
    result = ingest(world, [event(shipment, S.READY, timezone.now())])
    assert "needs their serial numbers" in result.rejected[0].error
    wrong_count = ingest(world, [event(shipment, S.READY, timezone.now(), serials=["J-1"])])
    assert "record 2 serial numbers before departure, not 1" in wrong_count.rejected[0].error


def test_a_matching_hub_check_raises_nothing(world, javelins):
    shipment, at = _ship(world, javelins, ["J-1", "J-2"])
    ingest(
        world,
        [event(shipment, S.AT_HUB, at + dt.timedelta(hours=9), serials=["J-2", "J-1"], quantity=2)],
    )
    assert not _found(shipment)


def test_missing_extra_and_wrong_serials_at_the_hub_raise_discrepancies(world, javelins):
    other, _ = _ship(world, javelins, ["K-9"])
    shipment, at = _ship(world, javelins, ["J-1", "J-2", "J-3"])
    ingest(
        world,
        [
            event(
                shipment,
                S.AT_HUB,
                at + dt.timedelta(hours=9),
                serials=["J-1", "J-2", "X-7", "K-9"],
                quantity=3,
            )
        ],
    )
    assert _found(shipment) == [
        (Kind.EXTRA_SERIAL, "X-7"),
        (Kind.MISSING_SERIAL, "J-3"),
        (Kind.WRONG_SERIAL, "K-9"),
    ]
    assert all(d.automatic and d.stage == S.AT_HUB for d in Discrepancy.objects.all())


def test_a_serial_missing_at_handover_is_caught_too(world, javelins):
    shipment, at = _ship(world, javelins, ["J-1", "J-2"])
    later = at + dt.timedelta(hours=9)
    ingest(
        world,
        [
            event(shipment, S.AT_HUB, later, serials=["J-1", "J-2"], quantity=2),
            event(shipment, S.DEPARTED_HUB, later + dt.timedelta(hours=2)),
            event(
                shipment,
                S.HANDED_OVER,
                later + dt.timedelta(hours=8),
                serials=["J-1"],
                quantity=1,
                **SIGNED,
            ),
        ],
    )
    kinds = _found(shipment)
    assert (Kind.MISSING_SERIAL, "J-2") in kinds
    assert (Kind.SHORT, "") in kinds


def test_a_hub_check_that_arrives_before_the_manifest_is_compared_when_it_arrives(world, javelins):
    shipment = make_shipment(world, category=javelins, quantity=2)
    at = timezone.now() - dt.timedelta(days=1)
    ingest(
        world,
        [event(shipment, S.AT_HUB, at + dt.timedelta(hours=9), serials=["J-1", "J-9"], quantity=2)],
    )
    assert not _found(shipment)
    ingest(world, [event(shipment, S.READY, at, serials=["J-1", "J-2"])])
    assert _found(shipment) == [(Kind.EXTRA_SERIAL, "J-9"), (Kind.MISSING_SERIAL, "J-2")]
    ingest(world, [event(shipment, S.READY, at, serials=["J-1", "J-2"])])  # re-sent
    assert len(_found(shipment)) == 2


def test_a_serial_already_on_another_shipment_cannot_be_recorded_again(world, javelins):
    _ship(world, javelins, ["J-1"])
    second = make_shipment(world, category=javelins, quantity=1)
    result = ingest(world, [event(second, S.READY, timezone.now(), serials=["J-1"])])
    assert "already recorded on S-000001" in result.rejected[0].error


def _german_and_polish(world, javelins):
    """A Polish shipment whose manifest holds PL-AMR-0002, and a German one to be readied."""
    polish, _ = _ship(world, javelins, ["PL-AMR-0001", "PL-AMR-0002"], donor="PL")
    german = make_shipment(world, category=javelins, quantity=1, donor="DE")
    return polish, german


def test_a_donor_is_not_told_which_shipment_carries_another_nations_serial(world, javelins):
    polish, german = _german_and_polish(world, javelins)
    result = ingest(
        world,
        [event(german, S.READY, timezone.now(), serials=["PL-AMR-0002"])],
        role=Role.DONOR_LIAISON,
    )
    [rejection] = result.rejected
    assert "PL-AMR-0002 is already recorded on the manifest of another shipment" in (
        rejection.error
    )
    assert polish.reference not in rejection.error
    assert not SerialItem.objects.filter(shipment_line__shipment=german).exists()
    # The cell sees the collision, with both shipments.
    [audit] = AuditEvent.objects.filter(verb="serial.collision")
    assert audit.actor_name == "donor-de"
    assert audit.data == {
        "serial": "PL-AMR-0002",
        "sent_for": german.reference,
        "recorded_on": polish.reference,
    }


def test_a_collision_refused_by_hand_is_audited_too(world, javelins):
    _polish, german = _german_and_polish(world, javelins)
    with pytest.raises(ValidationError) as refused:
        shipment_record_event(
            actor=world.users[Role.DONOR_LIAISON],
            shipment=german,
            status=S.READY,
            serials=["PL-AMR-0002"],
        )
    assert "another shipment" in str(refused.value)
    assert AuditEvent.objects.filter(verb="serial.collision").count() == 1


def test_a_donor_is_told_its_own_shipment_that_already_carries_the_serial(world, javelins):
    own, _ = _ship(world, javelins, ["J-1"], donor="DE")
    second = make_shipment(world, category=javelins, quantity=1, donor="DE")
    result = ingest(
        world,
        [event(second, S.READY, timezone.now(), serials=["J-1"])],
        role=Role.DONOR_LIAISON,
    )
    assert f"already recorded on {own.reference}" in result.rejected[0].error


def test_a_wrong_serial_names_its_shipment_only_to_who_may_see_it(world, javelins, client_for):
    polish, _ = _ship(world, javelins, ["PL-AMR-0002"], donor="PL")
    german, at = _ship(world, javelins, ["J-1"], donor="DE")
    ingest(
        world,
        [event(german, S.AT_HUB, at + dt.timedelta(hours=9), serials=["PL-AMR-0002"], quantity=1)],
    )
    wrong = Discrepancy.objects.get(kind=Kind.WRONG_SERIAL)
    assert wrong.other_shipment == polish
    assert polish.reference not in wrong.description
    url = f"/logistics/shipments/{german.pk}/"
    donor_page = client_for(world.users[Role.DONOR_LIAISON]).get(url).content.decode()
    assert "PL-AMR-0002" in donor_page and "another shipment" in donor_page
    assert polish.reference not in donor_page
    cell_page = client_for(world.users[Role.COORDINATOR]).get(url).content.decode()
    assert polish.reference in cell_page
