"""Reference data in an import: unknown nations, categories and locations listed once each with
how many rows give them and what they may stand for (ISO names and aliases, close spellings);
mapped to a record of the register, or created within the import, audited like any creation."""

import datetime as dt

import pytest

from coordcell.audit.models import AuditEvent
from coordcell.audit.services import verify
from coordcell.exchange.engine import run_import
from coordcell.exchange.mapping import parse_mapping
from coordcell.exchange.specs import PLEDGES
from coordcell.pledges.models import Pledge
from coordcell.registry.models import ItemCategory, Location, Nation, Role
from coordcell.registry.tests.factories import LocationFactory

from .conftest import write_xlsx

pytestmark = pytest.mark.django_db

HEADERS = ["Donor", "Our ref", "Item", "Qty", "Available", "Depot"]
SOON = dt.date.today() + dt.timedelta(days=60)
COLUMNS = """
columns: {donor: Donor, donor_reference: Our ref, category: Item, quantity: Qty,
          available_from: Available, origin: Depot}
"""


@pytest.fixture
def tracker(world, tmp_path):
    LocationFactory(code="depot-gb", name="GB depot", nation=world.nations["GB"])
    rows = [
        ["Czech Republic", "CZ-1", "Leopard 1A5", 10, SOON, "Depot Brno"],
        ["Czech Republic", "CZ-2", "155mm HE rounds", 500, SOON, "Depot Brno"],
        ["UK", "GB-1", "Leopard 1A5", 5, SOON, "depot-gb"],
        ["Great Britain", "GB-2", "155 mm HE round", 100, SOON, "depot-gb"],
        ["Korea, South", "KR-1", "155 mm HE round", 100, SOON, "Depot Busan"],
    ]
    return write_xlsx(tmp_path / "tracker.xlsx", rows, HEADERS)


def test_unknown_values_are_listed_once_with_their_rows_and_suggestions(world, tracker):
    report = run_import(spec=PLEDGES, path=tracker, user=world.users[Role.COORDINATOR])
    unknown = report.as_dict()["unknown_values"]
    assert unknown["donor"] == {
        "Czech Republic": {"rows": 2, "suggestions": [("CZ", "Czechia (CZ)", "new")]},
        "Great Britain": {
            "rows": 1,
            "suggestions": [("GB", "United Kingdom (GB)", "existing")],
        },
        "Korea, South": {"rows": 1, "suggestions": [("KR", "South Korea (KR)", "new")]},
        "UK": {"rows": 1, "suggestions": [("GB", "United Kingdom (GB)", "existing")]},
    }
    assert unknown["category"]["Leopard 1A5"] == {"rows": 2, "suggestions": []}
    # A close spelling of a register's category.
    assert unknown["category"]["155mm HE rounds"]["suggestions"][0][0] == "ammo-155"
    assert {raw: v["rows"] for raw, v in unknown["origin"].items()} == {
        "Depot Brno": 2,
        "Depot Busan": 1,
    }


def _mapping(extra):
    return parse_mapping(COLUMNS + extra, PLEDGES)


CREATE = """
values:
  donor: {UK: GB, Great Britain: GB}
create:
  donor:
    Czech Republic: {}
    Korea, South: {code: KR, name: South Korea}
  category:
    Leopard 1A5: {domain: armour, unit: system}
    155mm HE rounds: {code: he-155-nato, name: 155mm NATO HE, domain: artillery, unit: round}
  origin:
    Depot Brno: {nation: Czech Republic, latitude: 49.19, longitude: 16.61}
    Depot Busan: {code: busan, nation: KR, latitude: 35.1, longitude: 129.04}
"""


def test_a_dry_run_reads_the_rows_as_if_the_new_records_existed_and_creates_none(world, tracker):
    report = run_import(
        spec=PLEDGES,
        path=tracker,
        user=world.users[Role.COORDINATOR],
        mapping=_mapping(CREATE),
    )
    assert report.errors == [] and report.valid == 5
    assert report.created_references == {
        "donor": {"Czech Republic": "CZ", "Korea, South": "KR"},
        "category": {"Leopard 1A5": "leopard-1a5", "155mm HE rounds": "he-155-nato"},
        "origin": {"Depot Brno": "depot-brno", "Depot Busan": "busan"},
    }
    assert not Nation.objects.filter(code__in=["CZ", "KR"]).exists()
    assert not ItemCategory.objects.filter(code="leopard-1a5").exists()
    assert not AuditEvent.objects.exists()


