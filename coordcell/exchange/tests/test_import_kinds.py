"""The other kinds a cell hands over: shipment events (receipts with serials), capability
packages and hub capacities, each through its record's own rules and bulk action."""

import datetime as dt

import pytest
from django.utils import timezone

from coordcell.audit.models import AuditEvent
from coordcell.exchange.engine import run_import
from coordcell.exchange.kinds import (
    COHORTS,
    EVENTS,
    HUB_CAPACITIES,
    PACKAGES,
    SHIPMENTS,
    parse_moment,
    parse_serials,
)
from coordcell.exchange.specs import SPECS
from coordcell.logistics.lifecycle import S
from coordcell.logistics.models import SerialItem, ShipmentEvent
from coordcell.logistics.tests.factories import make_shipment
from coordcell.readiness.models import CapabilityPackage
from coordcell.registry.models import STANDING_FROM, HubCapacity, Role
from coordcell.registry.tests.factories import ItemCategoryFactory

from .conftest import write_xlsx

pytestmark = pytest.mark.django_db

EVENT_HEADERS = [
    "Event id",
    "Shipment",
    "Status",
    "When",
    "Quantity",
    "Serial numbers",
    "Handed over by",
    "Taken over by",
]


def test_the_import_page_and_command_offer_every_kind():
    kinds = {"pledges", "requirements", "locations", "shipments", "events", "packages"}
    assert kinds | {"hub-capacities", "cohorts"} <= set(SPECS)


def test_times_and_serial_lists_are_read_as_a_sheet_writes_them():
    utc = dt.UTC
    assert parse_moment("2027-01-04T08:30:00Z") == dt.datetime(2027, 1, 4, 8, 30, tzinfo=utc)
    assert parse_moment("04.01.2027 08:30") == dt.datetime(2027, 1, 4, 8, 30, tzinfo=utc)
    assert parse_moment(dt.date(2027, 1, 4)) == dt.datetime(2027, 1, 4, tzinfo=utc)
    assert parse_serials("A-1, A-2;A-3\nA-4") == ["A-1", "A-2", "A-3", "A-4"]


def _journey(shipment, at, serials):
    text = ", ".join(serials)
    signed = ["Sgt. Weber", "Capt. Shevchenko"]
    rows = [
        (S.READY, None, text, "", ""),
        (S.DEPARTED, None, "", "", ""),
        (S.AT_HUB, None, text, "", ""),
        (S.DEPARTED_HUB, None, "", "", ""),
        (S.HANDED_OVER, len(serials), text, *signed),
        (S.RECEIVED, len(serials), text, *signed),
    ]
    return [
        [f"EV-{i}", shipment.reference, str(status.label), at + dt.timedelta(hours=i), qty, s, h, t]
        for i, (status, qty, s, h, t) in enumerate(rows, 1)
    ]


def test_a_shipments_journey_and_its_receipt_with_serials_import_once(world, tmp_path):
    javelins = ItemCategoryFactory(
        code="atgm", name="Anti-tank missile", sensitive=True, unit="each", domain="armour"
    )
    shipment = make_shipment(world, category=javelins, quantity=3)
    at = (timezone.now() - dt.timedelta(days=5)).replace(microsecond=0, tzinfo=None)
    rows = _journey(shipment, at, ["J1", "J2", "J3"])
    user = world.users[Role.COORDINATOR]
    path = write_xlsx(tmp_path / "events.xlsx", rows[:5], EVENT_HEADERS)
    report = run_import(spec=EVENTS, path=path, user=user, commit=True)
    assert report.committed and report.created == 5, report.errors
    # The receipt is the recipient's to confirm: its own file, its own id space.
    receipts = write_xlsx(tmp_path / "receipts.xlsx", rows[5:], EVENT_HEADERS)
    recipient = world.users[Role.RECIPIENT_LIAISON]
    assert run_import(spec=EVENTS, path=receipts, user=recipient, commit=True).created == 1
    shipment.refresh_from_db()
    assert shipment.status == S.RECEIVED
    received = SerialItem.objects.filter(received_at__isnull=False)
    assert sorted(received.values_list("serial", flat=True)) == ["J1", "J2", "J3"]
    assert AuditEvent.objects.filter(verb="shipment.event").count() == 6
    events = ShipmentEvent.objects.count()
    again = run_import(spec=EVENTS, path=path, user=user, commit=True)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5), again.errors
    assert ShipmentEvent.objects.count() == events
    refused = run_import(spec=EVENTS, path=receipts, user=user)
    assert "cannot record 'received'" in refused.errors[0].message


