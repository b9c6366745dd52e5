"""The readiness page per role, and the change it shows (before -> after)."""

import re

import pytest

from coordcell.readiness import services
from coordcell.registry.models import Role
from coordcell.registry.templatetags.figures import day

pytestmark = pytest.mark.django_db


def _slip(world, package, weeks):  # type: ignore[no-untyped-def]
    pledge = package.pledge
    pledge.available_from = package.week(weeks)
    pledge.save()
    services.recompute_for_pledges([pledge.pk], cause=f"pledge {pledge.reference} slipped")


def test_the_page_shows_date_bottleneck_and_the_change(world, package, client_for):
    _slip(world, package, 5)
    client = client_for(world.users[Role.COORDINATOR])
    page = client.get("/readiness/").content.decode()
    assert package.package.reference in page
    assert day(package.week(8)) in page  # the language's one date format
    assert f"pledge {package.pledge.reference} slipped" in re.sub(r"<[^>]+>", "", page)
    detail = client.get(f"/readiness/{package.package.pk}/").content.decode()
    assert day(package.week(3)) in detail and day(package.week(8)) in detail
    assert "Critical path" in detail


def test_recipient_and_auditor_see_every_package(world, package, client_for):
    for role in (Role.RECIPIENT_LIAISON, Role.AUDITOR):
        client = client_for(world.users[role])
        assert client.get(f"/readiness/{package.package.pk}/").status_code == 200


def test_a_donor_sees_the_packages_its_pledges_serve(world, package, client_for):
    # Germany's pledge brings the guns, Poland's the rounds: both serve the package.
    de = client_for(world.users[Role.DONOR_LIAISON])
    assert de.get(f"/readiness/{package.package.pk}/").status_code == 200
    assert package.pledge.reference in de.get("/readiness/").content.decode()


def test_a_donor_does_not_read_another_donors_bottleneck(world, package, client_for):
    _slip(world, package, 5)  # the German pledge is the bottleneck now
    pl = client_for(world.users["donor-pl"])
    page = pl.get(f"/readiness/{package.package.pk}/").content.decode()
    assert "a delivery by another donor" in page
    assert package.pledge.reference not in page


def test_a_donor_without_pledges_for_the_package_gets_404(world, package, client_for):
    package.run.lines.filter(pledge__donor__code="PL").delete()
    pl = client_for(world.users["donor-pl"])
    assert pl.get(f"/readiness/{package.package.pk}/").status_code == 404


def test_training_officer_sees_the_packages_of_crews_at_its_sites(world, package, client_for):
    client = client_for(world.users[Role.TRAINING_SITE_OFFICER])  # the UK, Salisbury Plain
    assert client.get(f"/readiness/{package.package.pk}/").status_code == 200


def test_only_coordinators_recompute(world, package, client_for):
    assert client_for(world.users[Role.AUDITOR]).post("/readiness/recompute/").status_code == 404
    response = client_for(world.users[Role.COORDINATOR]).post("/readiness/recompute/")
    assert response.status_code == 302


def test_the_cells_stored_causes_read_in_the_pages_language() -> None:
    """A cause is stored in the cell's English words; the page says it in its language, and a
    form it does not know as stored."""
    from django.utils import translation

    from coordcell.readiness.wording import cell_words

    stored = "CO-0001 booked on S-0007; allocation A-00002 committed; something else"
    assert cell_words(stored) == stored
    with translation.override("uk"):
        assert cell_words(stored) == (
            "CO-0001 заброньована на S-0007; розподіл A-00002 затверджено; something else"
        )


def test_a_long_cause_is_cut_after_a_whole_reference_within_its_column():
    from coordcell.readiness.services import _shortened

    text = "shipment events: " + ", ".join(f"S-{n:06d}" for n in range(60))
    short = _shortened(text, 300)
    assert len(short) <= 300 and short.endswith(", …")
    assert short.removesuffix(", …").split(", ")[-1].startswith("S-")
    assert len(short.removesuffix(", …").split(", ")[-1]) == len("S-000000")
    assert len(_shortened("x" * 400, 300)) <= 300
