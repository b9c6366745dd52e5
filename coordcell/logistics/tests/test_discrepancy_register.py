"""The register of discrepancies across shipments: each role sees what its need-to-know gives
it, filters and sorts, acts from the row, and reads clear errors."""

import datetime as dt

import pytest
from django.utils import timezone

from coordcell.audit.models import AuditEvent
from coordcell.logistics.discrepancies import discrepancy_resolve, discrepancy_set_due
from coordcell.logistics.lifecycle import S
from coordcell.logistics.models import Discrepancy
from coordcell.logistics.tests.discrepancy_fixtures import discrepancy_at
from coordcell.registry.models import Role

pytestmark = pytest.mark.django_db


def _page(client, query=""):
    response = client.get(f"/discrepancies/{query}")
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def found(world):
    """A German damage at the hub, a Polish short at the hub, a German short at handover."""
    return {
        "de_hub": discrepancy_at(world, S.AT_HUB, donor="DE", description="DE-HUB-CRATE"),
        "pl_hub": discrepancy_at(
            world,
            S.AT_HUB,
            donor="PL",
            kind=Discrepancy.Kind.SHORT,
            description="PL-HUB-SHORT",
        ),
        "de_handover": discrepancy_at(
            world,
            S.HANDED_OVER,
            donor="DE",
            kind=Discrepancy.Kind.SHORT,
            description="DE-HANDOVER-SHORT",
        ),
    }


def test_the_cell_and_the_auditor_see_every_discrepancy(world, client_for, found):
    for role in (Role.COORDINATOR, Role.AUDITOR):
        page = _page(client_for(world.users[role]))
        assert all(t in page for t in ("DE-HUB", "PL-HUB-SHORT", "DE-HANDOVER"))
        assert "Rzeszów-Jasionka" in page  # where the hub's were found


def test_a_donor_never_sees_another_nations_discrepancy(world, client_for, found):
    client = client_for(world.users["donor-pl"])
    page = _page(client)
    assert "PL-HUB-SHORT" in page
    assert "DE-HUB" not in page and "DE-HANDOVER" not in page
    assert _page(client, "?donor=DE").count("<tr>") == 2  # the header and "No discrepancies."
    german = found["de_hub"]
    assert client.get(f"/discrepancies/{german.pk}/").status_code == 404
    post = client.post(
        f"/discrepancies/{german.pk}/resolve/", {f"r{german.pk}-resolution": "found"}
    )
    assert post.status_code == 404
    german.refresh_from_db()
    assert german.status == "open"


def test_the_recipient_sees_what_was_found_at_handover_and_no_hub(world, client_for, found):
    page = _page(client_for(world.users[Role.RECIPIENT_LIAISON]))
    assert "DE-HANDOVER-SHORT" in page and "Lviv handover point" in page
    assert "HUB" not in page and "Rzeszów" not in page


def test_a_training_site_officer_has_no_register(world, client_for, found):
    client = client_for(world.users[Role.TRAINING_SITE_OFFICER])
    assert client.get("/discrepancies/").status_code == 404
    assert client.get(f"/discrepancies/{found['de_hub'].pk}/").status_code == 404


def test_filters_by_donor_kind_and_state(world, client_for, found):
    client = client_for(world.users[Role.COORDINATOR])
    page = _page(client, "?donor=PL")
    assert "PL-HUB-SHORT" in page and "DE-HUB" not in page
    page = _page(client, "?kind=short")
    assert "PL-HUB-SHORT" in page and "DE-HANDOVER-SHORT" in page and "DE-HUB-CRATE" not in page
    discrepancy_resolve(
        actor=world.users[Role.COORDINATOR], discrepancy=found["pl_hub"], resolution="found"
    )
    page = _page(client, "?state=resolved")
    assert "PL-HUB-SHORT" in page and "DE-HUB" not in page
    page = _page(client, "?state=unresolved")
    assert "PL-HUB-SHORT" not in page and "DE-HUB-CRATE" in page
    # A value the register cannot read is answered with a message, never with everything.
    bad = client.get("/discrepancies/?kind=nonsense&state=nonsense&age=x&sort=x&page=1")
    assert bad.status_code == 400
    text = bad.content.decode()
    assert "DE-HUB-CRATE" not in text and 'role="alert"' in text
    assert all(f"({value})" in text for value in ("nonsense", "x"))
    assert client.get("/discrepancies/?page=abc").status_code == 400
    assert client.get("/discrepancies/?donor=XX&format=csv").status_code == 400