def test_an_event_id_used_for_another_event_is_refused_with_its_row(world, tmp_path):
    shipment = make_shipment(world)
    at = (timezone.now() - dt.timedelta(days=2)).replace(microsecond=0, tzinfo=None)
    first = write_xlsx(
        tmp_path / "a.xlsx", [["EV-1", shipment.reference, "departed", at]], EVENT_HEADERS[:4]
    )
    user = world.users[Role.COORDINATOR]
    assert run_import(spec=EVENTS, path=first, user=user, commit=True).created == 1
    other = write_xlsx(
        tmp_path / "b.xlsx", [["EV-1", shipment.reference, "at hub", at]], EVENT_HEADERS[:4]
    )
    report = run_import(spec=EVENTS, path=other, user=user, commit=True)
    assert not report.committed
    [error] = report.errors
    assert error.row == 2 and "already used for a different event" in error.message


def test_a_donor_cannot_name_another_nations_shipment(world, tmp_path):
    polish = make_shipment(world, donor="PL")
    at = (timezone.now() - dt.timedelta(days=2)).replace(microsecond=0, tzinfo=None)
    path = write_xlsx(
        tmp_path / "a.xlsx", [["EV-9", polish.reference, "departed", at]], EVENT_HEADERS[:4]
    )
    report = run_import(spec=EVENTS, path=path, user=world.users[Role.DONOR_LIAISON], commit=True)
    assert not report.committed
    assert report.errors[0].rule == "unknown shipment"
    assert polish.reference not in report.errors[0].message or "Unknown" in report.errors[0].message
    assert not ShipmentEvent.objects.exists()


def test_capability_packages_are_matched_on_their_capability(world, tmp_path):
    user = world.users[Role.COORDINATOR]
    path = write_xlsx(
        tmp_path / "packages.xlsx",
        [["sp-arty", "Artillery brigade package"]],
        ["Capability", "Name"],
    )
    report = run_import(spec=PACKAGES, path=path, user=user, commit=True)
    assert report.created == 1, report.errors
    package = CapabilityPackage.objects.get()
    assert package.reference.startswith("CP-") and package.name == "Artillery brigade package"
    assert run_import(spec=PACKAGES, path=path, user=user, commit=True).unchanged == 1
    renamed = write_xlsx(
        tmp_path / "renamed.xlsx", [["sp-arty", "2nd artillery package"]], ["Capability", "Name"]
    )
    assert run_import(spec=PACKAGES, path=renamed, user=user, commit=True).updated == 1
    package.refresh_from_db()
    assert (package.name, package.version) == ("2nd artillery package", 2)
    assert AuditEvent.objects.filter(verb="update", target_id=str(package.pk)).exists()
    donor = run_import(spec=PACKAGES, path=path, user=world.users[Role.DONOR_LIAISON])
    assert donor.fatal


