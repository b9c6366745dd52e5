"""The documented loop: import with errors -> rejected rows -> fix them -> import them again with
the same mapping -> every row in, nothing doubled. The rejects file is valid CSV (text with
commas, quotes and line breaks survives) and, for a workbook, XLSX too."""

import csv
import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from coordcell.exchange.engine import run_import
from coordcell.exchange.mapping import propose
from coordcell.exchange.readers import open_table
from coordcell.exchange.rejects import XlsxRejects
from coordcell.exchange.specs import PLEDGES
from coordcell.pledges.models import Pledge
from coordcell.registry.models import Role

from .conftest import write_xlsx

pytestmark = pytest.mark.django_db

HEADERS = ["Donor", "Our ref", "Item", "Qty", "Available", "Depot", "Notes"]
SOON = dt.date.today() + dt.timedelta(days=90)
NOTES = [
    'Spare barrels, "new"\nsecond line',
    "it's the donor's; see annex",
    "plain",
    "a,b,c",
]


def _rows():
    """40 rows: every third has quantity 0, every seventh an unknown item."""
    rows = []
    for i in range(40):
        quantity = 0 if i % 3 == 0 else 5 + i
        item = "shells" if i % 7 == 0 else "ammo-155"
        rows.append(["DE", f"DE-{i}", item, quantity, SOON, "depot-de", NOTES[i % 4]])
    return rows


def _fix(row, headers):
    fixed = dict(zip(headers, row, strict=True))
    if str(fixed["Qty"]) == "0":
        fixed["Qty"] = 3
    if fixed["Item"] == "shells":
        fixed["Item"] = "ammo-155"
    return [fixed[h] for h in headers]


def _stored():
    return {p.donor_reference: (p.quantity, p.conditions) for p in Pledge.objects.all()}


def test_csv_rejects_fixed_import_again_with_the_same_mapping(world, tmp_path):
    source = tmp_path / "pledges.csv"
    with source.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(
            [HEADERS, *[[*r[:4], r[4].isoformat(), *r[5:]] for r in _rows()]]
        )
    user = world.users[Role.COORDINATOR]
    mapping = propose(open_table(source).headers, PLEDGES)
    assert mapping.columns["conditions"] == "Notes"
    rejects = tmp_path / "rejects.csv"
    with rejects.open("w", newline="", encoding="utf-8-sig") as handle:
        first = run_import(
            spec=PLEDGES,
            path=source,
            user=user,
            mapping=mapping,
            commit=True,
            skip_invalid=True,
            rejects=handle,
        )
    assert first.committed and first.rejected == 18 and first.created == 22
    # coordcell reads its own rejects back: one record per rejected row, text intact.
    table = open_table(rejects)
    assert table.headers == ["row", *HEADERS, "errors"]
    read_back = [values for _, values in table.rows()]
    assert len(read_back) == 18
    assert read_back[0][7] == NOTES[0] and "Unknown category 'shells'" in read_back[0][8]
    fixed = tmp_path / "fixed.csv"
    with fixed.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([table.headers, *[_fix(r, table.headers) for r in read_back]])
    second = run_import(spec=PLEDGES, path=fixed, user=user, mapping=mapping, commit=True)
    assert second.committed and (second.created, second.rejected) == (18, 0), second.errors[:3]
    assert second.ignored_columns == ["row", "errors"]
    stored = _stored()
    assert len(stored) == 40 and stored["DE-0"] == (3, 'Spare barrels, "new" second line')
    # Nothing doubled: the whole source and the fixed rows again change nothing.
    again = run_import(spec=PLEDGES, path=fixed, user=user, mapping=mapping, commit=True)
    assert again.committed and (again.created, again.unchanged) == (0, 18)
    assert Pledge.objects.count() == 40


def test_xlsx_rejects_of_a_workbook_import_again(world, tmp_path):
    source = write_xlsx(tmp_path / "pledges.xlsx", _rows(), HEADERS)
    user = world.users[Role.COORDINATOR]
    mapping = propose(open_table(source).headers, PLEDGES)
    target = tmp_path / "rejects.xlsx"
    with target.open("wb") as handle:
        writer = XlsxRejects(handle)
        first = run_import(
            spec=PLEDGES,
            path=source,
            user=user,
            mapping=mapping,
            commit=True,
            skip_invalid=True,
            rejects=io.StringIO(),
            rejects_xlsx=writer,
        )
        writer.close()
    assert first.rejected == 18
    book = load_workbook(target)
    sheet = book.active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == ["row", *HEADERS, "errors"] and len(rows) == 19
    assert isinstance(rows[1][5], dt.datetime)  # a date stays a date cell
    for r, values in enumerate(rows[1:], start=2):
        for c, value in enumerate(_fix(list(values), list(rows[0])), start=1):
            sheet.cell(row=r, column=c, value=value)
    book.save(target)
    second = run_import(spec=PLEDGES, path=target, user=user, mapping=mapping, commit=True)
    assert second.committed and (second.created, second.rejected) == (18, 0)
    assert Pledge.objects.count() == 40
    assert _stored()["DE-0"] == (3, 'Spare barrels, "new" second line')
