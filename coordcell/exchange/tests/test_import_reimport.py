"""Importing the same file again does not duplicate: it updates what changed, skips the rest."""

import pytest

from coordcell.audit.models import AuditEvent
from coordcell.exchange.engine import run_import
from coordcell.exchange.specs import LOCATIONS, PLEDGES, REQUIREMENTS
from coordcell.pledges.models import Pledge
from coordcell.registry.models import Location, Role
from coordcell.requirements.models import Requirement

from .conftest import messy_rows, write_xlsx

pytestmark = pytest.mark.django_db


def test_reimport_skips_unchanged_and_updates_changed_rows(world, clean_xlsx, tmp_path):
    user = world.users[Role.COORDINATOR]
    first = run_import(spec=PLEDGES, path=clean_xlsx, user=user, commit=True)
    assert first.committed and first.created == 2
    again = run_import(spec=PLEDGES, path=clean_xlsx, user=user, commit=True)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert Pledge.objects.count() == 2
    changed_row = [*messy_rows()[1][:-1], "Offered"]  # clean_xlsx's second row
    changed_row[3] = 1300
    changed = write_xlsx(tmp_path / "changed.xlsx", [messy_rows()[0], changed_row])
    third = run_import(spec=PLEDGES, path=changed, user=user, commit=True)
    assert (third.created, third.updated, third.unchanged) == (0, 1, 1)
    assert third.updates == [(3, "DE / DE-2", ["quantity"])]
    pledge = Pledge.objects.get(donor_reference="DE-2")
    assert pledge.quantity == 1300 and pledge.version == 2
    update = AuditEvent.objects.get(verb="update")
    assert update.data["changes"] == {"quantity": [1200, 1300], "version": [1, 2]}


def test_requirements_are_matched_on_their_reference(world, tmp_path):
    import datetime as dt

    soon = dt.date.today() + dt.timedelta(days=40)
    path = write_xlsx(
        tmp_path / "needs.xlsx",
        [["UA-REQ-1", "SP-ARTY", "155 mm HE round", 300, soon, "Lviv handover point", "1"]],
        ["Ref", "Capability", "Category", "Qty", "Need by", "Delivery point", "Priority"],
    )
    user = world.users[Role.RECIPIENT_LIAISON]
    assert run_import(spec=REQUIREMENTS, path=path, user=user, commit=True).created == 1
    assert run_import(spec=REQUIREMENTS, path=path, user=user, commit=True).unchanged == 1
    requirement = Requirement.objects.get()
    assert requirement.reference == "UA-REQ-1" and requirement.priority == 1


def test_locations_are_matched_on_their_code(world, tmp_path):
    path = write_xlsx(
        tmp_path / "places.csv.xlsx",
        [
            ["hub-ro", "Suceava hub", "Logistics hub", "GB", "47.6", "26.2", "no"],
            ["rzeszow", "Rzeszów-Jasionka", "hub", "Poland", "50.1", "22.0", "yes"],
        ],
        ["Code", "Name", "Kind", "Nation", "Lat", "Lon", "Main hub"],
    )
    report = run_import(spec=LOCATIONS, path=path, user=world.users[Role.COORDINATOR], commit=True)
    assert (report.created, report.updated) == (1, 1), report.errors
    assert str(Location.objects.get(code="rzeszow").latitude) == "50.10000"
    assert run_import(spec=LOCATIONS, path=path, user=world.users[Role.DONOR_LIAISON]).fatal


def test_csv_files_import_like_workbooks(world, tmp_path):
    path = tmp_path / "pledges.csv"
    path.write_text(
        "Donor;Donor reference;Category;Quantity;Available from;Origin\n"
        "DE;DE-C1;ammo-155;5;31.12.2027;depot-de\n",
        encoding="cp1252",
    )
    report = run_import(spec=PLEDGES, path=path, user=world.users[Role.COORDINATOR], commit=True)
    assert report.committed and report.created == 1, report.errors


def test_an_unchanged_row_whose_need_by_date_has_passed_is_still_unchanged(world, tmp_path):
    """The cell re-imports last month's file: a stored, unchanged requirement is skipped, not
    refused because its need-by date passed since; a row moving it into the past is refused."""
    import datetime as dt

    import time_machine

    soon = dt.date.today() + dt.timedelta(days=10)
    header = ["Ref", "Capability", "Category", "Qty", "Need by", "Delivery point", "Priority"]
    row = ["UA-REQ-1", "SP-ARTY", "155 mm HE round", 300, soon, "Lviv handover point", "1"]
    path = write_xlsx(tmp_path / "needs.xlsx", [row], header)
    coordinator = world.users[Role.COORDINATOR]
    assert run_import(spec=REQUIREMENTS, path=path, user=coordinator, commit=True).created == 1
    with time_machine.travel(soon + dt.timedelta(days=30)):
        again = run_import(spec=REQUIREMENTS, path=path, user=coordinator, commit=True)
        assert (again.unchanged, again.rejected) == (1, 0), again.errors
        later = soon + dt.timedelta(days=5)  # still in the past by then
        changed = write_xlsx(tmp_path / "changed.xlsx", [[*row[:4], later, *row[5:]]], header)
        refused = run_import(spec=REQUIREMENTS, path=changed, user=coordinator, commit=True)
        assert refused.rejected == 1 and refused.errors[0].column == "Need by"
