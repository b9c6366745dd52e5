"""What each role reads of a package's readiness (issue 23): the readiness page, the package page,
the reports' readiness chart and the dashboards name no record and show no shipment timing the
viewer could not see on that record's own page.

The package: Germany's guns (end items) and Poland's rounds (sustainment), each on a shipment with
an ETA on a Wednesday; one crew cohort at the British site and one at a German site.
"""

import datetime as dt
import re

import pytest

from coordcell.logistics.models import Shipment
from coordcell.logistics.selectors import week_window
from coordcell.readiness import services
from coordcell.readiness.facts import Cause
from coordcell.readiness.models import ReadinessChange
from coordcell.readiness.wording import Wording
from coordcell.registry.models import Role

pytestmark = pytest.mark.django_db

PAGES = ("/readiness/", "/readiness/{pk}/", "/reports/", "/")


def _pages(client, estate):
    bodies = {}
    for url in PAGES:
        url = url.format(pk=estate.package.pk)
        response = client.get(url)
        if url == "/reports/" and response.status_code == 404:
            continue  # a role without reports (the training-site officer)
        assert response.status_code == 200, url
        bodies[url] = _as_iso(response.content.decode())
    return bodies


_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_DAY_RE = re.compile(rf"\b(\d{{1,2}}) ({'|'.join(_MONTHS)}) (\d{{4}})\b")


def _as_iso(body):
    """The page with its dates ("6 Dec 2026", the language's one format) written as ISO dates
    too, so that a date is found, or proven absent, whichever way a part of the page prints it."""
    return _DAY_RE.sub(
        lambda m: dt.date(int(m[3]), _MONTHS.index(m[2]) + 1, int(m[1])).isoformat(), body
    )


def _assert_absent(bodies, markers):
    for url, body in bodies.items():
        for what, marker in markers.items():
            assert marker not in body, f"{url} shows {what} ({marker})"


def test_the_cell_reads_every_reference_and_date(world, estate, client_for):
    body = _pages(client_for(world.users[Role.COORDINATOR]), estate)[
        f"/readiness/{estate.package.pk}/"
    ]
    for marker in (estate.rounds.reference, estate.rounds.eta.isoformat(), "grafenwoehr".title()):
        assert marker in body


def test_a_donor_reads_another_donors_delivery_without_reference_or_date(world, estate, client_for):
    """The probe: as DE, /readiness/<pk>/ named PL's pledge, shipment and ETA in a component
    while the bottleneck (training) was no delivery at all."""
    bodies = _pages(client_for(world.users[Role.DONOR_LIAISON]), estate)
    rounds = estate.rounds
    _assert_absent(
        bodies,
        {
            "PL's pledge": rounds.lines.get().pledge.reference,
            "PL's shipment": rounds.reference,
            "PL's ETA": rounds.eta.isoformat(),
            "PL's planned departure": rounds.planned_departure.isoformat(),
            "PL's ETA week": week_window(rounds.eta)[1].isoformat(),
        },
    )
    detail = bodies[f"/readiness/{estate.package.pk}/"]
    assert "a delivery by another donor" in detail
    # Its own delivery in full.
    assert estate.guns.reference in detail and estate.guns.eta.isoformat() in detail


def test_the_other_donor_reads_its_own_delivery_and_not_the_first_ones(world, estate, client_for):
    bodies = _pages(client_for(world.users["donor-pl"]), estate)
    guns = estate.guns
    _assert_absent(
        bodies,
        {
            "DE's pledge": estate.p.pledge.reference,
            "DE's shipment": guns.reference,
            "DE's ETA": guns.eta.isoformat(),
        },
    )
    assert estate.rounds.reference in bodies[f"/readiness/{estate.package.pk}/"]


def test_the_recipient_reads_the_week_of_a_delivery_never_its_date(world, estate, client_for):
    bodies = _pages(client_for(world.users[Role.RECIPIENT_LIAISON]), estate)
    markers = {}
    for s in (estate.guns, estate.rounds):
        markers[f"{s.reference} ETA"] = s.eta.isoformat()
        markers[f"{s.reference} planned departure"] = s.planned_departure.isoformat()
    markers["a delay in days"] = "delayed"
    _assert_absent(bodies, markers)
    detail = bodies[f"/readiness/{estate.package.pk}/"]
    monday, sunday = week_window(estate.rounds.eta)
    assert f"week {monday.isoformat()} – {sunday.isoformat()}" in detail
    assert estate.rounds.reference in detail  # a shipment it may open


