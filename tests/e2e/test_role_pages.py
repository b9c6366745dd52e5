"""Every role's main pages in a real browser, at 1280×800 and on a 390×844 phone: a screenshot of
each (test-artifacts/screenshots/<role>-<page>-<size>.png), axe-core's findings counted and
printed per page (a serious or critical one fails), and the shipment, discrepancy and receipt
pages no wider than the phone. One test per role."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from playwright.sync_api import expect

from coordcell.logistics.lifecycle import S
from coordcell.logistics.models import Discrepancy
from coordcell.logistics.tests.discrepancy_fixtures import discrepancy_at, shipment_at
from coordcell.pledges.tests.factories import PledgeFactory
from coordcell.registry.models import Role
from coordcell.requirements.models import Requirement
from coordcell.requirements.tests.factories import RequirementFactory
from coordcell.training import services as training_services
from coordcell.training.models import monday
from coordcell.training.tests.factories import make_cohort, make_courses, make_session, make_site

from .pages import PHONE, SCREENSHOTS, Sweep, main_pages, register_pages, with_axe

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# A crate number long enough to widen any page that does not wrap it.
LONG_SERIAL = "SN-" + "0" * 40 + "42"


@pytest.fixture
def scene(world: Any) -> Any:
    """A German shipment handed over (awaiting receipt), another with an open discrepancy found
    at the handover, and a session under way at the British site with a cohort booked."""
    world.extra["handed_over"] = shipment_at(world, S.HANDED_OVER)
    world.extra["discrepancy"] = discrepancy_at(
        world,
        S.HANDED_OVER,  # found at the handover: the recipient sees it too
        kind=Discrepancy.Kind.DAMAGED,
        quantity=1,
        description=f"Crate {LONG_SERIAL} arrived with its seal broken; one round dented. " * 3,
    )
    op, _mnt = make_courses(world)
    site = make_site(world, "GB", "salisbury-plain", [op])
    session = make_session(op, site, monday(dt.date.today()))  # under way
    training_services.booking_create(
        actor=world.users[Role.COORDINATOR], cohort=make_cohort(world, [op]), session=session
    )
    world.extra["session"] = session
    # Something left to allocate: the coordinator's sweep runs the allocation (its charts).
    PledgeFactory(
        donor=world.nations["PL"], origin=world.depots["PL"], category=world.category, quantity=80
    )
    RequirementFactory(
        priority=1,
        quantity=120,
        category=world.category,
        capability=world.capability,
        delivery_point=world.delivery_point,
        need_by=dt.date.today() + dt.timedelta(weeks=6),
    )
    return world


def _sweep(
    login: Any, user: Any, role: str, extra: list[tuple[str, str]], *, run: bool = False
) -> Sweep:
    """Open the role's main menu pages, then its working pages (asserted phone-wide); with
    ``run``, also a new allocation run's page (its charts), run from the allocation page."""
    session = with_axe(login(user.username))
    sweep = Sweep(role)
    page = session.page
    for path in main_pages(page):
        working = path.startswith(("/logistics/", "/discrepancies/"))
        sweep.visit(page, path, phone_page=working)
    for name, path in extra:
        sweep.visit(page, path, name, phone_page=True)
    if run:
        page.goto("/allocation/")
        page.click("summary:has-text('New allocation run')")
        page.click("button:has-text('Run the allocation')")
        page.wait_for_selector("#commit-link")
        sweep.visit(page, page.url.removeprefix(session.base_url), "allocation-run")
    return sweep


def _working_pages(world: Any) -> list[tuple[str, str]]:
    shipment = world.extra["handed_over"]
    discrepancy = world.extra["discrepancy"]
    return [
        ("shipment-receipt", f"/logistics/shipments/{shipment.pk}/"),
        ("shipment-discrepancy", f"/logistics/shipments/{discrepancy.shipment_id}/"),
        ("discrepancy", f"/discrepancies/{discrepancy.pk}/"),
    ]


def _load_page(world: Any) -> list[tuple[str, str]]:
    """The load the handed-over shipment travelled in: for those who see its route."""
    return [("load", f"/logistics/shipments/{world.extra['handed_over'].pk}/load/")]