def test_hub_capacities_are_matched_on_hub_domain_and_first_week(world, tmp_path):
    user = world.users[Role.COORDINATOR]
    monday = dt.date(2027, 3, 1)
    path = write_xlsx(
        tmp_path / "capacities.xlsx",
        [
            ["rzeszow", "artillery", None, None, 1200, ""],  # the standing figure: changed
            ["rzeszow", "artillery", monday, monday + dt.timedelta(weeks=2), 0, "Runway works"],
            ["rzeszow", "armour", monday + dt.timedelta(days=1), None, 0, ""],
        ],
        ["Hub", "Domain", "From", "Until", "Units per week", "Reason"],
    )
    report = run_import(spec=HUB_CAPACITIES, path=path, user=user, commit=True, skip_invalid=True)
    assert (report.created, report.updated, report.rejected) == (1, 1, 1)
    messages = " ".join(e.message for e in report.errors)
    assert "is not one" in messages and "needs a reason" in messages
    standing = HubCapacity.objects.get(domain="artillery", valid_from=STANDING_FROM)
    assert (standing.weekly_capacity, standing.version) == (1200, 2)
    assert HubCapacity.objects.get(valid_from=monday).reason == "Runway works"
    assert AuditEvent.objects.filter(verb="hub-capacity.create").count() == 1
    assert AuditEvent.objects.filter(verb="hub-capacity.update").count() == 1
    again = run_import(spec=HUB_CAPACITIES, path=path, user=user, commit=True, skip_invalid=True)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


COHORT_HEADERS = ["Cohort", "Unit", "Trainees", "Capability", "Release", "Priority", "Courses"]


def test_cohorts_import_with_their_course_path_and_its_prerequisites(world, tmp_path):
    from coordcell.training.models import Cohort
    from coordcell.training.tests.factories import make_courses

    make_courses(world)
    release = dt.date.today() + dt.timedelta(days=30)
    rows = [
        ["UA-C1", "1st battery", 8, "sp-arty", release, 2, "m109-op, m109-mnt"],
        ["UA-C2", "2nd battery", 8, "sp-arty", release, 2, "m109-mnt → m109-op"],
        ["UA-C3", "3rd battery", 8, "sp-arty", release, 2, "m109-op, m109-gun"],
    ]
    path = write_xlsx(tmp_path / "cohorts.xlsx", rows, COHORT_HEADERS)
    recipient = world.users[Role.RECIPIENT_LIAISON]
    report = run_import(spec=COHORTS, path=path, user=recipient, commit=True, skip_invalid=True)
    assert (report.created, report.rejected) == (1, 2), report.errors
    errors = {e.row: e for e in report.errors}
    assert "m109-mnt needs m109-op before it" in errors[3].message
    assert errors[3].column == "Courses"
    assert "No course with code m109-gun" in errors[4].message
    cohort = Cohort.objects.get(reference="UA-C1")
    assert cohort.path_text() == "m109-op → m109-mnt" and cohort.priority == 2
    assert AuditEvent.objects.filter(verb="create", target_id=str(cohort.pk)).exists()
    again = run_import(spec=COHORTS, path=path, user=recipient, commit=True, skip_invalid=True)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    shorter = write_xlsx(tmp_path / "shorter.xlsx", [[*rows[0][:-1], "m109-op"]], COHORT_HEADERS)
    changed = run_import(spec=COHORTS, path=shorter, user=recipient, commit=True)
    assert changed.updates == [(2, "UA-C1", ["course_path"])]
    cohort.refresh_from_db()
    assert cohort.path_text() == "m109-op" and cohort.version == 2
    donor = run_import(spec=COHORTS, path=path, user=world.users[Role.DONOR_LIAISON])
    assert donor.fatal