def test_a_training_site_officer_reads_no_delivery_and_no_other_nations_training(
    world, estate, client_for
):
    bodies = _pages(client_for(world.users[Role.TRAINING_SITE_OFFICER]), estate)
    markers = {
        "the German site": "Grafenwoehr",
        "the German session": estate.late_session.reference,
        "the cohort trained in Germany": estate.german_cohort.reference,
        "a requirement": estate.p.guns.reference,
    }
    for s in (estate.guns, estate.rounds):
        markers[f"{s.reference}"] = s.reference
        markers[f"{s.reference} pledge"] = s.lines.get().pledge.reference
        markers[f"{s.reference} ETA"] = s.eta.isoformat()
        markers[f"{s.reference} ETA week"] = week_window(s.eta)[1].isoformat()
    _assert_absent({u: b for u, b in bodies.items() if u != "/"}, markers)
    detail = bodies[f"/readiness/{estate.package.pk}/"]
    assert "another nation&#x27;s site" in detail or "another nation's site" in detail
    assert "training of a cohort: course m109-op at another nation" in detail
    assert estate.package.ready_on.isoformat() in detail  # readiness itself is shown


def test_a_change_a_viewer_cannot_read_is_not_in_its_history(world, estate):
    """Poland's delivery now three days late, its expected date unchanged: a German donor and
    the recipient read the same words before and after, so the row (and its time) is not
    theirs to see; the cell reads it."""
    rounds, line = estate.rounds, estate.rounds.lines.get()
    fact = {
        "kind": "on_plan",
        "requirement": line.requirement_id,
        "requirement_ref": line.requirement.reference,
        "pledge": line.pledge_id,
        "pledge_ref": line.pledge.reference,
        "donor": rounds.donor_id,
        "shipment": rounds.pk,
        "shipment_ref": rounds.reference,
        "date": rounds.eta.isoformat(),
        "slip_days": 0,
    }
    change = ReadinessChange(
        package=estate.package,
        cause="ETA of the rounds",
        before_date=rounds.eta,
        after_date=rounds.eta,
        before_bottleneck=fact,
        after_bottleneck={**fact, "kind": "shipment_delayed", "slip_days": 3},
    )
    for role in (Role.DONOR_LIAISON, Role.RECIPIENT_LIAISON, Role.TRAINING_SITE_OFFICER):
        assert Wording.for_page(world.users[role], changes=[change]).change(change) is None, role
    assert Wording.for_page(world.users["donor-pl"], changes=[change]).change(change)
    assert Wording.for_page(world.users[Role.AUDITOR], changes=[change]).change(change)


def test_history_causes_name_only_what_the_viewer_may_see(world, estate, client_for):
    guns = estate.guns
    Shipment.objects.filter(pk=guns.pk).update(eta=guns.eta + dt.timedelta(weeks=6))
    services.recompute_for_shipments(
        [guns.pk],
        cause=Cause(f"shipment events: {guns.reference}", "shipment_events", shipments=(guns.pk,)),
    )
    for role in (Role.RECIPIENT_LIAISON, Role.TRAINING_SITE_OFFICER, "donor-pl"):
        page = client_for(world.users[role]).get("/readiness/").content.decode()
        assert f"shipment events: {guns.reference}" not in _text(page), role
    own = client_for(world.users[Role.DONOR_LIAISON]).get("/readiness/").content.decode()
    assert "your shipments moved" in own
    cell = client_for(world.users[Role.AUDITOR]).get("/readiness/").content.decode()
    assert f"shipment events: {guns.reference}" in _text(cell)  # linked to the shipment list
    assert f'href="/logistics/?q={guns.reference}"' in cell


def _text(html):
    """The page as read: without tags (references are links inside the sentence)."""
    return re.sub(r"<[^>]+>", "", html)
