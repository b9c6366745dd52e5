"""Dates as a source writes them: a column's own format, its order found from the dates that
read only one way, "until", "by", "~" read as approximate dates and flagged."""

import datetime as dt

import pytest

from coordcell.exchange import normalise as n
from coordcell.exchange.engine import run_import
from coordcell.exchange.mapping import parse_mapping
from coordcell.exchange.specs import PLEDGES
from coordcell.pledges.models import Pledge
from coordcell.registry.models import Role

pytestmark = pytest.mark.django_db

COLUMNS = (
    "columns: {donor: Donor, donor_reference: Ref, category: Item, quantity: Qty, "
    "available_from: Date, origin: Depot}\n"
)


def _csv(tmp_path, dates):
    lines = ["Donor,Ref,Item,Qty,Date,Depot"]
    lines += [f"DE,R{i},ammo-155,1,{d},depot-de" for i, d in enumerate(dates, start=1)]
    path = tmp_path / "dates.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def _import(path, user, extra=""):
    mapping = parse_mapping(COLUMNS + extra, PLEDGES)
    return run_import(spec=PLEDGES, path=path, user=user, mapping=mapping, commit=True)


def _dates():
    return {p.donor_reference: p.available_from for p in Pledge.objects.all()}


def test_a_columns_format_reads_every_date_so(world, tmp_path):
    path = _csv(tmp_path, ["7/1/2022", "by 07/02/2022", "2022-07-03"])
    report = _import(path, world.users[Role.COORDINATOR], "dates: {available_from: m/d/yyyy}\n")
    assert report.committed, report.errors
    assert _dates() == {
        "R1": dt.date(2022, 7, 1),
        "R2": dt.date(2022, 7, 2),
        "R3": dt.date(2022, 7, 3),
    }
    assert [w.row for w in report.warnings] == [3] and not report.notes


def test_a_date_not_in_the_columns_format_is_reported(world, tmp_path):
    path = _csv(tmp_path, ["13/1/2022"])
    report = _import(path, world.users[Role.COORDINATOR], "dates: {available_from: '%m/%d/%Y'}\n")
    assert [e.rule for e in report.errors] == ["date"]
    assert "m/d/yyyy" in report.errors[0].message and not Pledge.objects.exists()


def test_a_day_first_column_stays_day_first(world, tmp_path):
    path = _csv(tmp_path, ["01/03/2022", "25/03/2022"])
    assert _import(path, world.users[Role.COORDINATOR]).committed
    assert _dates()["R1"] == dt.date(2022, 3, 1)


def test_a_column_with_both_orders_reports_the_dates_that_read_either_way(world, tmp_path):
    path = _csv(tmp_path, ["25/03/2022", "03/25/2022", "03/04/2022"])
    report = _import(path, world.users[Role.COORDINATOR])
    assert [(e.row, e.rule) for e in report.errors] == [(4, "ambiguous date")]
    assert "dates:" in report.errors[0].message
    assert any("day first" in note and "month first" in note for note in report.notes)


def test_a_column_that_reads_either_way_throughout_says_how_it_was_read(world, tmp_path):
    path = _csv(tmp_path, ["01/03/2022", "02/03/2022"])
    report = _import(path, world.users[Role.COORDINATOR])
    assert report.committed and _dates()["R1"] == dt.date(2022, 3, 1)
    assert any("read day first" in note and "m/d/yyyy" in note for note in report.notes)


@pytest.mark.parametrize(
    ("raw", "approximate"),
    [
        ("until 7/27/2022", True),
        ("as of 27.7.2022", True),
        ("~2022-07-27", True),
        ("before 27 Jul 2022", True),
        ("27/7/2022", False),
    ],
)
def test_prefixes_make_a_date_approximate(raw, approximate):
    read = n.read_date(raw)
    assert read.date == dt.date(2022, 7, 27) and read.approximate is approximate


def test_the_hint_names_both_orders_and_the_dates_option():
    with pytest.raises(n.Invalid) as error:
        n.read_date("27th of July")
    assert "day first" in str(error.value) and "month first" in str(error.value)
    assert "'dates:'" in str(error.value)
