import pytest

from coordcell.registry.models import ItemCategory, Location, Nation, Role, StockNumber
from coordcell.registry.tests.factories import ItemCategoryFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/nations/",
        "/organisations/",
        "/categories/",
        "/locations/",
        "/coalitions/",
        "/capabilities/",
        "/requirements/",
        "/pledges/",
    ],
)
def test_every_register_page_renders_for_the_coordinator(world, client_for, url):
    assert client_for(world.users[Role.COORDINATOR]).get(url).status_code == 200


def test_only_coordinators_change_reference_data(world, client_for):
    data = {"code": "SE", "name": "Sweden", "is_donor": "on"}
    for role in (Role.DONOR_LIAISON, Role.AUDITOR, Role.RECIPIENT_LIAISON):
        assert client_for(world.users[role]).post("/nations/new/", data).status_code == 404
    assert not Nation.objects.filter(code="SE").exists()
    assert client_for(world.users[Role.COORDINATOR]).post("/nations/new/", data).status_code == 302
    assert Nation.objects.filter(code="SE", is_donor=True).exists()


def test_nation_code_must_be_iso_3166(world, client_for):
    response = client_for(world.users[Role.COORDINATOR]).post(
        "/nations/new/", {"code": "se", "name": "Sweden", "is_donor": "on"}
    )
    assert response.status_code == 400
    assert "ISO 3166" in " ".join(response.context["form"].errors["code"])


def test_a_nation_has_a_role_in_the_coalition(world, client_for):
    response = client_for(world.users[Role.COORDINATOR]).post(
        "/nations/new/", {"code": "SE", "name": "Sweden"}
    )
    assert response.status_code == 400
    assert "tick at least one" in response.content.decode()


def test_coordinates_out_of_range_are_refused(world, client_for):
    response = client_for(world.users[Role.COORDINATOR]).post(
        "/locations/new/",
        {
            "code": "nowhere",
            "name": "Nowhere",
            "kind": "hub",
            "nation": world.nations["PL"].pk,
            "latitude": "95",
            "longitude": "20",
        },
    )
    assert response.status_code == 400
    assert "between -90 and 90" in response.content.decode()
    assert not Location.objects.filter(code="nowhere").exists()


def test_stock_numbers_are_13_digits_and_match_the_supply_class(world):
    category = ItemCategoryFactory(nsc="1320")
    good = StockNumber(category=category, nsn="1320123456789")
    good.full_clean()
    assert good.nsn == "1320-12-345-6789"
    with pytest.raises(Exception, match="13 digits"):
        StockNumber(category=category, nsn="1320-12-345").full_clean()
    with pytest.raises(Exception, match="supply class"):
        StockNumber(category=category, nsn="1315-12-345-6789").full_clean()


def test_compatibility_is_explicit_and_one_way(world):
    m795 = ItemCategoryFactory(code="m795", name="155 mm M795")
    l15 = ItemCategoryFactory(code="l15", name="155 mm L15A1")
    dm121 = ItemCategoryFactory(code="dm121", name="155 mm DM121")
    l15.can_serve.add(m795)
    assert [c.code for c in m795.serving_categories()] == ["m795", "l15"]
    assert [c.code for c in l15.serving_categories()] == ["l15"]
    assert [c.code for c in dm121.serving_categories()] == ["dm121"]


def test_depots_are_visible_only_to_their_nation_and_the_cell(world, client_for):
    polish_depot = world.depots["PL"]
    assert (
        client_for(world.users[Role.DONOR_LIAISON])
        .get(f"/locations/{polish_depot.pk}/")
        .status_code
        == 404
    )
    assert (
        client_for(world.users["donor-pl"]).get(f"/locations/{polish_depot.pk}/").status_code == 200
    )
    assert (
        client_for(world.users[Role.COORDINATOR]).get(f"/locations/{polish_depot.pk}/").status_code
        == 200
    )


def test_a_category_in_use_cannot_be_deleted(world, client_for):
    from coordcell.requirements.tests.factories import RequirementFactory

    RequirementFactory(
        category=world.category, capability=world.capability, delivery_point=world.delivery_point
    )
    response = client_for(world.users[Role.COORDINATOR]).post(
        f"/categories/{world.category.pk}/delete/"
    )
    assert response.status_code == 400
    assert "still in use" in response.content.decode()
    assert ItemCategory.objects.filter(pk=world.category.pk).exists()


def test_users_page_is_for_the_cell_only(world, client_for):
    assert client_for(world.users[Role.AUDITOR]).get("/users/").status_code == 200
    page = client_for(world.users[Role.DONOR_LIAISON]).get("/users/")
    assert b"donor-pl" not in page.content


def test_list_cells_are_escaped_and_link_to_their_record(world, client_for):
    category = ItemCategoryFactory(code="xss-1", name="<script>alert(1)</script> shells")
    page = client_for(world.users[Role.COORDINATOR]).get("/categories/?q=xss-1")
    html = page.content.decode()
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; shells" in html
    assert f'<a href="/categories/{category.pk}/">' in html
