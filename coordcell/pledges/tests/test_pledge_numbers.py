"""A pledge's numbers stay within what both databases store (issue 23): the API, the page and
the import refuse one beyond the bound, naming the field, and the largest allowed values read
back exactly."""

import csv
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from coordcell.api.services import token_create
from coordcell.bounds import MONEY_MAX, QUANTITY_MAX
from coordcell.exchange.engine import run_import
from coordcell.exchange.specs import PLEDGES as PLEDGE_IMPORT
from coordcell.pledges.models import Pledge
from coordcell.registry.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(world) -> APIClient:
    user = world.users[Role.COORDINATOR]
    _, raw = token_create(actor=user, user=user, name="tests")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


NEW = {
    "donor": "DE",
    "donor_reference": "DE-API-1",
    "category": "ammo-155",
    "quantity": 40,
    "available_from": "2027-03-01",
    "origin": "depot-de",
    "currency": "EUR",
    "valuation_basis": "contract_price",
}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("value", "99999999999999.99", "less than or equal to 9999999999999.99"),
        ("value", "10000000000000", "less than or equal to 9999999999999.99"),
        ("quantity", 9223372036854775807, "less than or equal to 1000000000"),
        ("quantity", QUANTITY_MAX + 1, "less than or equal to 1000000000"),
    ],
)
def test_the_api_refuses_a_number_beyond_the_bound_naming_the_field(api, field, value, message):
    response = api.post("/api/v1/pledges", {**NEW, "value": "1.00", field: value}, format="json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    [error] = response.json()["errors"]
    assert error["field"] == field and message in error["detail"]
    assert not Pledge.objects.exists()
    assert api.get("/api/v1/pledges").status_code == 200


def test_the_largest_numbers_are_stored_and_read_back_exactly(api):
    response = api.post(
        "/api/v1/pledges",
        {**NEW, "quantity": QUANTITY_MAX, "value": str(MONEY_MAX)},
        format="json",
    )
    assert response.status_code == 201, response.json()
    listed = api.get("/api/v1/pledges").json()["results"]
    assert [(p["quantity"], p["value"]) for p in listed] == [(QUANTITY_MAX, str(MONEY_MAX))]
    pledge = Pledge.objects.get()
    assert (pledge.quantity, pledge.value) == (QUANTITY_MAX, MONEY_MAX)
    assert api.delete(f"/api/v1/pledges/{pledge.pk}").status_code == 204


def test_the_page_refuses_a_quantity_beyond_the_bound(world, client_for):
    client = client_for(world.users[Role.COORDINATOR])
    response = client.post(
        "/pledges/new/",
        {
            "donor": world.nations["DE"].pk,
            "category": world.category.pk,
            "quantity": QUANTITY_MAX + 1,
            "available_from": "2027-03-01",
            "origin": world.depots["DE"].pk,
            "status": "offered",
            "value": "99999999999999.99",
            "currency": "EUR",
            "valuation_basis": "contract_price",
        },
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "less than or equal to 1000000000" in " ".join(errors["quantity"])
    assert "less than or equal to 9999999999999.99" in " ".join(errors["value"])
    # The browser is told as well.
    assert b'max="1000000000"' in response.content
    assert not Pledge.objects.exists()


def test_the_import_refuses_the_row_naming_the_column_and_the_bound(world, tmp_path):
    path = tmp_path / "pledges.csv"
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["Donor", "Donor reference", "Category", "Quantity", "Available from",
                         "Origin depot", "Value", "Currency", "Valuation basis"])  # fmt: skip
        writer.writerow(["DE", "DE-1", "ammo-155", "2000000000", "2027-03-01", "depot-de",
                         "1", "EUR", "contract_price"])  # fmt: skip
        writer.writerow(["DE", "DE-2", "ammo-155", "5", "2027-03-01", "depot-de",
                         "99999999999999.99", "EUR", "contract_price"])  # fmt: skip
    report = run_import(
        spec=PLEDGE_IMPORT, path=path, user=world.users[Role.COORDINATOR], commit=True
    )
    assert not report.committed
    found = {(e.row, e.column): e.message for e in report.errors}
    assert "less than or equal to 1000000000" in found[(2, "Quantity")]
    assert "less than or equal to 9999999999999.99" in found[(3, "Value")]
    assert not Pledge.objects.exists()


def test_a_value_of_fifteen_digits_survives_sqlite(api):
    value = Decimal("1234567890123.45")
    assert (
        api.post("/api/v1/pledges", {**NEW, "value": str(value)}, format="json").status_code == 201
    )
    assert Pledge.objects.get().value == value