def _age(d, days):
    """As if ``d`` was recorded ``days`` ago, with its default due date."""
    recorded = timezone.now() - dt.timedelta(days=days)
    Discrepancy.objects.filter(pk=d.pk).update(
        recorded_at=recorded, due_on=recorded.date() + dt.timedelta(days=14)
    )


def test_age_bands_and_overdue_follow_the_calendar(world, client_for, found):
    client = client_for(world.users[Role.COORDINATOR])
    assert "DE-HUB-CRATE" in _page(client, "?age=lt7")
    assert "DE-HUB-CRATE" not in _page(client, "?overdue=1")
    _age(found["de_hub"], 20)
    assert "DE-HUB-CRATE" in _page(client, "?age=7to30")
    assert "DE-HUB-CRATE" not in _page(client, "?age=lt7")
    page = _page(client, "?overdue=1")
    assert "DE-HUB-CRATE" in page and "overdue" in page and "PL-HUB-SHORT" not in page
    _age(found["de_hub"], 45)
    assert "DE-HUB-CRATE" in _page(client, "?age=gt30")
    assert "DE-HUB-CRATE" not in _page(client, "?age=7to30")
    discrepancy_resolve(
        actor=world.users[Role.COORDINATOR], discrepancy=found["de_hub"], resolution="found"
    )
    assert "DE-HUB-CRATE" not in _page(client, "?overdue=1")


def test_sorted_by_due_date_soonest_first(world, client_for, found):
    coord = world.users[Role.COORDINATOR]
    today = timezone.now().date()
    for key, days in (("de_hub", 30), ("pl_hub", 2), ("de_handover", 9)):
        discrepancy_set_due(actor=coord, discrepancy=found[key], due_on=today + dt.timedelta(days))
    page = _page(client_for(coord), "?kind=&sort=due_on")
    order = [page.index(t) for t in ("PL-HUB-SHORT", "DE-HANDOVER-SHORT", "DE-HUB-CRATE")]
    assert order == sorted(order)
    page = _page(client_for(coord), "?sort=-due_on")
    order = [page.index(t) for t in ("DE-HUB-CRATE", "DE-HANDOVER-SHORT", "PL-HUB-SHORT")]
    assert order == sorted(order)


def test_the_csv_holds_what_the_page_shows(world, client_for, found):
    response = client_for(world.users["donor-pl"]).get("/discrepancies/?format=csv")
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode()
    assert "PL-HUB-SHORT" in text and "DE-" not in text
    recipient = client_for(world.users[Role.RECIPIENT_LIAISON]).get("/discrepancies/?format=csv")
    assert "Rzeszów" not in recipient.content.decode()