def test_coordinator_pages(scene: Any, login: Any) -> None:
    coordinator = scene.users[Role.COORDINATOR]
    pages = [*_working_pages(scene), *_load_page(scene)]
    sweep = _sweep(login, coordinator, "coordinator", pages, run=True)
    sweep.report()


def test_coordinator_register_pages(scene: Any, login: Any) -> None:
    session = with_axe(login(scene.users[Role.COORDINATOR].username))
    sweep = Sweep("coordinator")
    for path in register_pages(session.page):
        sweep.visit(session.page, path)
    sweep.report()


def test_donor_pages(scene: Any, login: Any) -> None:
    pages = [*_working_pages(scene), *_load_page(scene), ("pledge-new", "/pledges/new/")]
    sweep = _sweep(login, scene.users[Role.DONOR_LIAISON], "donor", pages)
    sweep.report()


def test_recipient_pages(scene: Any, login: Any) -> None:
    pages = [
        *_working_pages(scene),
        ("requirement-new", "/requirements/new/"),
        ("cohort-new", "/training/cohorts/new/"),
    ]
    sweep = _sweep(login, scene.users[Role.RECIPIENT_LIAISON], "recipient", pages)
    sweep.report()


def test_auditor_pages(scene: Any, login: Any) -> None:
    sweep = _sweep(login, scene.users[Role.AUDITOR], "auditor", _working_pages(scene))
    sweep.report()


def test_site_officer_pages(scene: Any, login: Any) -> None:
    session = scene.extra["session"]
    attendance = [("session-attendance", f"/training/sessions/{session.pk}/attendance/")]
    sweep = _sweep(login, scene.users[Role.TRAINING_SITE_OFFICER], "site-officer", attendance)
    sweep.report()


def test_phone_header_is_compact_and_its_menu_opens_without_script(scene: Any, login: Any) -> None:
    page = login(scene.users[Role.RECIPIENT_LIAISON].username).page
    page.set_viewport_size(PHONE)
    page.goto(f"/logistics/shipments/{scene.extra['handed_over'].pk}/")
    header = page.locator("header.site-header")
    height = header.bounding_box()["height"]
    print(f"\nheader on a 390 px phone: {height:.0f} px")
    assert height <= 110
    menu = page.locator("header nav .nav-main")
    expect(menu).to_be_hidden()
    page.click("header nav summary:has-text('Menu')")
    expect(menu).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "recipient-menu-open-390x844.png"))
    page.click("header nav .nav-main a:has-text('Discrepancies')")
    page.wait_for_url("**/discrepancies/")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]


def test_phone_shipment_list_shows_labelled_cards_also_after_filtering(
    scene: Any, login: Any
) -> None:
    # Every requirement urgent: the rows stay whatever priority the filter form sends along.
    Requirement.objects.update(priority=1)
    page = login(scene.users[Role.COORDINATOR].username).page
    page.set_viewport_size(PHONE)
    page.goto("/logistics/")
    status = page.locator("main table tbody td[data-label]").filter(has_text="Handed over").first
    assert status.get_attribute("data-label") == "Status"
    # The filter swaps the list in with htmx: the new rows are labelled too.
    page.select_option("select[name=status]", "handed_over")
    page.wait_for_url("**status=handed_over**")
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-settling')")
    cells = page.locator("main table tbody tr").first.locator("td")
    labels = [cells.nth(i).get_attribute("data-label") for i in range(cells.count())]
    assert labels[0] == "Reference" and None not in labels
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]


def test_registers_menu_shows_where_the_keyboard_is(scene: Any, login: Any) -> None:
    page = login(scene.users[Role.COORDINATOR].username).page
    page.goto("/")
    registers = page.locator("header nav summary:has-text('Registers')")
    for _ in range(40):
        page.keyboard.press("Tab")
        if registers.evaluate("el => el === document.activeElement"):
            break
    else:
        pytest.fail("the Registers menu is not reached with Tab")
    outline = registers.evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline not in ("", "none")
