"""The tracker through the import page: the sheet list, the mapping file's key, constants,
defaults, filter and columns kept on the page and through a dry run and a commit; a mapped column
the sheet lacks, and a header on two columns, said and refused until chosen."""

import re
from html.parser import HTMLParser

import pytest

from coordcell.exchange.models import ImportRun
from coordcell.pledges.models import Pledge
from coordcell.registry.models import Role

from .tracker import MAPPING, write_tracker

pytestmark = pytest.mark.django_db


class _Form(HTMLParser):
    """What a browser would send for the page's mapping form (the one with the 'check' button)."""

    def __init__(self):
        super().__init__()
        self.forms, self.select, self.textarea = [], None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({})
        elif not self.forms:
            return
        data = self.forms[-1]
        if tag == "input" and a.get("name") and a.get("type") not in ("submit",):
            if a.get("type") in ("checkbox", "radio"):
                if "checked" in a:
                    data.setdefault(a["name"], []).append(a.get("value", "on"))
            elif a.get("type") != "hidden" or a["name"] != "csrfmiddlewaretoken":
                data[a["name"]] = a.get("value", "")
        elif tag == "select":
            self.select = a["name"]
            data.setdefault(self.select, "")
        elif tag == "option" and self.select and "selected" in a:
            data[self.select] = a.get("value", "")

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None


def form_data(page):
    parser = _Form()
    parser.feed(page)
    return next(f for f in parser.forms if "save_as" in f)


@pytest.fixture
def client(world, client_for, tmp_path, settings):
    settings.COORDCELL_IMPORT_DIR = tmp_path / "uploads"
    return client_for(world.users[Role.COORDINATOR])


def _upload(client, path, mapping=None):
    data = {"kind": "pledges", "file": path.open("rb")}
    if mapping is not None:
        data["mapping_file"] = mapping.open("rb")
    response = client.post("/import/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    return response["Location"]


@pytest.fixture
def post(django_capture_on_commit_callbacks):
    def send(client, url, data):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url, data)
        assert response.status_code == 302, response.content.decode()[:3000]
        return client.get(response["Location"]).content.decode()

    return send


def _summary(page):
    return re.search(r"<strong>([^<]*rows[^<]*)</strong>", page)[1]


@pytest.fixture
def tracker_files(tmp_path):
    mapping = tmp_path / "tracker.yaml"
    mapping.write_text(MAPPING)
    return write_tracker(tmp_path / "tracker.xlsx"), mapping


def test_the_mapping_file_survives_the_page_a_dry_run_and_a_commit(client, post, tracker_files):
    url = _upload(client, *tracker_files)
    page = client.get(url).content.decode()
    sheet = re.search(r'<select name="sheet".*?</select>', page, re.S)[0]
    assert '<option value="ReadMe">' in sheet and '<option value="Data" selected>' in sheet
    data = form_data(page)
    assert data["col:quantity"] == "column G" and data["col:category"] == "(column F)"
    assert data["key_columns"] == ["ID"] and data["key_occurrence"] == ["on"]
    assert data["const:origin"] == "depot-pl" and data["default:status"] == "confirmed"
    assert (data["filter:0:column"], data["filter:0:test"], data["filter:0:values"]) == (
        "Type of aid",
        "equals",
        "Military",
    )
    checked = post(client, url, {**data, "action": "check"})
    assert "4 rows, 3 valid, 1 rejected" in _summary(checked)
    assert "2 rows left out by the filter" in checked
    assert "read &#x27;until 7/27/2022&#x27; as 2022-07-27 (approximate)" in checked
    done = post(client, url, {**form_data(checked), "action": "commit", "skip_invalid": "on"})
    assert "Committed" in _summary(done)
    assert sorted(Pledge.objects.values_list("donor_reference", flat=True)) == [
        "1234/1",
        "1234/2",
        "1235/1",
    ]
    yaml_text = client.get(url + "mapping.yaml").content.decode()
    assert (
        "occurrence: true" in yaml_text and "depot-pl" in yaml_text and "sheet: Data" in yaml_text
    )
    # The same file again, with the mapping the page saved: nothing changes.
    again = _upload(client, tracker_files[0], tracker_files[1])
    post(client, again, {**form_data(client.get(again).content.decode()), "action": "check"})
    page = post(
        client,
        again,
        {**form_data(client.get(again).content.decode()), "action": "commit", "skip_invalid": "on"},
    )
    assert "0 created, 0 updated, 3 unchanged" in _summary(page)
    assert Pledge.objects.count() == 3


def test_without_a_mapping_the_data_sheet_is_read_and_duplicate_headers_are_said(client, tmp_path):
    url = _upload(client, write_tracker(tmp_path / "tracker.xlsx"))
    page = client.get(url).content.decode()
    data = form_data(page)
    assert data["col:donor"] == "Country"  # the Data sheet's headers, not the ReadMe's
    assert data["col:quantity"] == ""  # never one of the two "Quantity" columns by a guess
    assert "Two columns are headed &#x27;Quantity&#x27;: G and I; choose one" in page
    assert '<option value="column I">Quantity (column I)</option>' in page


def test_a_mapped_column_the_sheet_lacks_is_said_and_refused(client, post, tmp_path):
    path = write_tracker(tmp_path / "tracker.xlsx")
    mapping = tmp_path / "m.yaml"
    mapping.write_text(MAPPING.replace("column G", "Qty"))
    url = _upload(client, path, mapping)
    page = client.get(url).content.decode()
    assert (
        "The mapping takes Quantity from column &#x27;Qty&#x27;, but the sheet has no column"
        in page
    )
    data = form_data(page)
    assert data["col:quantity"] == "Qty"  # kept, visibly, not dropped
    response = client.post(url, {**data, "action": "check"})
    assert response.status_code == 200 and "This sheet has no column" in response.content.decode()
    assert not ImportRun.objects.exists()
    checked = post(client, url, {**data, "col:quantity": "column G", "action": "check"})
    assert "4 rows, 3 valid" in _summary(checked)


def test_choosing_another_sheet_reads_its_headers_and_keeps_the_mapping(client, tracker_files):
    url = _upload(client, *tracker_files)
    response = client.post(url, {"action": "sheet", "sheet": "ReadMe"})
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert "the sheet has no column &#x27;Country&#x27;" in page
    assert form_data(page)["col:donor"] == "Country"
    client.post(url, {"action": "sheet", "sheet": "Data"})
    page = client.get(url).content.decode()
    assert "has no column" not in page and form_data(page)["col:donor"] == "Country"


def test_a_date_format_on_the_page_is_checked_and_kept(client, post, tracker_files):
    url = _upload(client, *tracker_files)
    data = form_data(client.get(url).content.decode())
    response = client.post(url, {**data, "date:available_from": "q", "action": "check"})
    assert response.status_code == 200 and "is not a date format" in response.content.decode()
    checked = post(client, url, {**data, "date:available_from": "d/m/yyyy", "action": "check"})
    # Day first, as asked: 7/27/2022 and 12/25/2022 are no dates then, and say so.
    assert "4 rows, 1 valid, 3 rejected" in _summary(checked)
    assert form_data(checked)["date:available_from"] == "d/m/yyyy"
