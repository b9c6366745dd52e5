"""A tracker's row (committed units, delivered units) imports as a pledge and its delivered
history; committed vs delivered per donor then reproduces the file's own totals, and importing
the file again changes nothing."""

from __future__ import annotations

import csv
import datetime as dt

import pytest

from coordcell.audit.models import AuditEvent
from coordcell.exchange.engine import run_import
from coordcell.exchange.specs import PLEDGES
from coordcell.logistics.ledger import pledge_ledgers
from coordcell.pledges.deliveries import pledge_delivery_save
from coordcell.pledges.models import Pledge, PledgeDelivery
from coordcell.pledges.tests.factories import PledgeFactory
from coordcell.registry.models import Role
from coordcell.reports.delivered import committed_vs_delivered
from coordcell.reports.scope import Scope

pytestmark = pytest.mark.django_db

HEADER = ["Country", "Ref", "Item", "Committed units", "Delivered units", "Depot", "Available"]
TRACKER = [
    ["Germany", "DE-1", "ammo-155", "100", "60", "depot-de", "2026-03-01"],
    ["Germany", "DE-2", "ammo-155", "undisclosed", ".", "depot-de", "2026-04-01"],
    ["Germany", "DE-3", "ammo-155", "50", "0", "depot-de", "2026-05-01"],
    ["Germany", "DE-4", "ammo-155", "20", "20", "depot-de", "2026-06-01"],
    ["Poland", "PL-1", "ammo-155", ".", "10", "depot-pl", "2026-03-15"],
    ["Poland", "PL-2", "ammo-155", "30", "", "depot-pl", "2026-07-01"],
]


def _write(path, rows):
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def _file_totals(rows):
    """What the tracker itself sums per donor: disclosed units, and rows undisclosed."""
    totals: dict[str, list[int]] = {}
    for donor, _ref, _item, committed, delivered, *_rest in rows:
        t = totals.setdefault(donor, [0, 0, 0])
        if committed.isdigit():
            t[0] += int(committed)
        else:
            t[1] += 1
        t[2] += int(delivered) if delivered.isdigit() else 0
    return totals


def test_a_tracker_imports_with_its_delivered_history_and_reproduces_its_totals(world, tmp_path):
    path = _write(tmp_path / "tracker.csv", TRACKER)
    coordinator = world.users[Role.COORDINATOR]
    report = run_import(spec=PLEDGES, path=path, user=coordinator, commit=True)
    assert report.committed and report.created == 6, [e.message for e in report.errors]

    history = {
        d.pledge.donor_reference: (d.quantity, d.approximate)
        for d in PledgeDelivery.objects.select_related("pledge")
    }
    # No entry for "0" or an empty cell; "." is delivered, how many undisclosed.
    assert history == {
        "DE-1": (60, True),
        "DE-2": (None, True),
        "DE-4": (20, True),
        "PL-1": (10, True),
    }
    assert AuditEvent.objects.filter(target_type="pledges.pledgedelivery").count() == 4

    rows = {r.donor: r for r in committed_vs_delivered(coordinator, Scope())}
    for donor, (committed, undisclosed, delivered) in _file_totals(TRACKER).items():
        row = rows[donor]
        assert (row.committed, row.undisclosed, row.delivered) == (
            committed,
            undisclosed,
            delivered,
        ), donor
    assert rows["Germany"].delivered_undisclosed == 1

    # In the ledger: delivered before handover, no longer free to allocate.
    de1 = Pledge.objects.get(donor_reference="DE-1")
    ledger = pledge_ledgers([de1.pk])[de1.pk]
    assert (ledger.delivered_before, ledger.delivered, ledger.free) == (60, 60, 40)
    assert de1.allocated_quantity == 60
    pl1 = Pledge.objects.get(donor_reference="PL-1")
    assert pl1.quantity is None and pl1.allocated_quantity == 10

    # The same file again: nothing changes, nothing is duplicated.
    events = AuditEvent.objects.count()
    again = run_import(spec=PLEDGES, path=path, user=coordinator, commit=True)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 6)
    assert PledgeDelivery.objects.count() == 4 and AuditEvent.objects.count() == events

    # A corrected delivered figure updates the row's entry; 0 removes it.
    corrected = [list(r) for r in TRACKER]
    corrected[0][4] = "70"
    corrected[3][4] = "0"
    entry = PledgeDelivery.objects.get(pledge=de1)
    third = run_import(
        spec=PLEDGES, path=_write(tmp_path / "fixed.csv", corrected), user=coordinator, commit=True
    )
    assert (third.created, third.updated, third.unchanged) == (0, 2, 4)
    entry.refresh_from_db()
    assert entry.quantity == 70 and entry.version == 2
    assert not PledgeDelivery.objects.filter(pledge__donor_reference="DE-4").exists()
    de1.refresh_from_db()
    assert de1.allocated_quantity == 70
    assert not AuditEvent.objects.filter(
        verb="update", target_type="pledges.pledge", target_id=str(de1.pk)
    ).exists()  # the history changed, not the pledge


