"""The import page's unknown values (listed once, suggested, mapped or created on the page) and
its warnings (a commit waits for the box that says they were checked)."""

import datetime as dt
import io
import re

import pytest
from openpyxl import load_workbook

from coordcell.audit.models import AuditEvent
from coordcell.exchange.models import ImportUpload
from coordcell.pledges.models import Pledge
from coordcell.registry.models import ItemCategory, Role

from .conftest import write_xlsx

pytestmark = pytest.mark.django_db

HEADERS = ["Donor", "Our ref", "Item", "Qty", "Available", "Depot"]
COLUMNS = {
    "col:donor": "Donor",
    "col:donor_reference": "Our ref",
    "col:category": "Item",
    "col:quantity": "Qty",
    "col:available_from": "Available",
    "col:origin": "Depot",
}
YEAR = dt.date.today().year + 1


@pytest.fixture
def post(django_capture_on_commit_callbacks):
    def send(client, url, data):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url, data)
        assert response.status_code == 302, response.content.decode()[:2000]
        return client.get(response["Location"])

    return send


def _upload(client, path, settings, tmp_path):
    settings.COORDCELL_IMPORT_DIR = tmp_path / "uploads"
    with path.open("rb") as handle:
        response = client.post("/import/", {"kind": "pledges", "file": handle})
    assert response.status_code == 302
    return response["Location"]


@pytest.fixture
def leopards(tmp_path):
    rows = [
        ["Deutschland", f"DE-{i}", "Leopard 1A5", 2, f"{YEAR}-05-01", "depot-de"] for i in range(3)
    ]
    return write_xlsx(tmp_path / "leopards.xlsx", rows, HEADERS)


def test_a_coordinator_creates_a_category_on_the_page(
    world, client_for, leopards, post, settings, tmp_path
):
    client = client_for(world.users[Role.COORDINATOR])
    url = _upload(client, leopards, settings, tmp_path)
    page = post(client, url, {**COLUMNS, "action": "check"}).content.decode()
    assert "Values the registers do not know" in page
    assert "(3 rows)" in page  # listed once, with how many rows give it
    # An alias of a register's nation is offered chosen; a category can be created.
    donor = re.search(r'<select name="val:donor:Deutschland".*?</select>', page, re.S)[0]
    assert '<option value="DE" selected>' in donor
    category = re.search(r'<select name="val:category:Leopard 1A5".*?</select>', page, re.S)[0]
    assert '<option value="__new__">' in category
    assert 'value="leopard-1a5"' in page  # the new code, proposed from the name
    new = {
        "val:donor:Deutschland": "DE",
        "val:category:Leopard 1A5": "__new__",
        "new:category:0:code": "leopard-1a5",
        "new:category:0:name": "Leopard 1A5",
    }
    # A new category needs its domain and unit: the page says so and keeps what was chosen.
    refused = client.post(url, {**COLUMNS, **new, "action": "check"})
    assert refused.status_code == 200
    assert "Give the new record&#x27;s domain." in refused.content.decode()
    new.update({"new:category:0:domain": "armour", "new:category:0:unit": "system"})
    checked = post(client, url, {**COLUMNS, **new, "action": "check"}).content.decode()
    assert "3 rows, 3 valid, 0 rejected" in checked
    assert not ItemCategory.objects.filter(code="leopard-1a5").exists()
    upload = ImportUpload.objects.get()
    assert upload.mapping["create"] == {
        "category": {
            "Leopard 1A5": {
                "code": "leopard-1a5",
                "name": "Leopard 1A5",
                "domain": "armour",
                "unit": "system",
            }
        }
    }
    assert "create:" in client.get(url + "mapping.yaml").content.decode()
    done = post(client, url, {**COLUMNS, **new, "action": "commit"}).content.decode()
    assert "Committed" in done
    leopard = ItemCategory.objects.get(code="leopard-1a5")
    assert Pledge.objects.filter(category=leopard).count() == 3
    assert AuditEvent.objects.filter(verb="create", target_type="registry.itemcategory").exists()


