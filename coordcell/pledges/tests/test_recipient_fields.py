"""The recipient reads a confirmed pledge without the donor's terms and route: value, currency,
valuation basis, conditions, origin depot and allowed hubs (issue 23; docs/security.md). One
function decides (``pledge_fields_hidden_from``); pages, exports, the API and the reports ask it,
and a hidden field cannot be found out by searching, filtering or sorting on it either."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from coordcell.api.services import token_create
from coordcell.exchange.cli import command_user
from coordcell.pledges.tests.factories import PledgeFactory
from coordcell.registry.models import Role

pytestmark = pytest.mark.django_db
SECRET_TERMS = "Only through Rzeszow; repair by the donor's contractor"


@pytest.fixture
def pledge(world):
    pledge = PledgeFactory(
        donor=world.nations["DE"],
        origin=world.depots["DE"],
        category=world.category,
        status="confirmed",
        value=Decimal("1234567.89"),
        currency="EUR",
        valuation_basis="contract_price",
        conditions=SECRET_TERMS,
        reference="P-000777",
    )
    pledge.allowed_hubs.set([world.hub])
    return pledge


MARKERS = (
    "1234567",
    "1,234,567",
    "Contract price",
    "contract_price",
    "Rzeszow;",
    "DE depot",
    "depot-de",
)


def _absent(text, where):
    for marker in MARKERS:
        assert marker not in text, (where, marker)


def _api(user):
    _, raw = token_create(actor=command_user(None), user=user, name="t")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return api


def test_the_recipients_pages_and_exports_show_no_terms(world, pledge, client_for):
    client = client_for(world.users[Role.RECIPIENT_LIAISON])
    for url in (
        "/pledges/",
        f"/pledges/{pledge.pk}/",
        "/export/pledges/?format=csv",
        "/export/pledges/?format=xlsx",
        "/reports/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        body = b"".join(response.streaming_content) if response.streaming else response.content
        if url.endswith("xlsx"):
            import io

            from openpyxl import load_workbook

            sheet = load_workbook(io.BytesIO(body)).active
            body = repr(list(sheet.values)).encode()
        text = body.decode(errors="replace")
        assert "P-000777" in text or url == "/reports/", url
        _absent(text, url)


def test_the_recipient_cannot_find_the_terms_out_by_searching_filtering_or_sorting(
    world, pledge, client_for
):
    client = client_for(world.users[Role.RECIPIENT_LIAISON])
    api = _api(world.users[Role.RECIPIENT_LIAISON])
    # A search for words of the conditions finds what a search for nothing finds: no match.
    assert "P-000777" not in client.get("/pledges/?q=Rzeszow").content.decode()
    assert api.get("/api/v1/pledges?q=Rzeszow").json()["count"] == 0
    # A filter on the basis is ignored: the same answer for either basis.
    for basis in ("contract_price", "replacement_cost"):
        assert api.get(f"/api/v1/pledges?valuation_basis={basis}").json()["count"] == 1
        assert "P-000777" in client.get(f"/pledges/?valuation_basis={basis}").content.decode()
    assert api.get("/api/v1/pledges?ordering=value").status_code == 200


def test_the_api_leaves_the_terms_out_for_the_recipient_only(world, pledge):
    seen = _api(world.users[Role.RECIPIENT_LIAISON]).get(f"/api/v1/pledges/{pledge.pk}").json()
    for name in ("value", "currency", "valuation_basis", "conditions", "origin", "allowed_hubs"):
        assert name not in seen
    assert seen["quantity"] == 100 and seen["donor"] == "DE"
    own = _api(world.users[Role.DONOR_LIAISON]).get(f"/api/v1/pledges/{pledge.pk}").json()
    assert own["value"] == "1234567.89" and own["conditions"] == SECRET_TERMS
    cell = _api(world.users[Role.AUDITOR]).get(f"/api/v1/pledges/{pledge.pk}").json()
    assert cell["valuation_basis"] == "contract_price"


def test_the_donor_and_the_cell_keep_reading_the_terms(world, pledge, client_for):
    for role in (Role.DONOR_LIAISON, Role.COORDINATOR, Role.AUDITOR):
        page = client_for(world.users[role]).get(f"/pledges/{pledge.pk}/").content.decode()
        assert "1,234,567" in page and "Rzeszow;" in page, role
