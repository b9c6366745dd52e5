"""Issue 23, finding 2: exports never carry a formula, and coordcell reads its own exports back.

CSV: a text starting with "=", "+", "-", "@", tab or carriage return gets a leading "'" (a pledge's
conditions, a requirement's justification); numbers stay numbers, a negative one too. XLSX: text
is a string cell, never a formula. The import takes the quote off again: an exported file
imported back stores exactly the texts it was exported from.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook

from coordcell.escaping import FORMULA_TRIGGERS, XLSX_TEXT_MAX
from coordcell.exchange.engine import run_import
from coordcell.exchange.specs import PLEDGES
from coordcell.pledges.models import Pledge
from coordcell.pledges.tests.factories import PledgeFactory
from coordcell.registry.models import Role
from coordcell.registry.tests.factories import ItemCategoryFactory, LocationFactory
from coordcell.requirements.models import Requirement
from coordcell.requirements.tests.factories import RequirementFactory

pytestmark = pytest.mark.django_db

FORMULAS = ["=1+1", "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("http://x")']
# Texts that must come back from an export unchanged. Not tab or carriage return first: the
# import reads every text as one line of single spaces (as the pages' forms store it).
ROUND_TRIP = [
    "=1+1",
    "+1",
    "-2+3",
    "@SUM(A1)",
    '=HYPERLINK("http://x")',
    "'=already quoted",
    "''+twice",
    "'plain quote",
    '"><svg/onload=alert(1)>',
    "<b>&amp; 'single' \"double\"",
    "\u202eevil.exe",
    "Умови: 155-мм снаряди",
]
REFERENCE = "donor's own reference"  # the column's heading in an export
# PostgreSQL stores no NUL (and the forms refuse one): \x01 stands for it here; the escaping
# functions' own tests (tests/test_escaping.py) have \x00.
OTHERS = ["\x01nul", "\x0bvt", "\x1fus", "x" * 100_000, "\u202e=1", "Кирилиця"]


@pytest.fixture
def payload_pledges(world: Any) -> list[Pledge]:
    texts = [*FORMULAS, *OTHERS]
    return [
        PledgeFactory(
            donor=world.nations["DE"],
            origin=world.depots["DE"],
            category=world.category,
            reference=f"P-{i:06d}",
            donor_reference=f"DE-{i}",
            conditions=text,
        )
        for i, text in enumerate(texts, start=1)
    ]


def _export(client: Any, slug: str, fmt: str) -> bytes:
    return b"".join(client.get(f"/export/{slug}/?format={fmt}").streaming_content)


def _csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def _no_formula_in_csv(rows: list[list[str]]) -> None:
    started = [cell for row in rows for cell in row if cell.startswith(FORMULA_TRIGGERS)]
    numbers = [cell for cell in started if _is_number(cell)]
    assert started == numbers, started


def _is_number(cell: str) -> bool:
    try:
        Decimal(cell)
    except ArithmeticError:
        return False
    return True


def test_csv_export_neutralises_every_formula_in_a_pledges_conditions(
    world: Any, payload_pledges: list[Pledge], client_for: Any
) -> None:
    rows = _csv_rows(_export(client_for(world.users[Role.COORDINATOR]), "pledges", "csv"))
    _no_formula_in_csv(rows)
    conditions = {r[rows[0].index(REFERENCE)]: r[rows[0].index("conditions")] for r in rows}
    for i, text in enumerate(FORMULAS, start=1):
        assert conditions[f"DE-{i}"] == "'" + text
    assert conditions[f"DE-{len(FORMULAS) + 4}"] == "x" * 100_000  # long text: whole, as text


def test_csv_export_neutralises_a_requirements_justification(world: Any, client_for: Any) -> None:
    for text in FORMULAS:
        RequirementFactory(capability=world.capability, justification=text)
    rows = _csv_rows(_export(client_for(world.users[Role.COORDINATOR]), "requirements", "csv"))
    _no_formula_in_csv(rows)
    column = rows[0].index("justification")
    assert sorted(r[column] for r in rows[1:]) == sorted("'" + t for t in FORMULAS)
    assert Requirement.objects.count() == len(FORMULAS)


def test_a_negative_number_stays_a_number_in_csv(world: Any, client_for: Any) -> None:
    LocationFactory(code="cape-town", latitude=Decimal("-33.92"), longitude=Decimal("18.42"))
    rows = _csv_rows(_export(client_for(world.users[Role.COORDINATOR]), "locations", "csv"))
    row = next(r for r in rows if r[0] == "cape-town")
    assert Decimal(row[rows[0].index("latitude")]) == Decimal("-33.92")  # not "'-33.92"


def test_xlsx_export_has_no_formula_and_every_text_as_a_string(
    world: Any, payload_pledges: list[Pledge], client_for: Any
) -> None:
    content = _export(client_for(world.users[Role.COORDINATOR]), "pledges", "xlsx")
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    assert not [c.coordinate for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    header = [c.value for c in sheet[1]]
    conditions = {
        row[header.index(REFERENCE)].value: row[header.index("conditions")]
        for row in sheet.iter_rows(min_row=2)
    }
    for i, text in enumerate(FORMULAS, start=1):
        cell = conditions[f"DE-{i}"]
        assert (cell.value, cell.data_type) == (text.replace("\r", "\n"), "s")
    n = len(FORMULAS)
    assert [conditions[f"DE-{n + i}"].value for i in (1, 2, 3)] == ["nul", "vt", "us"]
    assert conditions[f"DE-{n + 4}"].value == "x" * (XLSX_TEXT_MAX - 1) + "…"
    assert conditions[f"DE-{n + 5}"].value == "\u202e=1"
    assert conditions[f"DE-{n + 6}"].value == "Кирилиця"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_exported_payloads_import_back_exactly(
    world: Any, client_for: Any, tmp_path: Any, fmt: str
) -> None:
    # "-" alone: the CSV quotes it ("'-"), so it reads back; an XLSX cell of just "-" reads as
    # missing (the import's rule for a sheet's "-"), and the stored text is left as it is.
    texts = [*ROUND_TRIP, "-"] if fmt == "csv" else ROUND_TRIP
    minus = ItemCategoryFactory(code="-rounds")  # a code the CSV quotes too
    for i, text in enumerate(texts, start=1):
        PledgeFactory(
            donor=world.nations["DE"],
            origin=world.depots["DE"],
            category=minus if i == 1 else world.category,
            reference=f"P-{i:06d}",
            donor_reference=text if text != "-" else "DE-minus",
            conditions=text,
        )
    coordinator = world.users[Role.COORDINATOR]
    path = tmp_path / f"pledges.{fmt}"
    path.write_bytes(_export(client_for(coordinator), "pledges", fmt))
    Pledge.objects.update(conditions="changed since the export")
    report = run_import(spec=PLEDGES, path=path, user=coordinator, commit=True)
    assert (report.errors, report.created, report.updated) == ([], 0, len(texts))
    stored = dict(Pledge.objects.values_list("reference", "conditions"))
    assert [stored[f"P-{i:06d}"] for i in range(1, len(texts) + 1)] == texts
    assert Pledge.objects.get(reference="P-000001").category == minus
    references = set(Pledge.objects.values_list("donor_reference", flat=True))
    assert references == {t if t != "-" else "DE-minus" for t in texts}


def test_an_imports_error_list_and_reject_file_carry_no_formula(world: Any, tmp_path: Any) -> None:
    path = tmp_path / "pledges.csv"
    rows = [
        ["Donor", "Donor reference", "Category", "Quantity", "Available from", "Origin depot"],
        ["DE", "=1+1", "ammo-155", "-2+3", "2027-03-01", "depot-de"],
        ["DE", "DE-ok", "ammo-155", "10", "2027-03-01", "depot-de"],
    ]
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)  # the user's own file, formulas and all
    rejects = io.StringIO()
    report = run_import(
        spec=PLEDGES,
        path=path,
        user=world.users[Role.COORDINATOR],
        commit=True,
        skip_invalid=True,
        rejects=rejects,
    )
    assert report.rejected == 1 and report.created == 1
    errors = _csv_rows(report.errors_csv())
    _no_formula_in_csv(errors)
    assert errors[1][:3] == ["2", "Quantity", "'-2+3"]
    rejected = _csv_rows(rejects.getvalue().encode())
    _no_formula_in_csv(rejected)
    assert rejected[1][:5] == ["2", "DE", "'=1+1", "ammo-155", "'-2+3"]
