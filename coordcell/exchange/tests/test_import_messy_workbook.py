"""A messy workbook: every bad row is reported with a reason, and nothing is committed."""

import io

import pytest

from coordcell.audit.models import AuditEvent
from coordcell.audit.services import verify
from coordcell.exchange.engine import run_import
from coordcell.exchange.specs import PLEDGES
from coordcell.pledges.models import Pledge
from coordcell.registry.models import Role

pytestmark = pytest.mark.django_db


def test_dry_run_reports_every_bad_row_with_column_value_and_rule(world, messy_xlsx):
    report = run_import(spec=PLEDGES, path=messy_xlsx, user=world.users[Role.COORDINATOR])
    found = {(e.row, e.column, e.value, e.rule) for e in report.errors}
    assert found == {
        (4, "Item", "shells", "unknown category"),
        (4, "Available", "2027-02-30", "date"),
        (5, "Our ref", "DE / DE-1", "duplicate"),
        (6, "Our ref", ".", "required"),
        (7, "Qty", "0", "model"),
    }
    assert (report.rows, report.rejected, report.created) == (6, 4, 2)
    assert report.unknown["category"] == {"shells": 1}
    assert report.ignored_columns == ["(column G)"]
    assert not Pledge.objects.exists() and not AuditEvent.objects.exists()
    csv_text = report.errors_csv().decode("utf-8-sig")
    assert csv_text.splitlines()[0] == "row,column,value,rule,message,level"
    assert "2027-02-30" in csv_text


def test_commit_with_a_bad_row_commits_nothing(world, messy_xlsx):
    report = run_import(
        spec=PLEDGES, path=messy_xlsx, user=world.users[Role.COORDINATOR], commit=True
    )
    assert not report.committed
    assert report.created == 0 and len(report.errors) == 5
    assert not Pledge.objects.exists() and not AuditEvent.objects.exists()


def test_skip_invalid_commits_valid_rows_and_writes_rejects(world, messy_xlsx):
    rejects = io.StringIO()
    report = run_import(
        spec=PLEDGES,
        path=messy_xlsx,
        user=world.users[Role.COORDINATOR],
        commit=True,
        skip_invalid=True,
        rejects=rejects,
    )
    assert report.committed and report.created == 2
    pledges = {p.donor_reference: p for p in Pledge.objects.all()}
    assert set(pledges) == {"DE-1", "DE-2"}
    assert pledges["DE-2"].quantity == 1200 and pledges["DE-2"].status == "confirmed"
    assert pledges["DE-1"].status == "offered"  # "." = missing: the default
    assert str(pledges["DE-2"].available_from) == "2027-12-31"
    lines = rejects.getvalue().splitlines()
    assert lines[0].startswith("row,Donor,Our ref")
    assert [line.split(",")[0] for line in lines[1:]] == ["4", "5", "6", "7"]
    assert "is not a date that exists" in lines[1]
    events = AuditEvent.objects.filter(verb="create")
    assert events.count() == 2 and verify().ok


def test_unknown_values_can_be_mapped(world, messy_xlsx):
    from coordcell.exchange.mapping import propose
    from coordcell.exchange.readers import open_table

    mapping = propose(open_table(messy_xlsx).headers, PLEDGES)
    mapping.values["category"] = {"Shells": "ammo-155"}
    report = run_import(
        spec=PLEDGES, path=messy_xlsx, user=world.users[Role.COORDINATOR], mapping=mapping
    )
    assert {e.rule for e in report.errors if e.row == 4} == {"date"}


def test_donor_liaison_imports_only_for_its_own_nation(world, tmp_path):
    from .conftest import write_xlsx

    path = write_xlsx(
        tmp_path / "pl.xlsx",
        [
            ["Poland", "PL-1", "ammo-155", 5, "2027-03-01", "depot-de", None, None],
            ["Germany", "DE-8", "ammo-155", 5, "2027-03-01", "depot-pl", None, None],
            ["Germany", "DE-9", "ammo-155", 5, "2027-03-01", "depot-de", None, None],
        ],
    )
    report = run_import(spec=PLEDGES, path=path, user=world.users[Role.DONOR_LIAISON])
    # Another nation's depot is not among the locations a donor sees: it is unknown. Row 2 names
    # Poland, whose pledge cannot leave a German depot either (the pledge's own rule).
    assert {(e.row, e.column, e.rule) for e in report.errors} == {
        (2, "Donor", "own nation"),
        (2, "Depot", "model"),
        (3, "Depot", "unknown location"),
    }
    assert report.created == 1


def test_roles_that_do_not_pledge_cannot_import_pledges(world, messy_xlsx):
    report = run_import(spec=PLEDGES, path=messy_xlsx, user=world.users[Role.AUDITOR])
    assert report.fatal and report.rows == 0
