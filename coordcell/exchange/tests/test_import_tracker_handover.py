"""docs/import.md's worked example, as written there: a donation tracker laid out as donor
country, announcement date, type of aid, item type, the item's name in an unnamed column,
committed units and delivered units, behind a ReadMe sheet, imported with the mapping the page
gives; committed vs delivered per donor then reads the tracker's own totals."""

import re
from pathlib import Path

import pytest
from openpyxl import Workbook

from coordcell.audit.models import AuditEvent
from coordcell.exchange.engine import run_import
from coordcell.exchange.mapping import parse_mapping
from coordcell.exchange.specs import PLEDGES
from coordcell.pledges.models import Pledge, PledgeDelivery
from coordcell.registry.models import Role
from coordcell.registry.tests.factories import ItemCategoryFactory
from coordcell.reports.delivered import committed_vs_delivered
from coordcell.reports.scope import Scope

pytestmark = pytest.mark.django_db

DOCS = Path(__file__).resolve().parents[3] / "docs" / "import.md"
HEADERS = [
    "Country",
    "Announcement date",
    "Type of aid",
    "Item type",
    None,
    "Committed units",
    "Delivered units",
]
ROWS = [
    ["Germany", "3/14/2022", "Military", "Artillery", "155 mm HE round", 100, 90],
    ["Germany", "3/14/2022", "Military", "Artillery", "155 mm HE round", 50, 50],
    ["Germany", "3/14/2022", "Humanitarian", "Food", "rations", 1000, 1000],
    [
        "Republic of Poland",
        "until 7/27/2022",
        "Military",
        "Artillery",
        "155 mm HE round",
        "undisclosed",
        ".",
    ],
    ["Poland", "12/25/2022", "Military", "Artillery", "155 mm HE round", ".", 20],
]


def _mapping_from_the_docs():
    text = DOCS.read_text(encoding="utf-8")
    block = re.search(r"<!-- example: tracker-mapping -->\n```yaml\n(.*?)```", text, re.S)
    assert block, "docs/import.md lost its tracker mapping"
    return parse_mapping(block.group(1), PLEDGES)


def _tracker(path):
    workbook = Workbook()
    readme = workbook.active
    readme.title = "ReadMe"
    readme.append(["About this tracker: military, humanitarian and financial aid."])
    data = workbook.create_sheet("Data")
    data.append(HEADERS)
    for row in ROWS:
        data.append(row)
    workbook.save(path)
    return path


def test_the_tracker_of_the_docs_imports_and_reproduces_its_totals(world, tmp_path):
    # The category the docs' mapping names, as the demo scenario has it.
    ItemCategoryFactory(code="ammo-155-m795", name="155 mm HE round M795", domain="artillery")
    coordinator = world.users[Role.COORDINATOR]
    path = _tracker(tmp_path / "tracker.xlsx")
    report = run_import(
        spec=PLEDGES, path=path, user=coordinator, mapping=_mapping_from_the_docs(), commit=True
    )
    assert report.committed, (report.fatal, report.errors)
    assert (report.sheet, report.rows, report.left_out, report.created) == ("Data", 4, 1, 4)
    assert report.errors == []
    assert [w.rule for w in report.warnings] == ["approximate date"]
    pledges = list(Pledge.objects.order_by("donor_reference"))
    assert [p.donor.code for p in pledges] == ["DE", "DE", "PL", "PL"]
    assert [p.quantity for p in pledges] == [100, 50, None, None]
    assert {p.origin.code for p in pledges if p.donor.code == "PL"} == {"depot-pl"}
    assert len({p.donor_reference for p in pledges}) == 4
    assert PledgeDelivery.objects.count() == 4
    # The tracker's own totals, per donor.
    rows = {r.donor: r for r in committed_vs_delivered(coordinator, Scope())}
    germany, poland = rows["Germany"], rows["Poland"]
    assert (germany.committed, germany.undisclosed, germany.delivered) == (150, 0, 140)
    assert (poland.committed, poland.undisclosed, poland.delivered) == (0, 2, 20)
    assert poland.delivered_undisclosed == 1
    # Again: nothing changes, nothing doubles.
    events = AuditEvent.objects.count()
    again = run_import(
        spec=PLEDGES, path=path, user=coordinator, mapping=_mapping_from_the_docs(), commit=True
    )
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
    assert AuditEvent.objects.count() == events and PledgeDelivery.objects.count() == 4