def test_a_delivery_date_column_is_read_and_a_future_one_is_reported_on_its_row(world, tmp_path):
    header = [*HEADER, "Delivered on"]
    path = tmp_path / "dated.csv"
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerow([*TRACKER[0], "2026-04-02"])
        writer.writerow([*TRACKER[3], "2099-01-01"])
    coordinator = world.users[Role.COORDINATOR]
    report = run_import(spec=PLEDGES, path=path, user=coordinator, commit=True, skip_invalid=True)
    assert report.created == 1 and report.rejected == 1
    (error,) = report.errors
    assert (error.row, error.column) == (3, "Delivered on") and "future" in error.message
    entry = PledgeDelivery.objects.get()
    assert (entry.delivered_on, entry.approximate) == (dt.date(2026, 4, 2), False)


def test_a_donor_reads_only_its_own_nations_totals(world, tmp_path, client_for):
    path = _write(tmp_path / "tracker.csv", TRACKER)
    run_import(spec=PLEDGES, path=path, user=world.users[Role.COORDINATOR], commit=True)
    donor = world.users[Role.DONOR_LIAISON]
    assert [r.donor for r in committed_vs_delivered(donor, Scope())] == ["Germany"]
    body = client_for(donor).get("/reports/").content.decode()
    assert "Committed vs delivered by donor" in body and "Poland" not in body


def test_a_delivery_recorded_by_hand_is_audited_and_counted(world):
    coordinator = world.users[Role.COORDINATOR]
    pledge = PledgeFactory(
        donor=world.nations["DE"], origin=world.depots["DE"], category=world.category, quantity=30
    )
    delivery = pledge_delivery_save(
        actor=coordinator,
        delivery=PledgeDelivery(
            pledge=pledge,
            quantity=12,
            delivered_on=dt.date(2026, 1, 5),
            source="Handover note 2026-01",
        ),
    )
    assert delivery.reference.startswith("PD-")
    assert AuditEvent.objects.filter(target_type="pledges.pledgedelivery", verb="create").exists()
    pledge.refresh_from_db()
    assert pledge.allocated_quantity == 12
    assert pledge_ledgers([pledge.pk])[pledge.pk].free == 18
    other_donor = world.users["donor-pl"]
    with pytest.raises(Exception, match="Only coordinators"):
        pledge_delivery_save(
            actor=other_donor,
            delivery=PledgeDelivery(
                pledge=pledge, quantity=1, delivered_on=delivery.delivered_on, source="x"
            ),
        )


def test_the_briefing_workbook_carries_the_per_donor_table(world, tmp_path, client_for):
    import io

    from openpyxl import load_workbook

    path = _write(tmp_path / "tracker.csv", TRACKER)
    coordinator = world.users[Role.COORDINATOR]
    run_import(spec=PLEDGES, path=path, user=coordinator, commit=True)
    response = client_for(coordinator).get("/reports/briefing.xlsx")
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    sheet = next(ws for ws in book.worksheets if ws.title.startswith("Committed vs delivered"))
    rows = [r for r in sheet.iter_rows(values_only=True) if r and r[0] in ("Germany", "Poland")]
    assert sorted(r[:5] for r in rows) == [
        ("Germany", 170, 80, 4, "1 row undisclosed"),
        ("Poland", 30, 10, 2, "1 row undisclosed"),
    ]


def test_a_donor_records_a_delivery_of_its_own_pledge_on_its_page(world, client_for):
    pledge = PledgeFactory(
        donor=world.nations["DE"], origin=world.depots["DE"], category=world.category, quantity=30
    )
    donor = client_for(world.users[Role.DONOR_LIAISON])
    assert b"/delivered/" in donor.get(f"/pledges/{pledge.pk}/").content
    url = f"/pledges/{pledge.pk}/delivered/"
    bad = donor.post(url, {"quantity": "", "delivered_on": "2026-02-01", "source": "Note"})
    assert bad.status_code == 400 and not PledgeDelivery.objects.exists()
    response = donor.post(
        url,
        {"quantity": "8", "delivered_on": "2026-02-01", "approximate": "on", "source": "Note 7"},
    )
    assert response.status_code == 302
    entry = PledgeDelivery.objects.get()
    assert (entry.quantity, entry.approximate, entry.created_by) == (
        8,
        True,
        world.users[Role.DONOR_LIAISON],
    )
    page = donor.get(f"/pledges/{pledge.pk}/").content.decode()
    assert "Delivered history" in page and "Note 7" in page
    # Another donor's pledge: not found, nothing recorded.
    other = client_for(world.users["donor-pl"])
    assert (
        other.post(url, {"quantity": "1", "delivered_on": "2026-02-01", "source": "x"}).status_code
        == 404
    )
    assert PledgeDelivery.objects.count() == 1
