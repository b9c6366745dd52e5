"""A donation tracker imported through a mapping file, with no edit to the workbook: the ReadMe
sheet skipped, rows of other kinds left out, the key made of the id and the row's place, a
constant origin, a default status, month-first and "until" dates, two "Quantity" columns."""

import datetime as dt

import pytest

from coordcell.audit.models import AuditEvent
from coordcell.exchange.engine import run_import
from coordcell.exchange.mapping import MappingError, parse_mapping
from coordcell.exchange.specs import PLEDGES
from coordcell.pledges.models import Pledge
from coordcell.registry.models import Role

from .tracker import MAPPING, write_tracker

pytestmark = pytest.mark.django_db


@pytest.fixture
def tracker(tmp_path):
    return write_tracker(tmp_path / "tracker.xlsx")


def _import(path, user, text=MAPPING, **options):
    return run_import(
        spec=PLEDGES, path=path, user=user, mapping=parse_mapping(text, PLEDGES), **options
    )


def test_tracker_imports_its_military_rows_and_reports_the_rest(world, tracker):
    report = _import(tracker, world.users[Role.COORDINATOR], commit=True, skip_invalid=True)
    assert report.sheet == "Data"  # not the ReadMe before it
    assert (report.rows, report.left_out, report.created, report.rejected) == (4, 2, 3, 1)
    assert "2 rows left out by the filter" in report.summary()
    # The rows left out are not errors; the one rejected row says why.
    assert [(e.row, e.column, e.rule) for e in report.errors] == [
        (7, "Quantity (column G)", "required")
    ]
    pledges = {p.donor_reference: p for p in Pledge.objects.all()}
    assert set(pledges) == {"1234/1", "1234/2", "1235/1"}
    first, second, third = pledges["1234/1"], pledges["1234/2"], pledges["1235/1"]
    assert (first.quantity, second.quantity, third.quantity) == (100, 50, 20)  # column G
    assert {p.origin.code for p in pledges.values()} == {"depot-pl"}  # the constant
    assert {p.donor.code for p in pledges.values()} == {"PL"}  # "Republic of Poland" too
    assert (first.status, second.status) == ("confirmed", "offered")  # default, then the cell
    # Month first: the column's 7/27 and 12/25 say so, so 7/1/2022 is 1 July, not 7 January.
    assert first.available_from == dt.date(2022, 7, 27)
    assert second.available_from == dt.date(2022, 7, 1)
    assert third.available_from == dt.date(2022, 12, 25)
    assert [(w.row, w.message) for w in report.warnings] == [
        (2, "read 'until 7/27/2022' as 2022-07-27 (approximate)")
    ]
    assert any("month first" in note for note in report.notes)
    assert AuditEvent.objects.filter(verb="create").count() == 3


def test_reimporting_the_tracker_changes_nothing(world, tracker):
    user = world.users[Role.COORDINATOR]
    _import(tracker, user, commit=True, skip_invalid=True)
    again = _import(tracker, user, commit=True, skip_invalid=True)
    assert (again.created, again.updated, again.unchanged, again.left_out) == (0, 0, 3, 2)
    assert Pledge.objects.count() == 3


def test_a_header_on_two_columns_is_never_chosen_silently(world, tracker):
    report = _import(
        tracker, world.users[Role.COORDINATOR], MAPPING.replace("column G", "Quantity")
    )
    assert "Two columns are headed 'Quantity': G and I; choose one" in report.fatal
    assert "'column G' or 'column I'" in report.fatal
    second = _import(
        tracker, world.users[Role.COORDINATOR], MAPPING.replace("column G", "Quantity#2")
    )
    assert not second.fatal and second.created == 2  # delivered: 90 and 50 (1235 has none)


def test_the_key_may_combine_columns(world, tmp_path):
    rows = [
        [1300, "Poland", "", "Military", "Artillery", "155 mm HE round", 5, "2022-07-01", 0, ""],
        [1300, "Poland", "", "Military", "Artillery", "ammo-155", 6, "2022-07-02", 0, ""],
        [1300, "Poland", "", "Military", "Artillery", "155 mm HE round", 7, "2022-07-03", 0, ""],
    ]
    path = write_tracker(tmp_path / "t.xlsx", rows)
    text = MAPPING.replace("key: {column: ID, occurrence: true}", "key: {columns: [ID, column F]}")
    report = _import(path, world.users[Role.COORDINATOR], text)
    keys = [e.value for e in report.errors]
    assert report.created == 2 and [e.rule for e in report.errors] == ["duplicate"]
    assert keys == ["PL / 1300|155 mm HE round"]


def test_a_generated_key_is_stable(world, tmp_path):
    path = write_tracker(tmp_path / "t.xlsx")
    text = MAPPING.replace("key: {column: ID, occurrence: true}", "key: {generated: true}")
    user = world.users[Role.COORDINATOR]
    first = _import(path, user, text, commit=True, skip_invalid=True)
    again = _import(path, user, text, commit=True, skip_invalid=True)
    assert (first.created, again.created, again.unchanged) == (3, 0, 3)
    assert all(p.donor_reference.startswith("g") for p in Pledge.objects.all())


