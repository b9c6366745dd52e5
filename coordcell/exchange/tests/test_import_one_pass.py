"""Validation in one pass: every problem of every row at once, and plausibility warnings (a year
far ahead or outside the file's period, years drag-filled row by row) that a commit waits for."""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command

from coordcell.audit.models import AuditEvent
from coordcell.exchange.engine import run_import
from coordcell.exchange.specs import PLEDGES, REQUIREMENTS
from coordcell.pledges.models import Pledge
from coordcell.registry.models import Role
from coordcell.requirements.models import Requirement

from .conftest import write_xlsx

pytestmark = pytest.mark.django_db

HEADERS = ["Donor", "Our ref", "Item", "Qty", "Available", "Depot"]
YEAR = dt.date.today().year + 1


def _row(ref, year=YEAR, **changes):
    row = {"donor": "DE", "ref": ref, "item": "ammo-155", "qty": 5, "date": f"{year}-06-01"}
    row.update(changes)
    return [row["donor"], row["ref"], row["item"], row["qty"], row["date"], "depot-de"]


def test_a_row_reports_all_its_problems_at_once(world, tmp_path):
    path = write_xlsx(
        tmp_path / "p.xlsx",
        [_row("DE-1"), _row("DE-1", year=2922, item="shells", qty=0)],
        HEADERS,
    )
    report = run_import(spec=PLEDGES, path=path, user=world.users[Role.COORDINATOR])
    found = {(e.column, e.rule) for e in report.errors if e.row == 3}
    # The unknown item no longer hides the duplicate key, the quantity and the year.
    assert found == {
        ("Item", "unknown category"),
        ("Our ref", "duplicate"),
        ("Qty", "model"),
        ("Available", "model"),
    }
    assert any("five years ahead" in e.message for e in report.errors)
    # The year is an error already: not a warning as well.
    assert report.warnings == []


def _drag_filled_file(tmp_path):
    """Twelve rows of next year, but rows 8-10 count up (a drag fill) and row 13 is a typo three
    years on, which the "five years ahead" rule lets through."""
    years = [YEAR] * 6 + [YEAR, YEAR + 1, YEAR + 2] + [YEAR] * 2 + [YEAR + 3]
    rows = [_row(f"DE-{i}", year=y) for i, y in enumerate(years, start=1)]
    return write_xlsx(tmp_path / "drag.xlsx", rows, HEADERS)


def test_drag_filled_years_and_a_year_outside_the_period_are_warned(world, tmp_path):
    report = run_import(
        spec=PLEDGES, path=_drag_filled_file(tmp_path), user=world.users[Role.COORDINATOR]
    )
    assert report.errors == []
    found = {(w.row, w.rule) for w in report.warnings}
    assert found == {(9, "drag fill"), (10, "drag fill"), (13, "outside the period")}
    drag = next(w for w in report.warnings if w.row == 9)
    assert "Rows 8–10 count up one year a row" in drag.message
    assert "3 warnings" in report.summary()


def test_a_commit_waits_until_the_warnings_are_acknowledged(world, tmp_path):
    path = _drag_filled_file(tmp_path)
    user = world.users[Role.COORDINATOR]
    refused = run_import(spec=PLEDGES, path=path, user=user, commit=True)
    assert not refused.committed and refused.unacknowledged
    assert "acknowledge" in refused.summary() and "--accept-warnings" in refused.summary()
    assert not Pledge.objects.exists() and not AuditEvent.objects.exists()
    # Acknowledging other warnings than the file's is not acknowledging these.
    other = run_import(spec=PLEDGES, path=path, user=user, commit=True, accept_warnings="x")
    assert not other.committed
    dry = run_import(spec=PLEDGES, path=path, user=user)
    done = run_import(
        spec=PLEDGES, path=path, user=user, commit=True, accept_warnings=dry.warning_fingerprint
    )
    assert done.committed and Pledge.objects.count() == 12


