"""A mapping's ``values:`` apply to every kind of field, missing markers included; a column is
named by its letter even right of the last header; a sheet that is not there is named."""

import datetime as dt

import pytest

from coordcell.exchange.engine import run_import
from coordcell.exchange.mapping import parse_mapping
from coordcell.exchange.specs import PLEDGES
from coordcell.pledges.models import Pledge
from coordcell.registry.models import Role

from .tracker import MAPPING, write_tracker

pytestmark = pytest.mark.django_db

MAP = """\
columns: {donor: Donor, donor_reference: Ref, category: Item, quantity: Qty,
          available_from: Date, origin: Depot, status: State, conditions: column H}
values:
  donor: {Czech Republic: DE}
  category: {shells: ammo-155}
  quantity: {".": "7", undisclosed: "3"}
  available_from: {TBD: "2027-01-01"}
  status: {Pledged: offered}
  conditions: {"n/a": ""}
"""


def test_values_translate_lookups_choices_numbers_dates_and_missing_markers(world, tmp_path):
    path = tmp_path / "values.csv"
    path.write_text(
        "Donor,Ref,Item,Qty,Date,Depot,State\n"
        "Czech Republic,V1,shells,.,TBD,depot-de,Pledged,n/a\n"
        "DE,V2,ammo-155,undisclosed,2027-02-01,depot-de,offered,keep dry\n"
    )
    report = run_import(
        spec=PLEDGES,
        path=path,
        user=world.users[Role.COORDINATOR],
        mapping=parse_mapping(MAP, PLEDGES),
        commit=True,
    )
    assert report.committed, report.errors or report.fatal
    first, second = Pledge.objects.order_by("donor_reference")
    assert (first.donor.code, first.category.code, first.quantity) == ("DE", "ammo-155", 7)
    assert (first.available_from, first.status, first.conditions) == (
        dt.date(2027, 1, 1),
        "offered",
        "",
    )
    assert (second.quantity, second.conditions) == (3, "keep dry")  # column H: no header


def test_a_sheet_the_workbook_lacks_is_named_with_the_sheets_it_has(world, tmp_path):
    path = write_tracker(tmp_path / "tracker.xlsx")
    report = run_import(
        spec=PLEDGES,
        path=path,
        user=world.users[Role.COORDINATOR],
        mapping=parse_mapping("sheet: Donations\n" + MAPPING, PLEDGES),
    )
    assert "has no sheet 'Donations'; its sheets are 'ReadMe', 'Data'" in report.fatal
    assert "--sheet" in report.fatal


def test_a_workbook_without_a_readme_reads_its_only_sheet(world, tmp_path):
    path = write_tracker(tmp_path / "tracker.xlsx", readme=False)
    report = run_import(
        spec=PLEDGES,
        path=path,
        user=world.users[Role.COORDINATOR],
        mapping=parse_mapping(MAPPING, PLEDGES),
    )
    assert report.sheet == "Data" and report.created == 3


def test_without_a_mapping_headers_that_do_not_fit_name_the_sheets(world, tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.title = "ReadMe"
    workbook.active.append(["About"])
    workbook.create_sheet("Notes").append(["Remarks", "Author"])
    path = tmp_path / "odd.xlsx"
    workbook.save(path)
    report = run_import(spec=PLEDGES, path=path, user=world.users[Role.COORDINATOR])
    assert report.fatal.startswith("No column gives Donor")
    assert "'ReadMe', 'Notes'" in report.fatal and "--sheet" in report.fatal
