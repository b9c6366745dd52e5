"""A commit builds loads: one per donor, origin, hub and week with several lines, split where a
transport mode's limits are reached (logistics/loads.py); within a load, one shipment per
delivery point, all carrying the load's reference."""

import datetime as dt

import pytest

from coordcell.logistics.loads import LOAD_LIMITS, ModeLimit, Piece, pack
from coordcell.logistics.models import Leg, Shipment
from coordcell.logistics.services import Item, shipment_create, shipments_create_for_lines
from coordcell.logistics.tests.factories import make_line, make_run
from coordcell.pledges.tests.factories import PledgeFactory
from coordcell.registry.models import Location, Role
from coordcell.registry.tests.factories import ItemCategoryFactory, LocationFactory
from coordcell.requirements.tests.factories import RequirementFactory

MONDAY = dt.date(2027, 1, 4)


def test_a_load_holds_lines_of_several_units_each_bounded_by_itself():
    limit = ModeLimit(max_lines=10, per_unit={"round": 1000, "litre": 500})
    loads = pack([Piece("a", "round", 900), Piece("b", "litre", 500)], limit)
    assert [[p.line for p in load] for load in loads] == [["a", "b"]]


def test_a_load_over_a_units_limit_is_split_and_a_big_line_is_cut():
    limit = ModeLimit(max_lines=10, per_unit={"system": 2})
    loads = pack([Piece("a", "system", 5)], limit)
    assert [[p.quantity for p in load] for load in loads] == [[2], [2], [1]]


def test_a_load_has_at_most_its_modes_lines():
    limit = ModeLimit(max_lines=3)
    loads = pack([Piece(n, "each", 1) for n in range(7)], limit)
    assert [len(load) for load in loads] == [3, 3, 1]


def test_nothing_is_lost_in_packing():
    pieces = [Piece(n, unit, q) for n, (unit, q) in enumerate([("kg", 30_000), ("each", 2_500)])]
    loads = pack(pieces, LOAD_LIMITS["road"])
    carried = {}
    for load in loads:
        for piece in load:
            carried[piece.line] = carried.get(piece.line, 0) + piece.quantity
    assert carried == {0: 30_000, 1: 2_500}


def test_every_mode_has_limits():
    assert set(LOAD_LIMITS) == {m.value for m in Leg.Mode}


@pytest.mark.django_db
def test_a_commit_makes_one_load_with_several_lines(world):
    run = make_run(start=MONDAY)
    diesel = ItemCategoryFactory(code="diesel", name="Diesel", unit="litre", domain="fuel")
    lines = [
        make_line(world, run=run, quantity=100),
        make_line(world, run=run, quantity=20, category=diesel),
        make_line(world, run=run, quantity=30),
    ]
    shipments = shipments_create_for_lines(actor=world.users[Role.COORDINATOR], lines=lines)
    assert len(shipments) == 1
    assert sorted(shipments[0].lines.values_list("quantity", flat=True)) == [20, 30, 100]


@pytest.mark.django_db
def test_a_group_over_the_trucks_limit_travels_as_several_loads(world):
    run = make_run(start=MONDAY)
    tanks = ItemCategoryFactory(code="mbt", name="Main battle tank", unit="system", domain="armour")
    line = make_line(world, run=run, quantity=9, category=tanks)  # road: 4 systems a load
    shipments = shipments_create_for_lines(actor=world.users[Role.COORDINATOR], lines=[line])
    quantities = sorted(
        Shipment.objects.filter(pk__in=[s.pk for s in shipments]).values_list(
            "lines__quantity", flat=True
        )
    )
    assert quantities == [1, 4, 4]
    # Committing again ships nothing twice.
    assert shipments_create_for_lines(actor=world.users[Role.COORDINATOR], lines=[line]) == []


def _kovel(world):
    return LocationFactory(
        code="dp-kovel",
        name="Kovel handover point",
        kind=Location.Kind.DELIVERY_POINT,
        nation=world.nations["UA"],
    )


def _requirement_at(world, point, quantity=50):
    return RequirementFactory(
        category=world.category,
        capability=world.capability,
        delivery_point=point,
        quantity=quantity,
    )


@pytest.mark.django_db
def test_a_load_for_two_delivery_points_is_one_load_of_two_shipments(world):
    run = make_run(start=MONDAY)
    kovel = _kovel(world)
    lines = [
        make_line(world, run=run, quantity=100),
        make_line(world, run=run, quantity=40, requirement=_requirement_at(world, kovel)),
        make_line(world, run=run, quantity=30),
        # another donor's week, and the same donor a week later: loads of their own
        make_line(world, run=run, donor="PL", quantity=10),
        make_line(world, run=run, quantity=5, dispatch_week=1, hub_week=2, arrival_week=2),
    ]
    shipments = shipments_create_for_lines(actor=world.users[Role.COORDINATOR], lines=lines)
    by_load = {}
    for s in Shipment.objects.filter(pk__in=[s.pk for s in shipments]):
        by_load.setdefault(s.load, []).append(s)
    assert len(by_load) == 3 and all(ref.startswith("L-") for ref in by_load)
    (both,) = [group for group in by_load.values() if len(group) == 2]
    assert {s.delivery_point.code for s in both} == {"dp-lviv", "dp-kovel"}
    lviv = next(s for s in both if s.delivery_point.code == "dp-lviv")
    assert sorted(lviv.lines.values_list("quantity", flat=True)) == [30, 100]
    # The shipments of a load leave together: the same first leg.
    first_legs = {
        (leg.mode, leg.planned_departure, leg.planned_arrival)
        for s in both
        for leg in s.legs.filter(sequence=1)
    }
    assert len(first_legs) == 1


