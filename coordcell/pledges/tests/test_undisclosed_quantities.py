"""A quantity the source does not disclose is registered (page, API, import) and counted as
undisclosed, never as 0 or 1; it is left out of allocation until disclosed."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from coordcell.allocation.instance import build_instance, undisclosed_left_out
from coordcell.allocation.services import default_planning_start
from coordcell.allocation.tests.scenario import urgent_and_routine
from coordcell.api.tests.conftest import api_for  # noqa: F401  # the fixture
from coordcell.exchange.engine import run_import
from coordcell.exchange.specs import PLEDGES, REQUIREMENTS
from coordcell.logistics.ledger import pledge_ledgers, requirement_ledgers
from coordcell.pledges.models import Pledge
from coordcell.pledges.services import pledge_save
from coordcell.registry.models import Role
from coordcell.requirements.models import Requirement
from coordcell.requirements.services import requirement_save

pytestmark = pytest.mark.django_db


def _pledge_form(world, **overrides):
    data = {
        "donor": world.nations["DE"].pk,
        "category": world.category.pk,
        "quantity": "",
        "quantity_undisclosed": "on",
        "available_from": "2027-03-01",
        "origin": world.depots["DE"].pk,
        "status": "offered",
    }
    data.update(overrides)
    return data


def test_a_pledge_registered_undisclosed_on_the_page_shows_undisclosed(world, client_for):
    client = client_for(world.users[Role.COORDINATOR])
    response = client.post("/pledges/new/", _pledge_form(world))
    assert response.status_code == 302, response.content[:3000]
    pledge = Pledge.objects.get()
    assert pledge.quantity is None and not pledge.quantity_disclosed
    detail = client.get(f"/pledges/{pledge.pk}/").content.decode()
    assert "undisclosed" in detail
    listing = client.get("/pledges/").content.decode()
    assert "undisclosed" in listing
    export = client.get("/export/pledges/?format=csv")  # the word an import reads back
    body = b"".join(export.streaming_content).decode("utf-8-sig")
    (row,) = csv.DictReader(io.StringIO(body))
    assert row["quantity"] == "undisclosed"
    assert row["ledger: offered"] == "undisclosed" and row["ledger: free"] == "undisclosed"


def test_an_empty_quantity_without_the_tick_is_an_error_not_undisclosed(world, client_for):
    client = client_for(world.users[Role.COORDINATOR])
    response = client.post("/pledges/new/", _pledge_form(world, quantity_undisclosed=""))
    assert response.status_code == 400
    assert "Give the quantity" in " ".join(response.context["form"].errors["quantity"])
    both = client.post("/pledges/new/", _pledge_form(world, quantity=5))
    assert both.status_code == 400
    assert not Pledge.objects.exists()


def test_a_requirement_registered_undisclosed_on_the_page(world, client_for):
    client = client_for(world.users[Role.RECIPIENT_LIAISON])
    response = client.post(
        "/requirements/new/",
        {
            "capability": world.capability.pk,
            "category": world.category.pk,
            "quantity": "",
            "quantity_undisclosed": "on",
            "need_by": (dt.date.today() + dt.timedelta(days=30)).isoformat(),
            "delivery_point": world.delivery_point.pk,
            "priority": 1,
        },
    )
    assert response.status_code == 302, response.content[:3000]
    requirement = Requirement.objects.get()
    assert requirement.quantity is None and requirement.status == Requirement.Status.OPEN
    page = client.get(f"/requirements/{requirement.pk}/").content.decode()
    assert "undisclosed" in page


def test_the_api_takes_null_as_undisclosed_and_refuses_a_missing_quantity(
    world,
    api_for,  # noqa: F811
):
    api = api_for(world.users[Role.COORDINATOR])
    base = {
        "donor": "DE",
        "donor_reference": "X-1",
        "category": "ammo-155",
        "available_from": "2027-03-01",
        "origin": "depot-de",
    }
    missing = api.post("/api/v1/pledges", base, format="json")
    assert missing.status_code == 400
    assert [e["field"] for e in missing.json()["errors"]] == ["quantity"]
    created = api.post("/api/v1/pledges", {**base, "quantity": None}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["quantity"] is None and body["quantity_disclosed"] is False
    read = api.get(f"/api/v1/pledges/{body['id']}").json()
    assert read["ledger"]["offered"] is None and read["ledger"]["free"] is None
    disclosed = api.patch(
        f"/api/v1/pledges/{body['id']}", {"quantity": 40, "version": 1}, format="json"
    )
    assert disclosed.status_code == 200, disclosed.content
    assert disclosed.json()["quantity_disclosed"] is True


def _csv(tmp_path, name, header, rows):
    path = tmp_path / name
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_an_import_reads_undisclosed_words_and_keeps_an_empty_cell_an_error(world, tmp_path):
    header = ["Donor", "Ref", "Item", "Qty", "Available", "Depot", "Status"]
    words = ["undisclosed", ".", "Unknown", "n/a", "12"]
    rows = [
        ["DE", f"DE-{n}", "ammo-155", word, "2027-03-01", "depot-de", "offered"]
        for n, word in enumerate(words)
    ]
    empty = [["DE", "DE-9", "ammo-155", "", "2027-03-01", "depot-de", "offered"]]
    path = _csv(tmp_path, "pledges.csv", header, rows + empty)
    user = world.users[Role.COORDINATOR]
    report = run_import(spec=PLEDGES, path=path, user=user, commit=True, skip_invalid=True)
    assert report.created == 5 and report.rejected == 1
    assert [(e.row, e.rule) for e in report.errors] == [(7, "required")]
    quantities = dict(Pledge.objects.values_list("donor_reference", "quantity"))
    assert quantities == {"DE-0": None, "DE-1": None, "DE-2": None, "DE-3": None, "DE-4": 12}
    again = run_import(spec=PLEDGES, path=path, user=user, commit=True, skip_invalid=True)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)

    soon = (dt.date.today() + dt.timedelta(days=40)).isoformat()
    needs = _csv(
        tmp_path,
        "needs.csv",
        ["Ref", "Capability", "Category", "Qty", "Need by", "Delivery point", "Priority"],
        [["UA-1", "sp-arty", "ammo-155", "undisclosed", soon, "dp-lviv", "1"]],
    )
    recipient = world.users[Role.RECIPIENT_LIAISON]
    assert run_import(spec=REQUIREMENTS, path=needs, user=recipient, commit=True).created == 1
    assert Requirement.objects.get(reference="UA-1").quantity is None


def test_undisclosed_records_are_left_out_of_allocation_until_disclosed(world):
    situation = urgent_and_routine(world)
    coordinator = world.users[Role.COORDINATOR]
    german, urgent = situation["german"], situation["urgent"]
    german.quantity = None
    german = pledge_save(actor=coordinator, pledge=german)
    urgent.quantity = None
    urgent = requirement_save(actor=coordinator, requirement=urgent)

    start = default_planning_start()
    instance = build_instance(start=start, horizon=26, parameters={})
    assert [s.id for s in instance.supplies] == ["P-000002"]
    assert [d.id for d in instance.demands] == ["R-000002"]
    assert undisclosed_left_out() == {"pledges": 1, "requirements": 1}
    # Counted as undisclosed: no figure that follows from the quantity is invented.
    pledge_ledger = pledge_ledgers([german.pk])[german.pk]
    assert pledge_ledger.undisclosed and pledge_ledger.free == 0
    assert requirement_ledgers([urgent.pk])[urgent.pk].undisclosed

    german.quantity = 200
    pledge_save(actor=coordinator, pledge=german)
    urgent.quantity = 300
    requirement_save(actor=coordinator, requirement=urgent)
    instance = build_instance(start=start, horizon=26, parameters={})
    assert sorted(s.id for s in instance.supplies) == ["P-000001", "P-000002"]
    assert sorted(d.id for d in instance.demands) == ["R-000001", "R-000002"]
    assert undisclosed_left_out() == {"pledges": 0, "requirements": 0}


@pytest.mark.django_db(transaction=True)
def test_the_run_page_says_what_it_left_out(world, client_for):
    situation = urgent_and_routine(world)
    coordinator = world.users[Role.COORDINATOR]
    german = situation["german"]
    german.quantity = None
    pledge_save(actor=coordinator, pledge=german)
    client = client_for(coordinator)
    response = client.post(
        "/allocation/", {"planning_start": situation["start"].isoformat(), "horizon_weeks": 26}
    )
    assert response.status_code == 302, response.content[:2000]
    page = client.get(response["Location"]).content.decode()
    assert "Left out of this run: 1 confirmed pledges and 0 requirements" in page
    assert "P-000001" not in page.split("Shortfalls")[1]  # planned with nothing of it


def test_the_reports_page_says_undisclosed_needs_are_not_in_its_sums(world, client_for):
    coordinator = world.users[Role.COORDINATOR]
    situation = urgent_and_routine(world)
    urgent = situation["urgent"]
    urgent.quantity = None
    requirement_save(actor=coordinator, requirement=urgent)
    page = client_for(coordinator).get("/reports/").content.decode()
    assert "1 requirement whose quantity is undisclosed is not in the figures" in page