def test_filter_tests_one_of_and_is_not(world, tracker):
    user = world.users[Role.COORDINATOR]
    one_of = MAPPING.replace("equals: Military", "one_of: [military, Humanitarian]")
    report = _import(tracker, user, one_of)
    assert (report.rows, report.left_out) == (5, 1)
    is_not = MAPPING.replace("equals: Military", "is_not: Financial")
    assert _import(tracker, user, is_not).left_out == 1


def test_a_mapping_names_the_workbooks_sheets_when_its_columns_do_not_fit(world, tracker):
    report = _import(tracker, world.users[Role.COORDINATOR], "sheet: ReadMe\n" + MAPPING)
    assert "the sheet has no column 'Country'" in report.fatal
    assert "'ReadMe', 'Data'" in report.fatal and "--sheet" in report.fatal


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("columns: {origin: Depot}\nconstants: {origin: depot-pl}", "choose one"),
        ("key: {column: ID}\ncolumns: {donor_reference: Ref}", "do not also map it"),
        ("filter: [{column: Type, equals: a, is_not: b}]", "one test of"),
        ("dates: {quantity: m/d/yyyy}", "not a date"),
        ("dates: {available_from: q}", "not a date format"),
        ("default: {status: offered}", "no part default"),
    ],
)
def test_a_wrong_mapping_says_what_is_wrong(text, message):
    with pytest.raises(MappingError, match=message):
        parse_mapping(text, PLEDGES)


def test_a_mapping_keeps_every_part_through_a_round_trip():
    mapping = parse_mapping(MAPPING + "dates: {available_from: m/d/yyyy}\nsheet: Data\n", PLEDGES)
    again = parse_mapping(mapping.dumps(), PLEDGES)
    assert again.as_dict() == mapping.as_dict()
    assert again.key.occurrence and again.constants == {"origin": "depot-pl"}
    assert again.filters[0].values == ["Military"] and again.sheet == "Data"


def test_the_command_line_names_the_sheets_and_sheet_option(world, tracker, tmp_path):
    import io

    from django.core.management import CommandError, call_command

    mapping = tmp_path / "tracker.yaml"
    mapping.write_text(MAPPING)
    out = io.StringIO()
    with pytest.raises(CommandError) as error:
        call_command(
            "import",
            "pledges",
            str(tracker),
            "--mapping",
            str(mapping),
            "--sheet",
            "ReadMe",
            stdout=out,
            stderr=io.StringIO(),
        )
    assert "'ReadMe', 'Data'" in str(error.value) and "--sheet" in str(error.value)
    call_command(
        "import",
        "pledges",
        str(tracker),
        "--mapping",
        str(mapping),
        "--skip-invalid",
        "--rejects",
        str(tmp_path / "r.csv"),
        stdout=out,
        stderr=io.StringIO(),
    )
    text = out.getvalue()
    assert "3 created" in text and "2 rows left out by the filter" in text
    assert "read 'until 7/27/2022' as 2022-07-27 (approximate)" in text
    assert "Read the sheet 'Data'" in text
    rejects = (tmp_path / "r.csv").read_text().splitlines()
    assert len(rejects) == 2 and rejects[1].startswith(
        "7,1237"
    )  # the filter's rows are not rejects


def test_corrected_rejects_come_back_under_the_keys_made_for_them(world, tmp_path):
    import csv
    import io

    from coordcell.exchange.readers import write_csv

    rows = [
        [1400, "Poland", "", "Military", "Artillery", "155 mm HE round", 10, "2022-07-01", 0, ""],
        [1400, "Poland", "", "Military", "Artillery", "155 mm HE round", "", "2022-07-02", 0, ""],
    ]
    path = write_tracker(tmp_path / "t.xlsx", rows)
    # Named, not lettered: a rejects file starts with its "row" column.
    text = MAPPING.replace("column F", "(column F)").replace("column G", "Quantity#1")
    user = world.users[Role.COORDINATOR]
    rejects = io.StringIO()
    first = _import(path, user, text, commit=True, skip_invalid=True, rejects=rejects)
    assert first.created == 1 and first.rejected == 1
    table = list(csv.reader(io.StringIO(rejects.getvalue().lstrip("\ufeff"))))
    assert table[0][-1] == "coordcell key" and table[1][-1] == "1400/2"
    table[1][7] = "12"  # the missing quantity, corrected
    fixed = tmp_path / "fixed.csv"
    fixed.write_bytes(write_csv(table))
    again = _import(fixed, user, text, commit=True)
    # Alone in the file, the row would be 1400/1 and overwrite the first pledge; it is 1400/2.
    assert (again.created, again.updated) == (1, 0), again.errors or again.fatal
    assert dict(Pledge.objects.values_list("donor_reference", "quantity")) == {
        "1400/1": 10,
        "1400/2": 12,
    }
