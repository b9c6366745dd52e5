"""Who is told of what: every role, for every kind. Nothing reaches a role that may not see the
record, and no text names a route or a shipment time to a role that may not read it."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from coordcell.logistics import changes
from coordcell.logistics.derive import refresh_shipments
from coordcell.logistics.models import Discrepancy, Shipment
from coordcell.logistics.tests.factories import make_shipment
from coordcell.notifications import services
from coordcell.notifications.models import Kind
from coordcell.pledges.models import Pledge
from coordcell.pledges.services import pledge_save
from coordcell.pledges.tests.factories import PledgeFactory
from coordcell.registry.models import Location
from coordcell.registry.tests.factories import LocationFactory
from coordcell.training import services as training_services
from coordcell.training.tests.factories import (
    make_cohort,
    make_courses,
    make_session,
    make_site,
    next_monday,
)

from .conftest import inbox, texts_of

pytestmark = pytest.mark.django_db


def told(people, kind):
    """Usernames of those who got a notice of ``kind``."""
    return {name for name, user in vars(people).items() if inbox(user, kind)}


def _date_texts(*days):
    return [d.isoformat() for d in days if d]


# ---- pledges --------------------------------------------------------------------------------


def test_a_slipped_pledge_is_told_to_those_who_see_it_but_not_the_actor(world, people):
    pledge = PledgeFactory(donor=world.nations["DE"], origin=world.depots["DE"], status="offered")
    old = pledge.available_from
    pledge.available_from = old + dt.timedelta(days=21)
    pledge_save(actor=people.donor_de, pledge=pledge)

    # The recipient sees confirmed pledges only; another donor and the site officers none.
    assert told(people, Kind.PLEDGE_SLIPPED) == {"coord", "auditor"}
    [notice] = inbox(people.coord, Kind.PLEDGE_SLIPPED)
    assert pledge.reference in notice.subject
    assert "21 days later" in notice.body
    assert notice.link == f"/pledges/{pledge.pk}/"


def test_the_recipient_hears_of_a_confirmed_pledge_slipping(world, people):
    pledge = PledgeFactory(donor=world.nations["DE"], origin=world.depots["DE"])
    pledge.available_from += dt.timedelta(days=7)
    pledge_save(actor=people.coord, pledge=pledge)

    assert told(people, Kind.PLEDGE_SLIPPED) == {"auditor", "donor_de", "recipient"}
    # Its origin depot is route information the recipient does not read.
    assert world.depots["DE"].name not in texts_of(people.recipient)


def test_an_earlier_date_is_not_a_slip(world, people):
    pledge = PledgeFactory(donor=world.nations["DE"], origin=world.depots["DE"])
    pledge.available_from -= dt.timedelta(days=3)
    pledge_save(actor=people.coord, pledge=pledge)
    assert told(people, Kind.PLEDGE_SLIPPED) == set()


def test_a_withdrawn_confirmed_pledge_is_told_to_the_recipient_without_a_link(world, people):
    pledge = PledgeFactory(donor=world.nations["DE"], origin=world.depots["DE"])
    pledge.status = Pledge.Status.WITHDRAWN
    pledge_save(actor=people.donor_de, pledge=pledge)

    assert told(people, Kind.PLEDGE_WITHDRAWN) == {"coord", "auditor", "recipient"}
    [notice] = inbox(people.recipient, Kind.PLEDGE_WITHDRAWN)
    assert notice.link == ""  # it no longer sees the pledge: no link to a 404
    assert inbox(people.coord, Kind.PLEDGE_WITHDRAWN)[0].link == f"/pledges/{pledge.pk}/"


def test_a_withdrawn_offer_is_not_told_to_the_recipient(world, people):
    pledge = PledgeFactory(donor=world.nations["PL"], origin=world.depots["PL"], status="offered")
    pledge.status = Pledge.Status.WITHDRAWN
    pledge_save(actor=people.coord, pledge=pledge)
    assert told(people, Kind.PLEDGE_WITHDRAWN) == {"auditor", "donor_pl"}


# ---- shipments ------------------------------------------------------------------------------


def test_a_cancelled_shipment_is_told_by_detail_level(world, people):
    shipment = make_shipment(world)
    changes.shipment_cancel(actor=people.coord, shipment=shipment, reason="Truck unavailable")
    shipment.refresh_from_db()

    assert told(people, Kind.SHIPMENT_CANCELLED) == {"auditor", "donor_de", "recipient"}
    full = texts_of(people.donor_de)
    assert world.hub.name in full and shipment.planned_departure.isoformat() in full
    recipient = texts_of(people.recipient)
    assert shipment.reference in recipient and world.delivery_point.name in recipient
    # No route (the hub, the origin) and no time of the shipment for the recipient.
    assert world.hub.name not in recipient
    assert world.depots["DE"].name not in recipient
    for day in _date_texts(
        shipment.planned_departure, shipment.planned_arrival, shipment.eta, shipment.next_due
    ):
        assert day not in recipient


def test_a_shipment_that_becomes_late_is_told_once_to_those_with_full_detail(world, people):
    shipment = make_shipment(world, donor="PL")
    later = shipment.planned_departure + dt.timedelta(days=5)
    refresh_shipments([shipment.pk], today=later)
    refresh_shipments([shipment.pk], today=later + dt.timedelta(days=1))  # still late: no repeat

    assert told(people, Kind.SHIPMENT_LATE) == {"coord", "auditor", "donor_pl"}
    [notice] = inbox(people.donor_pl, Kind.SHIPMENT_LATE)
    assert "5 days behind plan" in notice.body and world.hub.name in notice.body


def test_a_shipment_late_again_after_catching_up_is_told_again(world, people):
    shipment = make_shipment(world)
    refresh_shipments([shipment.pk], today=shipment.planned_departure + dt.timedelta(days=2))
    refresh_shipments([shipment.pk], today=shipment.planned_departure)  # on time again
    refresh_shipments([shipment.pk], today=shipment.planned_departure + dt.timedelta(days=3))
    assert len(inbox(people.coord, Kind.SHIPMENT_LATE)) == 2


# ---- discrepancies ---------------------------------------------------------------------------


def _discrepancy(shipment, *, stage, location, **kw):
    return Discrepancy.objects.create(
        shipment=shipment,
        kind=Discrepancy.Kind.SHORT,
        stage=stage,
        quantity=2,
        location=location,
        recorded_at=timezone.now(),
        due_on=timezone.now().date() + dt.timedelta(days=14),
        **kw,
    )


def test_a_discrepancy_in_transit_is_told_to_the_cell_and_its_donor_only(world, people):
    shipment = make_shipment(world)
    found = _discrepancy(shipment, stage=Shipment.Status.AT_HUB, location=world.hub)
    services.notify_discrepancy_opened(found)

    assert told(people, Kind.DISCREPANCY_OPENED) == {"coord", "auditor", "donor_de"}
    assert world.hub.name in texts_of(people.donor_de)


def test_a_discrepancy_at_handover_reaches_the_recipient_without_the_route(world, people):
    shipment = make_shipment(world)
    at_hub = _discrepancy(shipment, stage=Shipment.Status.HANDED_OVER, location=world.hub)
    services.notify_discrepancy_opened(at_hub, people.recipient)
    at_point = _discrepancy(shipment, stage=Shipment.Status.RECEIVED, location=world.delivery_point)
    services.notify_discrepancy_opened(at_point)

    assert told(people, Kind.DISCREPANCY_OPENED) == {"coord", "auditor", "donor_de", "recipient"}
    recipient = inbox(people.recipient, Kind.DISCREPANCY_OPENED)
    assert len(recipient) == 1  # the first was its own record: not told of it
    assert world.hub.name not in texts_of(people.recipient)
    assert world.delivery_point.name in recipient[0].body


def test_a_recorded_discrepancy_is_told_to_all_but_its_recorder(world, people):
    from coordcell.logistics.discrepancies import discrepancy_record

    shipment = make_shipment(world, donor="PL")
    discrepancy_record(
        actor=people.coord, shipment=shipment, kind="damaged", description="Crate crushed"
    )
    assert told(people, Kind.DISCREPANCY_OPENED) == {"auditor", "donor_pl"}


def test_an_overdue_discrepancy_is_told_like_an_opened_one(world, people):
    shipment = make_shipment(world, donor="PL")
    found = _discrepancy(shipment, stage=Shipment.Status.DEPARTED, location=world.hub)
    services.notify_discrepancy_overdue(found)
    assert told(people, Kind.DISCREPANCY_OVERDUE) == {"coord", "auditor", "donor_pl"}
    assert "overdue" in inbox(people.auditor, Kind.DISCREPANCY_OVERDUE)[0].subject


# ---- hubs -----------------------------------------------------------------------------------


def test_a_capacity_cut_is_told_to_the_cell_only(world, people):
    services.notify_capacity_cut(world.hub, "artillery", ["2027-W05", "2027-W06"], people.coord)
    assert told(people, Kind.CAPACITY_CUT) == {"auditor"}
    services.notify_capacity_cut(world.hub, "artillery", ["2027-W07"])
    assert told(people, Kind.CAPACITY_CUT) == {"auditor", "coord"}
    assert "2027-W07" in inbox(people.coord, Kind.CAPACITY_CUT)[0].body


# ---- training -------------------------------------------------------------------------------


def test_a_cancelled_session_is_told_to_its_site_the_recipient_and_the_cell(world, people):
    op, _mnt = make_courses(world)
    site = make_site(world, "GB", "salisbury-plain", [op])
    make_site(world, "DE", "grafenwoehr", [op])
    session = make_session(op, site, next_monday())
    cohort = make_cohort(world, [op], trainees=6)
    training_services.booking_create(actor=people.coord, cohort=cohort, session=session)
    session.refresh_from_db()
    session.status = session.Status.CANCELLED
    training_services.session_save(actor=people.trainer_gb, session=session)
    training_services.session_save(actor=people.coord, session=session)  # saved again: no repeat

    assert told(people, Kind.SESSION_CANCELLED) == {"coord", "auditor", "recipient"}
    recipient = texts_of(people.recipient)
    assert session.reference in recipient and cohort.reference in recipient
    assert "Salisbury" in recipient


def test_the_site_officer_hears_of_its_own_sites_session_only(world, people):
    op, _mnt = make_courses(world)
    gb = make_site(world, "GB", "salisbury-plain", [op])
    session = make_session(op, gb, next_monday())
    session.status = session.Status.CANCELLED
    training_services.session_save(actor=people.coord, session=session)
    assert told(people, Kind.SESSION_CANCELLED) == {"auditor", "recipient", "trainer_gb"}
    assert not inbox(people.trainer_de)


def test_a_training_site_officer_never_hears_of_a_shipment(world, people):
    shipment = make_shipment(world)
    refresh_shipments([shipment.pk], today=shipment.planned_departure + dt.timedelta(days=4))
    changes.shipment_cancel(actor=people.coord, shipment=shipment, reason="No truck")
    services.notify_discrepancy_opened(
        _discrepancy(shipment, stage=Shipment.Status.RECEIVED, location=world.delivery_point)
    )
    assert inbox(people.trainer_gb) == [] and inbox(people.trainer_de) == []


# ---- readiness ------------------------------------------------------------------------------


def test_readiness_moved_later_is_told_to_those_who_see_the_package(
    world, people, package, django_capture_on_commit_callbacks
):
    # Germany's guns come three weeks later: the package is ready later.
    pledge = package.pledge
    with django_capture_on_commit_callbacks(execute=True):
        pledge.available_from += dt.timedelta(weeks=3)
        pledge_save(actor=people.coord, pledge=pledge)
    package.package.refresh_from_db()

    # Both donors serve the package (committed lines); the British site trains its crew.
    assert told(people, Kind.READINESS_LATER) == {
        "coord",
        "auditor",
        "donor_de",
        "donor_pl",
        "recipient",
        "trainer_gb",
    }
    [notice] = inbox(people.donor_pl, Kind.READINESS_LATER)
    assert package.package.reference in notice.subject
    assert package.package.ready_on.isoformat() in notice.body
    # The cause (Germany's pledge) is not told to the other donor.
    assert pledge.reference not in notice.body


def test_readiness_moved_earlier_is_not_told(world, people, package):
    services.notify_readiness_changes(
        [
            type(
                "Change",
                (),
                {
                    "package": package.package,
                    "before_date": dt.date(2027, 5, 3),
                    "after_date": dt.date(2027, 4, 26),
                },
            )()
        ]
    )
    assert told(people, Kind.READINESS_LATER) == set()


def test_another_nations_liaison_hears_nothing_of_germanys_records(world, people):
    pledge = PledgeFactory(donor=world.nations["DE"], origin=world.depots["DE"])
    pledge.available_from += dt.timedelta(days=7)
    pledge_save(actor=people.coord, pledge=pledge)
    shipment = make_shipment(world)
    refresh_shipments([shipment.pk], today=shipment.planned_departure + dt.timedelta(days=4))
    services.notify_discrepancy_opened(
        _discrepancy(shipment, stage=Shipment.Status.DEPARTED, location=world.hub)
    )
    changes.shipment_cancel(actor=people.coord, shipment=shipment, reason="No truck")
    assert inbox(people.donor_pl) == []
    assert len(inbox(people.donor_de)) == 4


def test_an_inactive_user_is_told_nothing(world, people):
    people.auditor.is_active = False
    people.auditor.save()
    services.notify_capacity_cut(world.hub, "artillery", ["2027-W05"])
    assert inbox(people.auditor) == []
    assert LocationFactory is not None and Location is not None


def test_the_daily_look_tells_of_a_shipment_late_without_any_event(world, people):
    from coordcell.jobs import kinds
    from coordcell.notifications.models import DailyRun

    shipment = make_shipment(world, donor="PL")
    assert inbox(people.donor_pl, Kind.SHIPMENT_LATE) == []
    # Days pass: its planned departure goes by, and no event refreshes it.
    later = dt.datetime.combine(
        shipment.planned_departure + dt.timedelta(days=3), dt.time(1), tzinfo=dt.UTC
    )
    with time_machine.travel(later):
        kinds.run_periodic()
        kinds.run_periodic()  # every worker's sweep: one look a day
        assert services.notify_late_shipments(later.date()) == 0  # told already
    assert told(people, Kind.SHIPMENT_LATE) == {"coord", "auditor", "donor_pl"}
    assert len(inbox(people.coord, Kind.SHIPMENT_LATE)) == 1
    assert DailyRun.objects.filter(what="late", day=later.date()).count() == 1