def test_the_import_page_offers_each_role_its_kinds_and_commits_events(
    world, client_for, tmp_path, settings, django_capture_on_commit_callbacks
):
    settings.COORDCELL_IMPORT_DIR = tmp_path / "uploads"
    german = make_shipment(world)
    donor = client_for(world.users[Role.DONOR_LIAISON])
    page = donor.get("/import/").content.decode()
    assert 'value="events"' in page and 'value="packages"' not in page
    assert 'value="hub-capacities"' not in page and 'value="cohorts"' not in page
    coordinator_page = client_for(world.users[Role.COORDINATOR]).get("/import/").content.decode()
    assert 'value="hub-capacities"' in coordinator_page and 'value="packages"' in coordinator_page
    at = (timezone.now() - dt.timedelta(days=1)).replace(microsecond=0, tzinfo=None)
    path = write_xlsx(
        tmp_path / "events.xlsx",
        [["DE-EV-1", german.reference, "ready_at_origin", at]],
        EVENT_HEADERS[:4],
    )
    with path.open("rb") as handle:
        uploaded = donor.post("/import/", {"kind": "events", "file": handle})
    assert uploaded.status_code == 302
    url = uploaded["Location"]
    mapping = donor.get(url).content.decode()
    assert '<option value="Event id" selected>' in mapping
    columns = {
        "col:client_id": "Event id",
        "col:shipment": "Shipment",
        "col:status": "Status",
        "col:occurred_at": "When",
    }
    for action in ("check", "commit"):
        with django_capture_on_commit_callbacks(execute=True):
            answer = donor.post(url, {**columns, "action": action})
        assert answer.status_code == 302, answer.content.decode()[:2000]
    assert "Committed" in donor.get(url).content.decode()
    german.refresh_from_db()
    assert german.status == S.READY
    assert ShipmentEvent.objects.get().sender == f"nation:{world.nations['DE'].pk}"


SHIPMENT_HEADERS = ["Shipment", "Pledge", "Requirement", "Quantity", "Hub", "Departure"]


def test_shipments_import_with_their_line_through_the_page_action(world, tmp_path):
    from coordcell.logistics.models import Shipment
    from coordcell.pledges.tests.factories import PledgeFactory
    from coordcell.requirements.tests.factories import RequirementFactory

    pledge = PledgeFactory(
        donor=world.nations["DE"], origin=world.depots["DE"], category=world.category
    )
    requirement = RequirementFactory(
        category=world.category, capability=world.capability, delivery_point=world.delivery_point
    )
    left = dt.date.today() - dt.timedelta(days=20)
    rows = [
        ["UK-2022-15", pledge.reference, requirement.reference, 40, "rzeszow", left],
        ["UK-2022-16", pledge.reference, requirement.reference, 0, "rzeszow", left],
        ["UK-2022-17", pledge.reference, requirement.reference, 5, "dp-lviv", left],
    ]
    path = write_xlsx(tmp_path / "shipments.xlsx", rows, SHIPMENT_HEADERS)
    user = world.users[Role.COORDINATOR]
    report = run_import(spec=SHIPMENTS, path=path, user=user, commit=True, skip_invalid=True)
    assert (report.created, report.rejected) == (1, 2), report.errors
    messages = {e.row: e.message for e in report.errors}
    assert "at least 1" in messages[3] and "is not a hub" in messages[4]
    shipment = Shipment.objects.get(reference="UK-2022-15")
    assert (shipment.donor, shipment.origin) == (pledge.donor, pledge.origin)
    assert shipment.delivery_point == world.delivery_point and shipment.planned_departure == left
    [line] = shipment.lines.all()
    assert (line.pledge, line.requirement, line.quantity) == (pledge, requirement, 40)
    event = AuditEvent.objects.get(verb="shipment.create_by_hand")
    assert event.data["reason"] == "Imported from a spreadsheet"
    again = run_import(spec=SHIPMENTS, path=path, user=user, commit=True, skip_invalid=True)
    assert (again.created, again.unchanged) == (0, 1), again.errors
    more = write_xlsx(tmp_path / "more.xlsx", [[*rows[0][:3], 45, *rows[0][4:]]], SHIPMENT_HEADERS)
    refused = run_import(spec=SHIPMENTS, path=more, user=user, commit=True)
    assert "changed on its page" in refused.errors[0].message
    assert run_import(spec=SHIPMENTS, path=path, user=world.users[Role.DONOR_LIAISON]).fatal


def test_the_command_imports_each_kind_as_the_user_it_names(world, tmp_path):
    import io

    from django.core.management import CommandError, call_command

    path = write_xlsx(
        tmp_path / "packages.xlsx", [["sp-arty", "Artillery package"]], ["Capability", "Name"]
    )
    with pytest.raises(CommandError, match="Your role does not import packages"):
        call_command("import", "packages", str(path), "--user", "donor-de", stdout=io.StringIO())
    out = io.StringIO()
    call_command("import", "packages", str(path), stdout=out, stderr=io.StringIO())
    assert "1 created" in out.getvalue()
    assert CapabilityPackage.objects.get().name == "Artillery package"