def test_a_donor_liaison_maps_but_does_not_create(
    world, client_for, leopards, post, settings, tmp_path
):
    client = client_for(world.users[Role.DONOR_LIAISON])
    url = _upload(client, leopards, settings, tmp_path)
    page = post(client, url, {**COLUMNS, "action": "check"}).content.decode()
    assert "val:category:Leopard 1A5" in page and "__new__" not in page
    assert "Only the cell's coordinators create reference data" in page


def test_a_commit_waits_for_the_warnings_to_be_ticked(world, client_for, post, settings, tmp_path):
    years = [YEAR] * 6 + [YEAR, YEAR + 1, YEAR + 2] + [YEAR] * 3
    rows = [["DE", f"DE-{i}", "ammo-155", 5, f"{y}-05-01", "depot-de"] for i, y in enumerate(years)]
    client = client_for(world.users[Role.COORDINATOR])
    url = _upload(client, write_xlsx(tmp_path / "drag.xlsx", rows, HEADERS), settings, tmp_path)
    page = post(client, url, {**COLUMNS, "action": "check"}).content.decode()
    assert "2 warnings" in page and "count up one year a row" in page
    box = re.search(r'name="accept_warnings" value="(\w+)"', page)
    assert box is not None
    refused = post(client, url, {**COLUMNS, "action": "commit"}).content.decode()
    assert "Check the 2 warnings of the dry run" in refused
    assert not Pledge.objects.exists()
    done = post(client, url, {**COLUMNS, "action": "commit", "accept_warnings": box[1]})
    assert "Committed" in done.content.decode() and Pledge.objects.count() == 12
    assert b"drag fill" in client.get(url + "errors.csv").getvalue()


def test_the_rejected_rows_of_a_workbook_download_as_a_workbook(
    world, client_for, messy_xlsx, post, settings, tmp_path
):
    client = client_for(world.users[Role.COORDINATOR])
    url = _upload(client, messy_xlsx, settings, tmp_path)
    post(client, url, {**COLUMNS, "col:status": "Status", "action": "check"})
    done = post(
        client, url, {**COLUMNS, "col:status": "Status", "action": "commit", "skip_invalid": "on"}
    )
    assert "rejects.xlsx" in done.content.decode()
    response = client.get(url + "rejects.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.getvalue())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "row" and rows[0][-1] == "errors"
    assert [r[0] for r in rows[1:]] == [4, 5, 6, 7]


def test_a_coordinator_creates_a_depot_on_the_page_with_its_nation_and_place(
    world, client_for, post, settings, tmp_path
):
    rows = [["DE", f"DE-{i}", "ammo-155", 10, f"{YEAR}-05-01", "Depot Unterlüß"] for i in range(2)]
    path = write_xlsx(tmp_path / "depot.xlsx", rows, HEADERS)
    client = client_for(world.users[Role.COORDINATOR])
    url = _upload(client, path, settings, tmp_path)
    page = post(client, url, {**COLUMNS, "action": "check"}).content.decode()
    depot = re.search(r'<select name="val:origin:Depot Unterlüß".*?</select>', page, re.S)[0]
    assert '<option value="__new__"' in depot
    new = {
        "val:origin:Depot Unterlüß": "__new__",
        "new:origin:0:code": "depot-unterluess",
        "new:origin:0:name": "Depot Unterlüß",
        "new:origin:0:nation": "DE",
    }
    refused = client.post(url, {**COLUMNS, **new, "action": "check"}).content.decode()
    assert "Give the new record&#x27;s latitude." in refused
    new.update({"new:origin:0:latitude": "52.85", "new:origin:0:longitude": "10.28"})
    checked = post(client, url, {**COLUMNS, **new, "action": "check"}).content.decode()
    assert "2 rows, 2 valid, 0 rejected" in checked
    done = post(client, url, {**COLUMNS, **new, "action": "commit"}).content.decode()
    assert "Committed" in done
    assert Pledge.objects.filter(origin__code="depot-unterluess").count() == 2
    assert AuditEvent.objects.filter(verb="create", target_type="registry.location").exists()
