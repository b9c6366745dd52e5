"""Lists export as CSV and XLSX: what the user sees, with the page's filters."""

import csv
import io
import subprocess
import sys

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from coordcell.pledges.models import Pledge
from coordcell.pledges.tests.factories import PledgeFactory
from coordcell.registry.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def pledges(world):
    return [
        PledgeFactory(
            donor=world.nations[code],
            origin=world.depots[code],
            category=world.category,
            reference=f"P-00000{i}",
            donor_reference=f"{code}-{i}",
            status=status,
        )
        for i, (code, status) in enumerate(
            [("DE", "offered"), ("DE", "confirmed"), ("PL", "offered")], start=1
        )
    ]


def _csv(response):
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_donor_exports_only_its_own_pledges_with_the_pages_filters(world, pledges, client_for):
    client = client_for(world.users[Role.DONOR_LIAISON])
    rows = _csv(client.get("/export/pledges/?format=csv"))
    assert sorted(r["reference"] for r in rows) == ["P-000001", "P-000002"]
    assert rows[0]["donor"] == "DE" and rows[0]["category"] == "ammo-155"
    offered = _csv(client.get("/export/pledges/?format=csv&status=offered&q=DE"))
    assert [r["reference"] for r in offered] == ["P-000001"]


def test_xlsx_export(world, pledges, client_for):
    response = client_for(world.users[Role.COORDINATOR]).get("/export/pledges/?format=xlsx")
    assert response["Content-Disposition"] == 'attachment; filename="pledges.xlsx"'
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert rows[0][0] == "reference" and len(rows) == 4


@pytest.mark.django_db(transaction=True)  # the file is written by a thread with its own connection
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="nice per thread")
def test_exports_written_at_the_workers_priority_hold_the_same_rows(
    world, pledges, client_for, settings
):
    donor = client_for(world.users[Role.DONOR_LIAISON])
    settings.COORDCELL_WORKER_NICE = 0
    inline = _csv(donor.get("/export/pledges/?format=csv&status=offered"))
    settings.COORDCELL_WORKER_NICE = 5
    threaded = _csv(donor.get("/export/pledges/?format=csv&status=offered"))
    assert threaded == inline and [r["reference"] for r in threaded] == ["P-000001"]
    sheet = load_workbook(
        io.BytesIO(b"".join(donor.get("/export/pledges/?format=xlsx").streaming_content)),
        read_only=True,
    ).worksheets[0]
    assert sorted(r[0] for r in list(sheet.iter_rows(values_only=True))[1:]) == [
        "P-000001",
        "P-000002",
    ]


def test_list_page_links_to_its_export_with_its_filters(world, pledges, client_for):
    page = client_for(world.users[Role.COORDINATOR]).get("/pledges/?status=offered")
    assert b"/export/pledges/?status=offered&amp;format=csv" in page.content


def test_training_site_officer_exports_no_pledges(world, pledges, client_for):
    rows = _csv(client_for(world.users[Role.TRAINING_SITE_OFFICER]).get("/export/pledges/"))
    assert rows == []


def test_spreadsheet_formulas_are_neutralised(world, pledges, client_for):
    Pledge.objects.filter(pk=pledges[0].pk).update(conditions="=HYPERLINK(1)")
    rows = _csv(client_for(world.users[Role.COORDINATOR]).get("/export/pledges/?q=DE-1"))
    assert rows[0]["conditions"] == "'=HYPERLINK(1)"


def test_exported_pledges_import_back_unchanged(world, pledges, client_for, tmp_path):
    from coordcell.exchange.engine import run_import
    from coordcell.exchange.specs import PLEDGES

    response = client_for(world.users[Role.COORDINATOR]).get("/export/pledges/?format=xlsx")
    path = tmp_path / "export.xlsx"
    path.write_bytes(b"".join(response.streaming_content))
    report = run_import(spec=PLEDGES, path=path, user=world.users[Role.COORDINATOR])
    assert (report.unchanged, report.created, report.errors) == (3, 0, [])


def test_export_command(world, pledges, tmp_path):
    out = tmp_path / "offered.csv"
    call_command(
        "export", "pledges", "--filter", "status=offered", "-o", str(out), stderr=io.StringIO()
    )
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert sorted(r["reference"] for r in rows) == ["P-000001", "P-000003"]
    assert sys.executable and subprocess  # the command also runs as `coordcell export`


def test_xlsx_export_keeps_formula_like_text_as_text(world, pledges, client_for):
    Pledge.objects.filter(pk=pledges[0].pk).update(conditions="=HYPERLINK(1)")
    response = client_for(world.users[Role.COORDINATOR]).get("/export/pledges/?format=xlsx&q=DE-1")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    header = [c.value for c in sheet[1]]
    cell = sheet.cell(row=2, column=header.index("conditions") + 1)
    assert (cell.value, cell.data_type) == ("=HYPERLINK(1)", "s")  # text, never run as a formula


@pytest.mark.parametrize("slug", ["pledges", "nations", "categories", "locations", "users"])
def test_reading_plain_values_exports_the_same_cells_as_reading_objects(
    world, pledges, monkeypatch, slug
):
    from coordcell.exchange import export
    from coordcell.registry.tests.factories import LocationFactory

    second_hub = LocationFactory(code="hub-b", name="Hub B", kind="hub", nation=world.nations["PL"])
    pledges[0].allowed_hubs.set([world.hub, second_hub])  # a many-valued column, two codes
    pledges[0].allowed_capabilities.set([world.capability])
    register = export.registers()[slug]
    qs = export.filtered_queryset(register, world.users[Role.COORDINATOR], {})
    from_values = list(export.rows(register, qs))
    monkeypatch.setattr(export, "_value_columns", lambda *_args: None)
    from_objects = list(export.rows(register, qs))
    assert from_values == from_objects
    assert len(from_values) > 1
    if slug == "pledges":
        header = from_values[0]
        first = next(r for r in from_values if r[0] == pledges[0].reference)
        assert ", " in first[header.index("allowed hubs")]