def test_checking_events_reads_the_shipments_once_not_per_row(world, tmp_path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    shipments = [make_shipment(world) for _ in range(6)]
    at = (timezone.now() - dt.timedelta(days=1)).replace(microsecond=0, tzinfo=None)
    user = world.users[Role.COORDINATOR]

    def queries(count):
        rows = [[f"EV-{count}-{i}", s.reference, "departed", at] for i, s in enumerate(shipments)]
        path = write_xlsx(tmp_path / f"events-{count}.xlsx", rows[:count], EVENT_HEADERS[:4])
        with CaptureQueriesContext(connection) as captured:
            report = run_import(spec=EVENTS, path=path, user=user)
        assert report.created == count, report.errors
        return len(captured)

    assert queries(6) == queries(2)


def test_past_deliveries_imported_as_shipments_and_events_give_the_sources_totals(world, tmp_path):
    """A tracker's delivered units per donor, imported as shipments and their events (the
    recipient's receipts last), are the pledges' delivered quantities in the ledger."""
    from coordcell.logistics.ledger import pledge_ledgers
    from coordcell.pledges.tests.factories import PledgeFactory
    from coordcell.requirements.tests.factories import RequirementFactory

    requirement = RequirementFactory(
        category=world.category,
        capability=world.capability,
        delivery_point=world.delivery_point,
        quantity=500,
    )
    delivered = {"DE": [30, 12], "PL": [20]}  # the source's rows: donor, units delivered
    pledges = {
        code: PledgeFactory(
            donor=world.nations[code],
            origin=world.depots[code],
            category=world.category,
            quantity=100,
        )
        for code in delivered
    }
    left = dt.date.today() - dt.timedelta(days=30)
    rows = [
        [f"{code}-{n}", pledges[code].reference, requirement.reference, units, "rzeszow", left]
        for code, quantities in delivered.items()
        for n, units in enumerate(quantities, 1)
    ]
    shipments = write_xlsx(tmp_path / "shipments.xlsx", rows, SHIPMENT_HEADERS)
    coordinator = world.users[Role.COORDINATOR]
    report = run_import(spec=SHIPMENTS, path=shipments, user=coordinator, commit=True)
    assert report.created == 3, report.errors
    start = dt.datetime.combine(left, dt.time(8, 0))
    signed = ["Sgt. Weber", "Capt. Shevchenko"]
    steps = [("departed", None, []), ("at hub", None, []), ("departed hub", None, [])]
    journey, receipts = [], []
    for reference, _pledge, _requirement, units, _hub, _left in rows:
        for hours, (status, qty, names) in enumerate([*steps, ("handed over", units, signed)], 1):
            at = start + dt.timedelta(days=hours)
            journey.append([f"{reference}-{hours}", reference, status, at, qty, "", *names])
        at = start + dt.timedelta(days=6)
        receipts.append([f"{reference}-r", reference, "received", at, units, "", *signed])
    path = write_xlsx(tmp_path / "journey.xlsx", journey, EVENT_HEADERS)
    report = run_import(spec=EVENTS, path=path, user=coordinator, commit=True)
    assert report.created == 12, report.errors
    path = write_xlsx(tmp_path / "receipts.xlsx", receipts, EVENT_HEADERS)
    recipient = world.users[Role.RECIPIENT_LIAISON]
    report = run_import(spec=EVENTS, path=path, user=recipient, commit=True)
    assert report.created == 3, report.errors
    ledgers = pledge_ledgers([p.pk for p in pledges.values()])
    totals = {code: ledgers[p.pk].delivered for code, p in pledges.items()}
    assert totals == {code: sum(units) for code, units in delivered.items()} == {"DE": 42, "PL": 20}
