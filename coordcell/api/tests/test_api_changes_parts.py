"""The change feed lists a shipment's lines, legs and serial items with each change of the
shipment (they are recorded on it), only to who sees that shipment in full — a donor its own
nation's, never another's; the recipient none (legs are routes, their times the route's) —
and each reader's own notifications, nobody else's."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from coordcell.api.changes import BY_NAME, encode_cursor
from coordcell.audit.models import AuditEvent
from coordcell.logistics.lifecycle import S
from coordcell.logistics.models import Leg, SerialItem, ShipmentLine
from coordcell.logistics.selectors import Detail, shipment_detail_level
from coordcell.logistics.tests.factories import event, ingest, make_shipment
from coordcell.notifications.models import Kind, Notification
from coordcell.registry.models import Role
from coordcell.registry.tests.factories import ItemCategoryFactory

pytestmark = pytest.mark.django_db

ROLES = {
    "coordinator": Role.COORDINATOR,
    "auditor": Role.AUDITOR,
    "donor-de": Role.DONOR_LIAISON,
    "donor-pl": "donor-pl",
    "recipient": Role.RECIPIENT_LIAISON,
    "trainer": Role.TRAINING_SITE_OFFICER,
}
PARTS = ("shipment-line", "leg", "serial-item")


def _notice(user: Any, subject: str) -> Notification:
    return Notification.objects.create(
        recipient=user, kind=Kind.PLEDGE_SLIPPED, subject=subject, created_at=timezone.now()
    )


@pytest.fixture
def shipped(world: Any) -> dict[str, Any]:
    """A German shipment of two serial-numbered items, ready and departed; a Polish one handed
    over to the recipient; a notification for each donor."""
    manpads = ItemCategoryFactory(code="manpads", sensitive=True)
    german = make_shipment(world, donor="DE", category=manpads, quantity=2)
    polish = make_shipment(world, donor="PL", quantity=10)
    at = timezone.now() - dt.timedelta(days=2)
    result = ingest(
        world,
        [
            event(german, S.READY, at, serials=["M-1", "M-2"]),
            event(german, S.DEPARTED, at + dt.timedelta(hours=1)),
            event(polish, S.READY, at),
            event(polish, S.DEPARTED, at + dt.timedelta(hours=1), quantity=10),
            event(polish, S.AT_HUB, at + dt.timedelta(hours=5), quantity=10),
            event(polish, S.DEPARTED_HUB, at + dt.timedelta(hours=9)),
            event(
                polish,
                S.HANDED_OVER,
                at + dt.timedelta(hours=20),
                quantity=10,
                handed_over_by="Sgt. Weber (carrier)",
                taken_over_by="Capt. Shevchenko",
            ),
        ],
    )
    assert not result.rejected, result.rejected
    return {
        "german": german,
        "polish": polish,
        "notices": {
            "donor-de": _notice(world.users[Role.DONOR_LIAISON], "For Germany"),
            "donor-pl": _notice(world.users["donor-pl"], "For Poland"),
        },
    }


def _follow(api: Any, url: str = "/api/v1/changes?page_size=1000") -> tuple[list[dict], str]:
    changes: list[dict] = []
    cursor = ""
    for _ in range(200):
        body = api.get(url).json()
        changes += body["results"]
        url, cursor = body["next"], body["cursor"]
        if not url:
            return changes, cursor
    raise AssertionError("the feed did not end")


def _of(changes: list[dict], kind: str) -> set[int]:
    return {c["id"] for c in changes if c["type"] == kind}


def _parts(shipment: Any) -> dict[str, set[int]]:
    return {
        "shipment-line": set(
            ShipmentLine.objects.filter(shipment=shipment).values_list("pk", flat=True)
        ),
        "leg": set(Leg.objects.filter(shipment=shipment).values_list("pk", flat=True)),
        "serial-item": set(
            SerialItem.objects.filter(shipment_line__shipment=shipment).values_list("pk", flat=True)
        ),
    }


def test_the_cell_follows_every_shipments_lines_legs_and_items(world, shipped, api_for):
    changes, _ = _follow(api_for(world.users[Role.COORDINATOR]))
    german, polish = _parts(shipped["german"]), _parts(shipped["polish"])
    assert german["serial-item"] and german["leg"] and german["shipment-line"]
    for kind in PARTS:
        assert _of(changes, kind) == german[kind] | polish[kind]
    line = next(c for c in changes if c["type"] == "shipment-line")
    shipment_id = ShipmentLine.objects.get(pk=line["id"]).shipment_id
    # A line and a leg are read within their shipment; an item at its own URL.
    assert line["url"].endswith(f"/api/v1/shipments/{shipment_id}")
    item = next(c for c in changes if c["type"] == "serial-item")
    assert item["url"].endswith(f"/api/v1/serial-items/{item['id']}")
    # Listed with the change of their shipment: its verb, its time.
    events = [c for c in changes if c["type"] == "shipment-event"]
    assert {c["verb"] for c in changes if c["type"] in PARTS} <= {
        c["verb"] for c in changes if c["type"] in ("shipment", "shipment-event")
    }
    assert events


def test_a_donor_follows_its_own_shipments_parts_never_anothers(world, shipped, api_for):
    german, polish = _parts(shipped["german"]), _parts(shipped["polish"])
    de, _ = _follow(api_for(world.users[Role.DONOR_LIAISON]))
    pl, _ = _follow(api_for(world.users["donor-pl"]))
    for kind in PARTS:
        assert _of(de, kind) == german[kind]
        assert _of(pl, kind) == polish[kind]


@pytest.mark.parametrize("role", [Role.RECIPIENT_LIAISON, Role.TRAINING_SITE_OFFICER])
def test_who_reads_no_route_follows_no_line_leg_or_item(world, shipped, api_for, role):
    # The recipient reads the handed-over shipment's last leg, with its shipment; the times of
    # its changes would tell the route's, so the feed lists none of them.
    changes, _ = _follow(api_for(world.users[role]))
    assert not [c for c in changes if c["type"] in (*PARTS, "shipment", "shipment-event")]


def test_every_listed_part_is_one_the_reader_reads_in_full(world, shipped, api_for):
    for name, role in ROLES.items():
        user = world.users[role]
        for change in _follow(api_for(user))[0]:
            kind = BY_NAME[change["type"]]
            row = kind.model._default_manager.get(pk=change["id"])
            assert kind.visible(user).filter(pk=row.pk).exists(), (name, change)
            if change["type"] in PARTS:
                shipment = (
                    ShipmentLine.objects.get(pk=row.shipment_line_id).shipment
                    if (change["type"] == "serial-item")
                    else row.shipment
                )
                assert shipment_detail_level(user, shipment) is Detail.FULL, (name, change)


def test_a_type_filter_reads_the_shipments_changes_but_lists_only_the_parts(
    world, shipped, api_for
):
    changes, _ = _follow(api_for(world.users[Role.COORDINATOR]), "/api/v1/changes?type=leg")
    assert {c["type"] for c in changes} == {"leg"}
    assert (
        _of(changes, "leg") == _parts(shipped["german"])["leg"] | _parts(shipped["polish"])["leg"]
    )


def test_small_pages_never_cut_a_shipments_parts(world, shipped, api_for):
    api = api_for(world.users[Role.COORDINATOR])
    whole, _ = _follow(api)
    paged, _ = _follow(api, "/api/v1/changes?page_size=2")
    key = [(c["type"], c["id"], c["verb"], c["at"]) for c in whole]
    assert [(c["type"], c["id"], c["verb"], c["at"]) for c in paged] == key


def test_each_reader_follows_its_own_notifications_only(world, shipped, api_for):
    de_api = api_for(world.users[Role.DONOR_LIAISON])
    de, cursor = _follow(de_api)
    mine = shipped["notices"]["donor-de"]
    assert mine.pk in _of(de, "notification")
    assert shipped["notices"]["donor-pl"].pk not in _of(de, "notification")
    listed = next(c for c in de if c["type"] == "notification" and c["id"] == mine.pk)
    assert listed["verb"] == "create" and listed["url"].endswith(f"/api/v1/notifications/{mine.pk}")
    coordinator, _ = _follow(api_for(world.users[Role.COORDINATOR]))
    assert not _of(coordinator, "notification") & {n.pk for n in shipped["notices"].values()}
    # Nothing new: the same cursor; a new notification is listed once, after it.
    assert de_api.get(f"/api/v1/changes?after={cursor}").json()["results"] == []
    newer = _notice(world.users[Role.DONOR_LIAISON], "Again for Germany")
    _notice(world.users["donor-pl"], "Again for Poland")
    body = de_api.get(f"/api/v1/changes?after={cursor}").json()
    assert [(c["type"], c["id"]) for c in body["results"]] == [("notification", newer.pk)]
    assert de_api.get(f"/api/v1/changes?after={body['cursor']}").json()["results"] == []


def test_a_cursor_given_before_notifications_were_listed_still_works(world, shipped, api_for):
    api = api_for(world.users[Role.DONOR_LIAISON])
    everything, _ = _follow(api)
    end = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True)[0]
    body = api.get(f"/api/v1/changes?after={encode_cursor(end)}").json()
    # The trail is read; the reader's notifications are listed from the first.
    own = Notification.objects.filter(recipient=world.users[Role.DONOR_LIAISON])
    assert [(c["type"], c["id"]) for c in body["results"]] == [
        ("notification", pk) for pk in own.order_by("pk").values_list("pk", flat=True)
    ]
    assert encode_cursor(end, 0) == encode_cursor(end)
    assert len(everything) > 1