def test_a_commit_creates_them_audited_in_the_same_transaction(world, tracker):
    report = run_import(
        spec=PLEDGES,
        path=tracker,
        user=world.users[Role.COORDINATOR],
        mapping=_mapping(CREATE),
        commit=True,
    )
    assert report.committed and report.created == 5, report.summary()
    czechia = Nation.objects.get(code="CZ")
    assert czechia.name == "Czechia" and czechia.is_donor
    assert Nation.objects.get(code="KR").name == "South Korea"
    leopard = ItemCategory.objects.get(code="leopard-1a5")
    assert (leopard.name, leopard.domain, leopard.unit) == ("Leopard 1A5", "armour", "system")
    pledges = {p.donor_reference: p for p in Pledge.objects.select_related("donor", "category")}
    assert pledges["CZ-1"].donor == czechia and pledges["CZ-1"].category == leopard
    assert pledges["GB-1"].donor.code == "GB" and pledges["GB-1"].category == leopard
    assert pledges["CZ-2"].category.code == "he-155-nato"
    assert pledges["CZ-2"].origin.code == "depot-brno" and pledges["CZ-2"].origin.nation == czechia
    created = AuditEvent.objects.filter(verb="create")
    assert created.filter(target_type="registry.nation").count() == 2
    assert created.filter(target_type="registry.itemcategory").count() == 2
    assert created.filter(target_type="registry.location").count() == 2
    assert created.filter(target_type="pledges.pledge").count() == 5
    assert verify().ok
    # The file again, its new values now mapped to the records: nothing is created twice.
    again = run_import(
        spec=PLEDGES,
        path=tracker,
        user=world.users[Role.COORDINATOR],
        mapping=parse_mapping(
            COLUMNS
            + "values: {donor: {UK: GB, Great Britain: GB, Czech Republic: CZ, "
            + '"Korea, South": KR}, category: {"155mm HE rounds": he-155-nato}}',
            PLEDGES,
        ),
        commit=True,
    )
    assert again.committed and again.unchanged == 5 and Pledge.objects.count() == 5


def test_a_commit_that_fails_creates_no_reference_data(world, tracker):
    report = run_import(
        spec=PLEDGES,
        path=tracker,
        user=world.users[Role.COORDINATOR],
        mapping=_mapping(CREATE.replace("UK: GB, ", "")),  # "UK" stays unknown
        commit=True,
    )
    assert not report.committed and report.rejected == 1
    assert not Nation.objects.filter(code="CZ").exists()
    assert not ItemCategory.objects.filter(code="leopard-1a5").exists()


def test_only_those_who_keep_reference_data_create_it(world, tracker):
    report = run_import(
        spec=PLEDGES,
        path=tracker,
        user=world.users[Role.DONOR_LIAISON],
        mapping=_mapping("create: {category: {Leopard 1A5: {domain: armour, unit: system}}}"),
    )
    assert "only the cell's coordinators keep reference data" in report.fatal
    assert "category 'Leopard 1A5'" in report.fatal
    assert not ItemCategory.objects.filter(code="leopard-1a5").exists()


def test_a_new_record_breaking_the_register_rules_is_refused_with_what_to_give(world, tracker):
    report = run_import(
        spec=PLEDGES,
        path=tracker,
        user=world.users[Role.COORDINATOR],
        mapping=_mapping(
            "create:\n  category:\n    Leopard 1A5: {domain: land, unit: system}\n"
            "    155mm HE rounds: {code: ammo-155, domain: artillery, unit: round}\n"
            "    Other: {domain: armour}\n"
        ),
    )
    assert "'land' is not one of: air_defence" in report.fatal
    assert "the code 'ammo-155' exists already: map the value to it" in report.fatal
    assert "give its unit" in report.fatal


def test_a_new_location_needs_its_nation_and_place(world, tmp_path):
    path = write_xlsx(
        tmp_path / "p.xlsx", [["DE", "DE-1", "ammo-155", 5, SOON, "Depot Brno"]], HEADERS
    )
    refused = run_import(
        spec=PLEDGES,
        path=path,
        user=world.users[Role.COORDINATOR],
        mapping=parse_mapping(COLUMNS + "create: {origin: {Depot Brno: {nation: DE}}}", PLEDGES),
    )
    assert "create origin 'Depot Brno': give its latitude" in refused.fatal
    mapping = parse_mapping(
        COLUMNS
        + "create:\n  origin:\n    Depot Brno: {nation: DE, latitude: 49.19, longitude: 16.61}\n",
        PLEDGES,
    )
    report = run_import(
        spec=PLEDGES, path=path, user=world.users[Role.COORDINATOR], mapping=mapping, commit=True
    )
    assert report.committed, report.summary()
    depot = Location.objects.get(code="depot-brno")
    assert depot.kind == Location.Kind.DEPOT and depot.nation.code == "DE"
    assert Pledge.objects.get().origin == depot