def test_the_owner_donor_resolves_from_its_row(world, client_for, found):
    d = found["pl_hub"]
    client = client_for(world.users["donor-pl"])
    page = _page(client)
    assert f"/discrepancies/{d.pk}/resolve/" in page
    response = client.post(
        f"/discrepancies/{d.pk}/resolve/",
        {
            f"r{d.pk}-resolution": "replaced",
            f"r{d.pk}-note": "Two more boxes leave Warsaw next week.",
            f"r{d.pk}-version": d.version,
            "next": "/discrepancies/?donor=PL",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/discrepancies/?donor=PL"
    d.refresh_from_db()
    assert (d.status, d.resolution) == ("resolved", "replaced")
    assert AuditEvent.objects.filter(verb="discrepancy.resolve", target_id=str(d.pk)).exists()


def test_a_resolution_without_its_reason_is_refused_and_keeps_what_was_typed(
    world, client_for, found
):
    d = found["de_hub"]
    client = client_for(world.users[Role.COORDINATOR])
    response = client.post(
        f"/discrepancies/{d.pk}/resolve/",
        {f"r{d.pk}-resolution": "written_off", f"r{d.pk}-note": "", f"r{d.pk}-version": 1},
    )
    assert response.status_code == 400
    assert "Say why it is written off" in response.content.decode()
    d.refresh_from_db()
    assert d.status == "open"


def test_resolving_twice_answers_that_a_resolution_is_final(world, client_for, found):
    d = found["de_handover"]
    discrepancy_resolve(actor=world.users[Role.COORDINATOR], discrepancy=d, resolution="found")
    response = client_for(world.users[Role.COORDINATOR]).post(
        f"/discrepancies/{d.pk}/resolve/",
        {f"r{d.pk}-resolution": "claimed", f"r{d.pk}-note": "Claim against the carrier."},
    )
    assert response.status_code == 400
    assert "a resolution is final" in response.content.decode()
    d.refresh_from_db()
    assert d.resolution == "found"


def test_the_auditor_reads_and_is_offered_no_action(world, client_for, found):
    d = found["de_hub"]
    client = client_for(world.users[Role.AUDITOR])
    assert "/resolve/" not in _page(client)
    assert "/resolve/" not in client.get(f"/discrepancies/{d.pk}/").content.decode()
    response = client.post(f"/discrepancies/{d.pk}/investigate/", {f"i{d.pk}-version": 1})
    assert response.status_code in (403, 404)
    d.refresh_from_db()
    assert d.status == "open"


def test_the_recipient_is_offered_found_only(world, client_for, found):
    d = found["de_handover"]
    client = client_for(world.users[Role.RECIPIENT_LIAISON])
    page = client.get(f"/discrepancies/{d.pk}/").content.decode()
    assert 'value="found"' in page and 'value="written_off"' not in page
    response = client.post(
        f"/discrepancies/{d.pk}/resolve/",
        {f"r{d.pk}-resolution": "found", f"r{d.pk}-note": "Counted again: all there."},
    )
    assert response.status_code == 302
    d.refresh_from_db()
    assert d.resolution == "found"


def test_the_shipment_page_lists_state_owner_due_date_and_actions(world, client_for, found):
    d = found["de_hub"]
    page = (
        client_for(world.users[Role.COORDINATOR])
        .get(f"/logistics/shipments/{d.shipment_id}/")
        .content.decode()
    )
    assert "Germany" in page  # the owner
    assert d.due_on.isoformat() in page
    assert f"/discrepancies/{d.pk}/investigate/" in page
    assert f"/discrepancies/{d.pk}/resolve/" in page


def _figures(user):
    from coordcell.reports.dashboards import dashboard_for

    board = dashboard_for(user, timezone.now().date())
    return {f.label: f.value for f in board.figures}


def test_each_dashboard_counts_the_open_and_overdue_discrepancies_its_role_sees(world, found):
    _age(found["pl_hub"], 20)
    expected = {
        Role.COORDINATOR: (3, 1),
        Role.AUDITOR: (3, 1),
        Role.DONOR_LIAISON: (2, 0),  # DE: the hub's and the handover's
        "donor-pl": (1, 1),
        Role.RECIPIENT_LIAISON: (1, 0),  # the handover's only
    }
    for role, (open_, overdue) in expected.items():
        figures = _figures(world.users[role])
        assert (figures["Open discrepancies"], figures["… of them overdue"]) == (open_, overdue), (
            role
        )
    assert "Open discrepancies" not in _figures(world.users[Role.TRAINING_SITE_OFFICER])
    discrepancy_resolve(
        actor=world.users["donor-pl"], discrepancy=found["pl_hub"], resolution="found"
    )
    assert _figures(world.users[Role.COORDINATOR])["… of them overdue"] == 0


def test_the_home_page_links_the_counts_to_the_register(world, client_for, found):
    page = client_for(world.users[Role.COORDINATOR]).get("/").content.decode()
    assert "Open discrepancies" in page and "/discrepancies/?overdue=1" in page


def test_a_refused_resolution_keeps_the_note_typed(world, client_for, found):
    d = found["de_handover"]
    response = client_for(world.users[Role.RECIPIENT_LIAISON]).post(
        f"/discrepancies/{d.pk}/resolve/",
        {f"r{d.pk}-resolution": "written_off", f"r{d.pk}-note": "Crate 7 burnt at the depot."},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "only as: Found" in page and "Crate 7 burnt at the depot." in page
    d.refresh_from_db()
    assert d.status == "open"
