"""``coordcell import`` on the command line."""

import io

import pytest
from django.core.management import CommandError, call_command

from coordcell.audit.models import AuditEvent
from coordcell.pledges.models import Pledge

pytestmark = pytest.mark.django_db


def _run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import", *args, stdout=out, stderr=err)
    return out.getvalue()


def test_dry_run_lists_problems_and_writes_nothing(world, messy_xlsx):
    with pytest.raises(CommandError, match="6 rows, 2 valid, 4 rejected"):
        _run("pledges", str(messy_xlsx), "--dry-run")
    assert not Pledge.objects.exists()


def test_skip_invalid_needs_and_writes_a_rejects_file(world, messy_xlsx, tmp_path):
    with pytest.raises(CommandError, match="--rejects"):
        _run("pledges", str(messy_xlsx), "--skip-invalid")
    rejects = tmp_path / "rejects.csv"
    output = _run("pledges", str(messy_xlsx), "--skip-invalid", "--rejects", str(rejects))
    assert "2 created" in output and "unknown category: 'shells'" in output
    assert rejects.read_text().count("\n") == 5
    assert Pledge.objects.count() == 2
    event = AuditEvent.objects.filter(verb="create").first()
    assert event.actor_name.startswith("system:")


def test_mapping_file_and_user(world, messy_xlsx, tmp_path):
    mapping = tmp_path / "map.yaml"
    mapping.write_text(
        "columns:\n  donor: Donor\n  donor_reference: Our ref\n  category: Item\n"
        "  quantity: Qty\n  available_from: Available\n  origin: Depot\n"
        "values:\n  category:\n    shells: ammo-155\n"
    )
    # 'shells' now means ammo-155; row 4 is still rejected for its impossible date.
    with pytest.raises(CommandError, match="4 rejected"):
        _run("pledges", str(messy_xlsx), "--mapping", str(mapping), "--user", "donor-de")
    report = tmp_path / "errors.csv"
    with pytest.raises(CommandError):
        _run("pledges", str(messy_xlsx), "--mapping", str(mapping), "--errors", str(report))
    assert "unknown category" not in report.read_text() and "2027-02-30" in report.read_text()
    bad = tmp_path / "bad.yaml"
    bad.write_text("columns:\n  colour: Donor\n")
    with pytest.raises(CommandError, match="colour"):
        _run("pledges", str(messy_xlsx), "--mapping", str(bad))


def test_clean_file_commits_and_reimport_is_idempotent(world, clean_xlsx):
    assert "2 created" in _run("pledges", str(clean_xlsx))
    assert "2 unchanged (skipped)" in _run("pledges", str(clean_xlsx))
    assert Pledge.objects.count() == 2


def test_it_prints_the_reading_and_the_writing_phase(world, clean_xlsx):
    out, err = io.StringIO(), io.StringIO()
    call_command("import", "pledges", str(clean_xlsx), stdout=out, stderr=err)
    lines = err.getvalue().splitlines()
    assert lines[0] == "pledges clean.xlsx: reading and checking (2 rows)"
    assert "pledges clean.xlsx: writing 2 rows in one transaction" in lines
    assert "2 created" in out.getvalue()
