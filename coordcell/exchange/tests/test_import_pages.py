"""The import pages: upload, proposed mapping, dry run, unknown values, commit.

A dry run or commit is a background job; the tests' queue runs it as soon as it is queued (after
the request's transaction commits), so the page the POST redirects to shows its report."""

import re

import pytest

from coordcell.exchange.models import SavedMapping
from coordcell.pledges.models import Pledge
from coordcell.registry.models import Role

pytestmark = pytest.mark.django_db

COLUMNS = {
    "col:donor": "Donor",
    "col:donor_reference": "Our ref",
    "col:category": "Item",
    "col:quantity": "Qty",
    "col:available_from": "Available",
    "col:origin": "Depot",
    "col:status": "Status",
}


@pytest.fixture
def uploaded(world, client_for, messy_xlsx, tmp_path, settings):
    settings.COORDCELL_IMPORT_DIR = tmp_path / "uploads"
    client = client_for(world.users[Role.DONOR_LIAISON])
    with messy_xlsx.open("rb") as handle:
        response = client.post("/import/", {"kind": "pledges", "file": handle})
    assert response.status_code == 302
    return client, response["Location"]


def _summary(response):
    return re.search(r"<strong>([^<]*rows[^<]*)</strong>", response.content.decode())[1]


@pytest.fixture
def post(django_capture_on_commit_callbacks):
    """POST to the page and follow its redirect, once the job it queued has run."""

    def send(client, url, data):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url, data)
        assert response.status_code == 302, response.content.decode()[:2000]
        return client.get(response["Location"])

    return send


def test_mapping_is_proposed_from_the_headers(uploaded):
    client, url = uploaded
    page = client.get(url).content.decode()
    for field, header in COLUMNS.items():
        select = re.search(rf'<select name="{field}".*?</select>', page, re.S)[0]
        assert f'<option value="{header}" selected>' in select


def test_dry_run_then_commit_with_skip_invalid(uploaded, post):
    client, url = uploaded
    checked = post(client, url, {**COLUMNS, "action": "check"})
    # DE-2 is "Confirmed": the cell confirms pledges, a donor offers them (docs/security.md).
    assert "6 rows, 1 valid, 5 rejected" in _summary(checked)
    assert "Dry run" in _summary(checked)
    page = checked.content.decode()
    assert "2027-02-30" in page and "val:category:shells" in page
    assert "The coordination cell confirms a pledge" in page
    report = client.get(url + "errors.csv")
    assert report.status_code == 200 and b"unknown category" in report.getvalue()
    assert not Pledge.objects.exists()
    all_or_nothing = post(client, url, {**COLUMNS, "action": "commit"})
    assert "Nothing was committed" in _summary(all_or_nothing)
    assert not Pledge.objects.exists()
    post(client, url, {**COLUMNS, "action": "check"})
    done = post(client, url, {**COLUMNS, "action": "commit", "skip_invalid": "on"})
    assert "Committed" in _summary(done)
    assert Pledge.objects.count() == 1
    rejects = client.get(url + "rejects.csv")
    rejects_csv = rejects.getvalue()
    assert rejects.status_code == 200 and b"DE-3" in rejects_csv and b"DE-2" in rejects_csv


def test_unknown_category_mapped_on_the_page_and_mapping_saved(uploaded, world, post):
    client, url = uploaded
    post(client, url, {**COLUMNS, "action": "check"})
    mapped = post(
        client,
        url,
        {**COLUMNS, "val:category:shells": "ammo-155", "action": "check", "save_as": "DE sheet"},
    )
    assert "unknown category" not in mapped.content.decode()
    saved = SavedMapping.objects.get(name="DE sheet")
    assert saved.owner == world.users[Role.DONOR_LIAISON]
    assert saved.data["values"] == {"category": {"shells": "ammo-155"}}
    assert saved.data["columns"]["donor_reference"] == "Our ref"
    yaml_text = client.get(url + "mapping.yaml").content.decode()
    assert "donor_reference: Our ref" in yaml_text


def test_commit_needs_a_dry_run_first(uploaded, post):
    client, url = uploaded
    response = post(client, url, {**COLUMNS, "action": "commit", "skip_invalid": "on"})
    assert "Dry run" in _summary(response)
    assert not Pledge.objects.exists()


def test_only_the_uploader_opens_an_upload_and_its_files(uploaded, world, client_for, post):
    client, url = uploaded
    post(client, url, {**COLUMNS, "action": "check"})
    assert client.get(url + "errors.csv").status_code == 200
    # Another donor, and the cell's coordinator too: a spreadsheet is a personal working file.
    for other in (world.users["donor-pl"], world.users[Role.COORDINATOR]):
        stranger = client_for(other)
        assert stranger.get(url).status_code == 404
        assert stranger.get(url + "errors.csv").status_code == 404
        assert stranger.post(url, {**COLUMNS, "action": "check"}).status_code == 404


def test_the_user_comes_back_to_the_report_in_a_new_session(uploaded, world, client_for, post):
    client, url = uploaded
    post(client, url, {**COLUMNS, "action": "check"})
    again = client_for(world.users[Role.DONOR_LIAISON])  # logged in afresh
    listed = again.get("/import/").content.decode()
    # DE-2 is "Confirmed": the cell confirms pledges, a donor offers them (docs/security.md).
    assert url in listed and "6 rows, 1 valid, 5 rejected" in listed
    assert "6 rows, 1 valid, 5 rejected" in _summary(again.get(url))
    assert b"unknown category" in again.get(url + "errors.csv").getvalue()


def test_roles_without_imports_get_no_page(world, client_for):
    assert client_for(world.users[Role.AUDITOR]).get("/import/").status_code == 404


def test_a_file_that_is_not_a_spreadsheet_is_refused(world, client_for, tmp_path, settings):
    settings.COORDCELL_IMPORT_DIR = tmp_path
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    with path.open("rb") as handle:
        response = client_for(world.users[Role.COORDINATOR]).post(
            "/import/", {"kind": "pledges", "file": handle}
        )
    assert response.status_code == 200
    assert "send a .csv or .xlsx file" in response.content.decode()