def test_a_year_far_ahead_is_warned_where_no_rule_refuses_it(world, tmp_path):
    path = write_xlsx(
        tmp_path / "needs.xlsx",
        [["R-1", "sp-arty", "ammo-155", 10, "2922-03-01", "dp-lviv", 1]],
        ["Reference", "Capability", "Item", "Qty", "Need by", "Delivery point", "Priority"],
    )
    report = run_import(
        spec=REQUIREMENTS, path=path, user=world.users[Role.COORDINATOR], commit=True
    )
    assert not report.fatal and report.errors == []
    assert [w.rule for w in report.warnings] == ["year far ahead"]
    assert "2922" in report.warnings[0].message
    assert not report.committed and not Requirement.objects.exists()


def test_the_errors_csv_holds_every_error_and_warning(world, tmp_path):
    path = _drag_filled_file(tmp_path)
    report = run_import(spec=PLEDGES, path=path, user=world.users[Role.COORDINATOR])
    lines = report.errors_csv().decode("utf-8-sig").splitlines()
    assert lines[0] == "row,column,value,rule,message,level"
    assert [line.split(",")[0] for line in lines[1:]] == ["9", "10", "13"]
    assert all(line.endswith(",warning") for line in lines[1:])


def _command(*args):
    out = io.StringIO()
    call_command("import", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_the_command_counts_by_rule_and_says_where_the_rest_are(world, tmp_path):
    rows = [_row(f"DE-{i}", qty=0) for i in range(25)] + [_row("DE-1")]
    path = write_xlsx(tmp_path / "bad.xlsx", rows, HEADERS)
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import", "pledges", str(path), "--dry-run", stdout=out, stderr=io.StringIO())
    text = out.getvalue()
    assert "26 errors by rule: model ×25, duplicate ×1" in text
    assert "… and 6 more: write all of them with --errors FILE.csv" in text
    errors = tmp_path / "errors.csv"
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import",
            "pledges",
            str(path),
            "--errors",
            str(errors),
            stdout=out,
            stderr=io.StringIO(),
        )
    assert f"… and 6 more: all of them are in {errors}" in out.getvalue()
    assert errors.read_text(encoding="utf-8-sig").count("\n") == 27


def test_the_command_commits_warned_rows_only_with_accept_warnings(world, tmp_path):
    path = str(_drag_filled_file(tmp_path))
    with pytest.raises(CommandError, match="acknowledge"):
        _command("pledges", path)
    assert not Pledge.objects.exists()
    out = _command("pledges", path, "--accept-warnings")
    assert "3 warnings by rule: drag fill ×2, outside the period ×1" in out
    assert "Committed" in out and Pledge.objects.count() == 12


def test_a_mapping_file_cannot_hide_the_warnings(world, tmp_path):
    mapping = tmp_path / "map.yaml"
    mapping.write_text(
        "columns: {donor: Donor, donor_reference: Our ref, category: Item, quantity: Qty, "
        "available_from: Available, origin: Depot}\naccept_warnings: true\n"
        "accepted_warnings: anything\n"
    )
    with pytest.raises(CommandError, match="acknowledge"):
        _command("pledges", str(_drag_filled_file(tmp_path)), "--mapping", str(mapping))
    assert not Pledge.objects.exists()


def _warned(years):
    from coordcell.exchange.plausibility import Plausibility

    check = Plausibility({"available_from": "Available"})
    for row, year in enumerate(years, start=2):
        check.add(row, {"available_from": dt.date(year, 5, 1)}, set())
    return [(w.row, w.rule) for w in check.warnings(today=dt.date(2026, 12, 6))]


def test_a_file_that_counts_up_year_by_year_throughout_is_not_a_drag_fill():
    assert _warned(list(range(2027, 2031)) * 3) == []
    assert _warned([2027] * 8 + [2028, 2029]) == [(10, "drag fill"), (11, "drag fill")]


def test_the_period_needs_enough_rows_and_a_far_year_is_named_once():
    assert _warned([2022, 2027]) == []
    assert _warned([2022] * 8 + [2922]) == [(10, "year far ahead")]
    assert _warned([2022, 2023, 2024] * 3 + [2027]) == [(11, "outside the period")]
