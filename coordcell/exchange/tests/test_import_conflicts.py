"""Rows are checked with no lock held, then written in one short transaction. What someone else
changed in between (a record created with one of the file's keys, a record the file updates) stops
the import with a message naming the rows: nothing is written, nothing is overwritten."""

import datetime as dt
from decimal import Decimal

import pytest

from coordcell.audit.models import AuditEvent
from coordcell.exchange import engine
from coordcell.exchange.engine import run_import
from coordcell.exchange.specs import LOCATIONS, PLEDGES
from coordcell.pledges.models import Pledge
from coordcell.pledges.services import pledge_save
from coordcell.registry.models import Location, Role

from .conftest import write_xlsx

pytestmark = pytest.mark.django_db

HEADERS = ["Donor", "Our ref", "Item", "Qty", "Available", "Depot"]
SOON = dt.date.today() + dt.timedelta(days=30)


@pytest.fixture
def meanwhile(monkeypatch):
    """Run ``change()`` after the rows were checked and before they are written."""

    def between(change):
        real = engine.apply_staged

        def apply_after_change(*args, **kwargs):
            change()
            return real(*args, **kwargs)

        monkeypatch.setattr(engine, "apply_staged", apply_after_change)

    return between


def _pledge(world, reference, quantity=5):
    return pledge_save(
        actor=world.users[Role.COORDINATOR],
        pledge=Pledge(
            donor=world.nations["DE"],
            donor_reference=reference,
            category=world.category,
            quantity=quantity,
            available_from=SOON,
            origin=world.depots["DE"],
        ),
    )


def test_a_key_created_meanwhile_stops_the_import(world, tmp_path, meanwhile):
    path = write_xlsx(
        tmp_path / "new.xlsx",
        [["DE", f"DE-{i}", "ammo-155", 5, SOON, "depot-de"] for i in range(1, 4)],
        HEADERS,
    )
    meanwhile(lambda: _pledge(world, "DE-2", quantity=99))
    events = AuditEvent.objects.count()
    report = run_import(spec=PLEDGES, path=path, user=world.users[Role.COORDINATOR], commit=True)
    assert not report.committed and report.created == 0
    assert "Nothing was written" in report.fatal
    assert "someone else created 1 record of this file (row 3: DE / DE-2)" in report.fatal
    assert "Run the import again" in report.fatal
    assert list(Pledge.objects.values_list("donor_reference", "quantity")) == [("DE-2", 99)]
    assert AuditEvent.objects.count() == events + 1  # the other user's create only


def test_a_record_changed_meanwhile_is_not_overwritten(world, tmp_path, meanwhile):
    pledge = _pledge(world, "DE-1", quantity=5)
    path = write_xlsx(
        tmp_path / "update.xlsx",
        [
            ["DE", "DE-1", "ammo-155", 50, SOON, "depot-de"],
            ["DE", "DE-9", "ammo-155", 1, SOON, "depot-de"],
        ],
        HEADERS,
    )

    def someone_edits():
        pledge.quantity = 7
        pledge_save(actor=world.users[Role.COORDINATOR], pledge=pledge, expected_version=1)

    meanwhile(someone_edits)
    report = run_import(
        spec=PLEDGES,
        path=path,
        user=world.users[Role.COORDINATOR],
        commit=True,
        skip_invalid=True,
    )
    assert not report.committed
    assert "changed or deleted 1 record of this file (row 2: DE / DE-1)" in report.fatal
    stored = Pledge.objects.get(donor_reference="DE-1")
    assert (stored.quantity, stored.version) == (7, 2)
    assert not Pledge.objects.filter(donor_reference="DE-9").exists()


def test_a_record_without_a_version_is_compared_by_its_values(world, tmp_path, meanwhile):
    depot = world.depots["DE"]
    path = write_xlsx(
        tmp_path / "places.xlsx",
        [[depot.code, "Renamed depot", "depot", "DE", "50.5", "10.5", "no"]],
        ["Code", "Name", "Kind", "Nation", "Lat", "Lon", "Main hub"],
    )
    meanwhile(lambda: Location.objects.filter(pk=depot.pk).update(latitude=Decimal("51")))
    report = run_import(spec=LOCATIONS, path=path, user=world.users[Role.COORDINATOR], commit=True)
    assert "changed or deleted 1 record" in report.fatal
    assert Location.objects.get(pk=depot.pk).name == depot.name


def test_without_changes_meanwhile_the_same_import_commits(world, tmp_path, meanwhile):
    pledge = _pledge(world, "DE-1", quantity=5)
    path = write_xlsx(
        tmp_path / "update.xlsx",
        [
            ["DE", "DE-1", "ammo-155", 50, SOON, "depot-de"],
            ["DE", "DE-9", "ammo-155", 1, SOON, "depot-de"],
        ],
        HEADERS,
    )
    meanwhile(lambda: _pledge(world, "DE-other"))  # another record: no conflict
    report = run_import(spec=PLEDGES, path=path, user=world.users[Role.COORDINATOR], commit=True)
    assert report.committed and (report.created, report.updated) == (1, 1), report.fatal
    pledge.refresh_from_db()
    assert (pledge.quantity, pledge.version) == (50, 2)
