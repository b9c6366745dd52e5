"""Capability packages through the API: the packages each role sees on the readiness page, in
the words that page uses (``readiness.wording.Wording``), never the facts naming another
nation's deliveries; their history as the package page lists it."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from coordcell.logistics.models import Shipment
from coordcell.logistics.selectors import week_window
from coordcell.readiness import selectors, services
from coordcell.readiness.facts import Cause
from coordcell.readiness.tests.conftest import estate, package  # noqa: F401 (fixtures)
from coordcell.readiness.wording import Wording
from coordcell.registry.models import Role

pytestmark = pytest.mark.django_db

URL = "/api/v1/capability-packages"


def _read(api, estate):  # noqa: F811
    pk = estate.package.pk
    answers = [api.get(URL), api.get(f"{URL}/{pk}"), api.get(f"{URL}/{pk}/history")]
    for answer in answers:
        assert answer.status_code == 200, answer.json()
    return [a.json() for a in answers]


@pytest.mark.parametrize("role", list(Role))
def test_each_role_lists_the_packages_of_the_readiness_page(world, estate, api_for, role):  # noqa: F811
    user = world.users[role]
    rows = api_for(user).get(URL).json()["results"]
    assert sorted(r["id"] for r in rows) == sorted(
        selectors.packages_visible_to(user).values_list("pk", flat=True)
    )


def test_the_detail_is_the_pages_words(world, estate, api_for):  # noqa: F811
    user = world.users[Role.DONOR_LIAISON]
    detail = api_for(user).get(f"{URL}/{estate.package.pk}").json()
    words = Wording.for_page(user, [estate.package])
    assert detail["bottleneck"] == words.bottleneck(estate.package)
    assert [c["text"] for c in detail["components"]] == [
        c.text for c in words.components(estate.package)
    ]
    assert [s["label"] for s in detail["critical_path"]] == [
        s.label for s in words.critical_path(estate.package)
    ]
    assert detail["ready_on"] == estate.package.ready_on.isoformat()
    assert detail["capability"] == world.capability.code


def test_a_donor_reads_another_donors_delivery_without_reference_or_date(
    world,
    estate,  # noqa: F811
    api_for,
):
    text = json.dumps(_read(api_for(world.users[Role.DONOR_LIAISON]), estate), ensure_ascii=False)
    rounds = estate.rounds
    for marker in (
        rounds.lines.get().pledge.reference,
        rounds.reference,
        rounds.eta.isoformat(),
        rounds.planned_departure.isoformat(),
        week_window(rounds.eta)[1].isoformat(),
    ):
        assert marker not in text
    assert "a delivery by another donor" in text
    assert estate.guns.reference in text and estate.guns.eta.isoformat() in text


def test_the_recipient_reads_the_week_of_a_delivery_never_its_date(world, estate, api_for):  # noqa: F811
    text = json.dumps(
        _read(api_for(world.users[Role.RECIPIENT_LIAISON]), estate), ensure_ascii=False
    )
    for s in (estate.guns, estate.rounds):
        assert s.eta.isoformat() not in text
        assert s.planned_departure.isoformat() not in text
    monday, sunday = week_window(estate.rounds.eta)
    assert f"week {monday.isoformat()} – {sunday.isoformat()}" in text


def test_a_training_site_officer_reads_no_delivery_and_no_other_nations_training(
    world,
    estate,  # noqa: F811
    api_for,
):
    text = json.dumps(
        _read(api_for(world.users[Role.TRAINING_SITE_OFFICER]), estate), ensure_ascii=False
    )
    for marker in (
        "Grafenwoehr",
        "grafenwoehr",
        estate.late_session.reference,
        estate.german_cohort.reference,
        estate.p.guns.reference,
        *(s.reference for s in (estate.guns, estate.rounds)),
        *(s.eta.isoformat() for s in (estate.guns, estate.rounds)),
    ):
        assert marker not in text
    assert estate.package.ready_on.isoformat() in text


def test_the_history_leaves_out_what_the_viewer_cannot_read(world, estate, api_for):  # noqa: F811
    """Poland's delivery three days late, its expected date unchanged: a German donor reads no
    change (not even its time); the cell reads it with its cause."""
    Shipment.objects.filter(pk=estate.rounds.pk).update(
        eta=estate.rounds.eta + dt.timedelta(days=1)
    )
    services.recompute_for_shipments(
        [estate.rounds.pk], cause=Cause("PL late", "shipment_events", shipments=(estate.rounds.pk,))
    )
    cell = api_for(world.users[Role.COORDINATOR]).get(f"{URL}/{estate.package.pk}/history")
    donor = api_for(world.users[Role.DONOR_LIAISON]).get(f"{URL}/{estate.package.pk}/history")
    assert cell.status_code == donor.status_code == 200
    cell_ids = [r["id"] for r in cell.json()["results"]]
    donor_ids = [r["id"] for r in donor.json()["results"]]
    assert set(donor_ids) <= set(cell_ids)
    user = world.users[Role.DONOR_LIAISON]
    changes = list(selectors.changes_visible_to(user).filter(package=estate.package))
    assert donor_ids == [
        c.change.pk for c in Wording.for_page(user, [estate.package], changes).changes(changes)
    ]


def test_no_such_package_is_a_problem_404(world, estate, api_for):  # noqa: F811
    api = api_for(world.users[Role.DONOR_LIAISON])
    for url in (f"{URL}/999999", f"{URL}/999999/history"):
        answer = api.get(url)
        assert answer.status_code == 404
        assert answer["Content-Type"].startswith("application/problem+json")
