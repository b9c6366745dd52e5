"""Files past the import's limits are refused, with the limit and what to do, before any heavy
work: a workbook that unpacks far (a "zip bomb"), one that declares or has too many rows, a CSV
with too many rows, an upload too large for the page."""

import csv
import io
import re
import time
import zipfile

import pytest
from django.core.management import CommandError, call_command

from coordcell.exchange.engine import run_import
from coordcell.exchange.models import ImportUpload
from coordcell.exchange.specs import PLEDGES
from coordcell.pledges.models import Pledge
from coordcell.registry.models import Role

from .conftest import HEADERS, messy_rows, write_xlsx

pytestmark = pytest.mark.django_db

_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"


def _workbook(path, sheet_rows, *, dimension="", repeat=1):
    """A minimal workbook whose sheet holds ``sheet_rows`` (row XML) ``repeat`` times, streamed
    into the zip: a few hundred KB that unpack to hundreds of MB when ``repeat`` is large."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
            'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
        )
        archive.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{_PKG}"><Relationship Id="r1" Type="{_REL}/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>',
        )
        archive.writestr(
            "xl/workbook.xml",
            f'<workbook {_NS} xmlns:r="{_REL}"><sheets>'
            '<sheet name="Pledges" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<Relationships xmlns="{_PKG}"><Relationship Id="rId1" Type="{_REL}/worksheet" '
            'Target="worksheets/sheet1.xml"/></Relationships>',
        )
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(f"<worksheet {_NS}>{dimension}<sheetData>".encode())
            block = "".join(sheet_rows).encode()
            for _ in range(repeat):
                sheet.write(block)
            sheet.write(b"</sheetData></worksheet>")
    return path


def _row(number, *values):
    cells = "".join(
        f'<c r="{chr(65 + i)}{number}" t="inlineStr"><is><t>{v}</t></is></c>'
        for i, v in enumerate(values)
    )
    return f'<row r="{number}">{cells}</row>'


HEADER_ROW = _row(1, "Donor", "Our ref", "Item", "Qty", "Available", "Depot")


def test_a_zip_bomb_is_refused_before_it_is_unpacked(world, tmp_path):
    # 1.5 million copies of an empty styled row: under 1 MB that unpack to about 120 MB.
    filler = '<row r="2" spans="1:6"><c r="A2" s="1"/><c r="B2" s="1"/><c r="C2" s="1"/></row>'
    bomb = _workbook(tmp_path / "bomb.xlsx", [HEADER_ROW, filler * 100], repeat=15_000)
    assert bomb.stat().st_size < 1_000_000
    assert sum(m.file_size for m in zipfile.ZipFile(bomb).infolist()) > 100 * 2**20
    started = time.monotonic()
    report = run_import(spec=PLEDGES, path=bomb, user=world.users[Role.COORDINATOR])
    assert time.monotonic() - started < 2
    assert report.rows == 0
    assert "unpacks to" in report.fatal and "times its size" in report.fatal
    assert "COORDCELL_IMPORT_MAX_RATIO" in report.fatal and "save it as .csv" in report.fatal


def test_a_workbook_that_unpacks_past_the_limit_is_refused(world, tmp_path, settings):
    settings.COORDCELL_IMPORT_MAX_UNPACKED_BYTES = 2 * 2**20
    rows = [HEADER_ROW] + [
        _row(n, "DE", f"DE-{n}", "ammo-155", 5, "2027-03-01", "depot-de") for n in range(2, 20_000)
    ]
    path = _workbook(tmp_path / "big.xlsx", rows)
    report = run_import(spec=PLEDGES, path=path, user=world.users[Role.COORDINATOR])
    assert report.rows == 0
    assert re.search(r"unpacks to \d MiB; a workbook may unpack to at most 2 MiB", report.fatal)


def test_a_declared_million_rows_are_refused_before_reading(world, tmp_path):
    path = _workbook(
        tmp_path / "formatted.xlsx",
        [HEADER_ROW, _row(2, "DE", "DE-1", "ammo-155", 5, "2027-03-01", "depot-de")],
        dimension='<dimension ref="A1:XFD1048576"/>',
    )
    report = run_import(spec=PLEDGES, path=path, user=world.users[Role.COORDINATOR], commit=True)
    assert report.rows == 0 and not Pledge.objects.exists()
    assert "declares 1,048,575 rows" in report.fatal and "at most 100,000" in report.fatal
    assert "delete the empty rows" in report.fatal


def test_more_rows_than_the_limit_are_refused_while_reading(world, tmp_path, settings):
    settings.COORDCELL_IMPORT_MAX_ROWS = 5
    # Declares no dimension: the rows are counted as they are read, and nothing is written.
    rows = [HEADER_ROW] + [
        _row(n, "DE", f"DE-{n}", "ammo-155", 5, "2027-03-01", "depot-de") for n in range(2, 9)
    ]
    path = _workbook(tmp_path / "seven.xlsx", rows)
    report = run_import(spec=PLEDGES, path=path, user=world.users[Role.COORDINATOR], commit=True)
    assert "has more than 5 rows" in report.fatal and "Split it" in report.fatal
    assert not report.committed and not Pledge.objects.exists()


def _csv(path, rows):
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["Donor", "Donor reference", "Category", "Quantity", "Available from", "Origin"]
        )
        for i in range(rows):
            writer.writerow(["DE", f"DE-{i}", "ammo-155", 5, "2027-03-01", "depot-de"])
    return path


def test_an_oversized_csv_is_counted_and_refused_before_any_row_is_checked(world, tmp_path):
    path = _csv(tmp_path / "big.csv", 100_001)  # one more than the default limit
    started = time.monotonic()
    report = run_import(spec=PLEDGES, path=path, user=world.users[Role.COORDINATOR])
    assert time.monotonic() - started < 10  # counting, not checking: the checks take minutes
    assert report.rows == 0
    assert report.fatal.startswith("big.csv has more than 100,000 rows")
    assert "one import takes at most 100,000 rows (COORDCELL_IMPORT_MAX_ROWS)" in report.fatal


def test_the_command_refuses_an_oversized_file_with_the_limit(world, tmp_path, settings):
    settings.COORDCELL_IMPORT_MAX_ROWS = 10
    path = _csv(tmp_path / "eleven.csv", 11)
    with pytest.raises(CommandError, match="at most 10 rows"):
        call_command("import", "pledges", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    assert not Pledge.objects.exists()


def test_the_page_refuses_a_bomb_at_upload(world, client_for, tmp_path, settings):
    settings.COORDCELL_IMPORT_DIR = tmp_path / "uploads"
    filler = '<row r="2"><c r="A2" s="1"/><c r="B2" s="1"/></row>' * 100
    bomb = _workbook(tmp_path / "bomb.xlsx", [HEADER_ROW, filler], repeat=15_000)
    with bomb.open("rb") as handle:
        response = client_for(world.users[Role.COORDINATOR]).post(
            "/import/", {"kind": "pledges", "file": handle}
        )
    assert response.status_code == 200
    assert "times its size" in response.content.decode()
    assert not ImportUpload.objects.exists()
    assert not any((tmp_path / "uploads").iterdir())


def test_the_page_refuses_an_upload_past_its_size(world, client_for, tmp_path, settings):
    settings.COORDCELL_IMPORT_DIR = tmp_path / "uploads"
    settings.COORDCELL_IMPORT_MAX_BYTES = 4096
    path = write_xlsx(tmp_path / "pledges.xlsx", messy_rows() * 20, HEADERS)
    with path.open("rb") as handle:
        response = client_for(world.users[Role.COORDINATOR]).post(
            "/import/", {"kind": "pledges", "file": handle}
        )
    assert "the page takes up to 4.0\xa0KB" in response.content.decode()
    assert not ImportUpload.objects.exists()