@pytest.mark.django_db
def test_the_load_page_shows_its_shipments_and_advances_them_all(world, client_for):
    run = make_run(start=MONDAY)
    kovel = _kovel(world)
    lines = [
        make_line(world, run=run, quantity=100),
        make_line(world, run=run, quantity=40, requirement=_requirement_at(world, kovel)),
    ]
    shipments = shipments_create_for_lines(actor=world.users[Role.COORDINATOR], lines=lines)
    load = shipments[0].load
    url = f"/logistics/shipments/{shipments[1].pk}/load/"  # the load of either shipment
    client = client_for(world.users[Role.COORDINATOR])
    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert all(s.reference in text for s in shipments)
    assert "Lviv handover point" in text and "Kovel handover point" in text
    assert "2 shipments" in text and "2 lines" in text
    # Only the next step every shipment of the load may take is offered.
    offered = [value for value, _label in page.context["bulk"]["form"].fields["status"].choices]
    assert offered == ["ready_at_origin"]
    # The list offers the load, and filters by it.
    listed = client.get(f"/logistics/?load={load}").content.decode()
    assert f'href="/logistics/shipments/{shipments[0].pk}/load/"' in listed
    assert "2 shipments" in listed
    # One post records the next step for every shipment of the load.
    done = client.post(
        "/logistics/shipments/advance/",
        {
            "shipment": [s.pk for s in shipments],
            "bulk-status": "ready_at_origin",
            "next": url,
        },
    )
    assert done.status_code == 302 and done["Location"] == url
    assert set(Shipment.objects.filter(load=load).values_list("status", flat=True)) == {
        "ready_at_origin"
    }
    offered = client.get(url).context["bulk"]["form"].fields["status"].choices
    assert [value for value, _label in offered] == ["departed"]


@pytest.mark.django_db
def test_a_load_is_seen_only_by_those_who_see_its_route(world, client_for):
    run = make_run(start=MONDAY)
    shipments = shipments_create_for_lines(
        actor=world.users[Role.COORDINATOR], lines=[make_line(world, run=run, quantity=10)]
    )
    load = shipments[0].load
    url = f"/logistics/shipments/{shipments[0].pk}/load/"
    for who in (Role.COORDINATOR, Role.AUDITOR, Role.DONOR_LIAISON):  # DE's own load
        assert client_for(world.users[who]).get(url).status_code == 200
    for who in ("donor-pl", Role.RECIPIENT_LIAISON, Role.TRAINING_SITE_OFFICER):
        client = client_for(world.users[who])
        assert client.get(url).status_code == 404
        # and the list neither shows nor filters by it
        listed = client.get(f"/logistics/?load={load}").content.decode()
        plain = client.get("/logistics/").content.decode()
        assert f'href="{url}"' not in listed
        assert listed.count('href="/logistics/shipments/') == plain.count(
            'href="/logistics/shipments/'
        )
    # A shipment made by hand travels in no load.
    by_hand = shipment_create(
        actor=world.users[Role.COORDINATOR],
        hub=world.hub,
        departure=MONDAY,
        items=[
            Item(
                PledgeFactory(
                    donor=world.nations["DE"], origin=world.depots["DE"], category=world.category
                ),
                _requirement_at(world, world.delivery_point),
                3,
            )
        ],
        reason="Urgent resupply",
    )
    assert by_hand.load == ""
    coordinator = client_for(world.users[Role.COORDINATOR])
    assert coordinator.get(f"/logistics/shipments/{by_hand.pk}/load/").status_code == 404


@pytest.mark.django_db
def test_a_load_whose_shipments_are_at_different_steps_says_to_record_each(world, client_for):
    from coordcell.logistics.services import shipment_record_event

    run = make_run(start=MONDAY)
    kovel = _kovel(world)
    coordinator = world.users[Role.COORDINATOR]
    shipments = shipments_create_for_lines(
        actor=coordinator,
        lines=[
            make_line(world, run=run, quantity=100),
            make_line(world, run=run, quantity=40, requirement=_requirement_at(world, kovel)),
        ],
    )
    shipment_record_event(actor=coordinator, shipment=shipments[0], status="ready_at_origin")
    page = client_for(coordinator).get(f"/logistics/shipments/{shipments[0].pk}/load/")
    assert page.context["bulk"] is None
    assert 'id="load-apart"' in page.content.decode()
