"""Who may see what, written down once from README.md, docs/logistics.md and docs/training.md —
never taken from the app's own access functions, which the crawl is there to test.

A *canary* is a token ``CNRY-<nation>-<4 hex>`` planted in a free-text field of a record that
belongs to a nation. The 4 hex digits name the field and the record's visibility class (a pledge's
status, an event's stage...), so a token found in a response says exactly whose field leaked.
Route and time canaries are distinctive values (a hub's name, dates in 2037-2039) planted on one
shipment of each donor: their appearance is route or timing information.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

CANARY_RE = re.compile(r"CNRY-([A-Z]{2})-([0-9a-f]{4})")

COORDINATOR, AUDITOR = "coordinator", "auditor"
DONOR, RECIPIENT, OFFICER = "donor_liaison", "recipient_liaison", "training_site_officer"


@dataclass(frozen=True)
class Viewer:
    login: str  # the demo login (coordcell/demo/scenario.py), or "anonymous"
    role: str
    nation: str | None


VIEWERS = [
    Viewer("anonymous", "", None),
    Viewer("coordinator", COORDINATOR, None),
    Viewer("auditor", AUDITOR, None),
    Viewer("donor-de", DONOR, "DE"),
    Viewer("donor-pl", DONOR, "PL"),
    Viewer("recipient", RECIPIENT, "UA"),
    Viewer("trainer-gb", OFFICER, "GB"),
]
# Donors whose shipments carry the route and time canaries: two with a login, one without.
ROUTE_DONORS = ("DE", "PL", "US")
RECIPIENT_NATION = "UA"


@dataclass(frozen=True)
class Canary:
    token: str
    nation: str  # whose record it is
    what: str  # "pledges.pledge.conditions", "route: hub", "time: eta"...
    klass: str = ""  # the record's visibility class: a pledge's status, an event's stage...
    route: bool = False  # route or timing information of a shipment

    def describe(self) -> str:
        klass = f" [{self.klass}]" if self.klass else ""
        return f"{self.nation}'s {self.what}{klass}"


def token(nation: str, what: str, klass: str = "") -> str:
    digest = hashlib.sha1(f"{what}|{klass}".encode(), usedforsecurity=False).hexdigest()[:4]
    return f"CNRY-{nation}-{digest}"


def _cell(v: Viewer) -> bool:
    return v.role in (COORDINATOR, AUDITOR)


def _donor(v: Viewer, nation: str) -> bool:
    return v.role == DONOR and v.nation == nation


def _officer(v: Viewer, nation: str) -> bool:
    return v.role == OFFICER and v.nation == nation


def _with_need(v: Viewer, c: Canary) -> bool:
    """Route and times (docs/logistics.md, "Access"): the cell and the shipment's own donor; the
    recipient only the handover point, an ETA window and the handover/receipt events."""
    return _cell(v) or _donor(v, c.nation)


def _pledge(v: Viewer, c: Canary) -> bool:
    # README: a donor its own nation's pledges; the recipient the confirmed ones.
    return _cell(v) or _donor(v, c.nation) or (v.role == RECIPIENT and c.klass == "confirmed")


def _requirement(v: Viewer, c: Canary) -> bool:
    # README: donors see the requirements; training-site officers have no need.
    return _cell(v) or v.role in (DONOR, RECIPIENT)


def _shipment(v: Viewer, c: Canary) -> bool:
    if c.what.endswith(".reference"):  # the recipient sees every shipment, at last-leg level
        return _with_need(v, c) or v.role == RECIPIENT
    return _with_need(v, c)  # the reason of a change by hand is not on the recipient's list


def _handover_part(v: Viewer, c: Canary) -> bool:
    # Events, discrepancies and serials: the recipient sees those of the handover and receipt.
    return _with_need(v, c) or (v.role == RECIPIENT and c.klass == "handover")


def _inventory_check(v: Viewer, c: Canary) -> bool:
    # End-use checks of received items: recorded by the cell or the recipient.
    return _with_need(v, c) or v.role == RECIPIENT


def _cohort(v: Viewer, c: Canary) -> bool:
    # README: the recipient's cohorts; a site officer sees the cohorts booked at its sites.
    booked_at = c.klass.split("+") if c.klass else []
    return _cell(v) or v.role == RECIPIENT or (v.role == OFFICER and v.nation in booked_at)


def _session(v: Viewer, c: Canary) -> bool:
    # docs/training.md: the recipient sees sessions; an officer its own nation's sites' sessions.
    return _cell(v) or v.role == RECIPIENT or _officer(v, c.nation)


def _site_part(v: Viewer, c: Canary) -> bool:
    # A site's blackout is part of the site: donors and the recipient see sites, an officer its own.
    return _cell(v) or v.role in (DONOR, RECIPIENT) or _officer(v, c.nation)


def _depot(v: Viewer, c: Canary) -> bool:
    # A depot is a donor's origin: route information, its own business.
    return _with_need(v, c)


def _personal(v: Viewer, c: Canary) -> bool:
    # A user's name, token or saved mapping: that user (and the cell, which keeps the users).
    return _cell(v) or v.login == c.klass


def _event_class(obj: Any) -> str:
    return "handover" if obj.status in ("handed_over", "received") else "transit"


@dataclass(frozen=True)
class Ownership:
    """How a record belongs to a nation, its visibility class, and who may read its text."""

    owner: Callable[[Any], str | None]  # the nation code, None: not a nation's record
    klass: Callable[[Any], str]
    see: Callable[[Viewer, Canary], bool]
    related: tuple[str, ...] = ()
    skip: frozenset[str] = frozenset()  # text fields that are logins or identifiers


def _none(_obj: Any) -> str:
    return ""


def _pledge_history(v: Viewer, c: Canary) -> bool:
    # docs/import.md: a pledge's delivered history is read as its ledger, by the cell and the
    # pledge's own donor; its source is free text, like conditions the recipient does not read.
    return _cell(v) or _donor(v, c.nation)


OWNED: dict[str, Ownership] = {
    "pledges.pledge": Ownership(lambda o: o.donor.code, lambda o: o.status, _pledge, ("donor",)),
    "pledges.pledgedelivery": Ownership(
        lambda o: o.pledge.donor.code, _none, _pledge_history, ("pledge__donor",)
    ),
    "requirements.requirement": Ownership(
        lambda o: RECIPIENT_NATION, _none, _requirement, ("capability",)
    ),
    "logistics.shipment": Ownership(lambda o: o.donor.code, _none, _shipment, ("donor",)),
    "logistics.shipmentevent": Ownership(
        lambda o: o.shipment.donor.code, _event_class, _handover_part, ("shipment__donor",)
    ),
    "logistics.serialitem": Ownership(
        lambda o: o.shipment_line.shipment.donor.code,
        lambda o: "handover" if o.received_at else "transit",
        _handover_part,
        ("shipment_line__shipment__donor",),
    ),
    "logistics.discrepancy": Ownership(
        lambda o: o.shipment.donor.code,
        lambda o: "handover" if o.stage in ("handed_over", "received") else "transit",
        _handover_part,
        ("shipment__donor",),
    ),
    "logistics.inventorycheck": Ownership(
        lambda o: o.item.shipment_line.shipment.donor.code,
        _none,
        _inventory_check,
        ("item__shipment_line__shipment__donor",),
    ),
    "training.cohort": Ownership(
        lambda o: RECIPIENT_NATION,
        lambda o: "+".join(sorted({b.session.site.location.nation.code for b in o.bookings.all()})),
        _cohort,
        ("capability",),
    ),
    "training.session": Ownership(
        lambda o: o.site.location.nation.code, _none, _session, ("site__location__nation",)
    ),
    # A booking's result note (issue 18): read with the session, by its site and the cell, and by
    # the recipient whose cohort it is (bookings_visible_to).
    "training.booking": Ownership(
        lambda o: o.session.site.location.nation.code,
        _none,
        _session,
        ("session__site__location__nation",),
    ),
    "training.blackout": Ownership(
        lambda o: o.site.location.nation.code, _none, _site_part, ("site__location__nation",)
    ),
    "registry.location": Ownership(
        lambda o: o.nation.code if o.kind == "depot" else None, _none, _depot, ("nation",)
    ),
    "registry.user": Ownership(
        lambda o: o.nation.code if o.nation_id else None,
        lambda o: o.username,
        _personal,
        ("nation",),
        frozenset({"username", "password", "email"}),
    ),
    "api.apitoken": Ownership(
        lambda o: o.user.nation.code if o.user.nation_id else None,
        lambda o: o.user.username,
        _personal,
        ("user__nation",),
        frozenset({"hint", "digest"}),
    ),
    # A notice is written for its recipient only (coordcell/notifications/texts.py).
    "notifications.notification": Ownership(
        lambda o: o.recipient.nation.code if o.recipient.nation_id else None,
        lambda o: o.recipient.username,
        _personal,
        ("recipient__nation",),
        frozenset({"link", "target_type", "target_id", "email_error"}),
    ),
    "exchange.savedmapping": Ownership(
        lambda o: o.owner.nation.code if o.owner.nation_id else None,
        lambda o: o.owner.username,
        _personal,
        ("owner__nation",),
        frozenset({"kind"}),
    ),
}

# Models with free text that no nation owns, and why their text carries no canary.
REFERENCE_DATA = "shared reference data every logged-in user reads (README: kept by the cell)"
EXEMPT: dict[str, str] = {
    "registry.nation": REFERENCE_DATA,
    "registry.organisation": REFERENCE_DATA,
    "registry.itemcategory": REFERENCE_DATA,
    "registry.stocknumber": REFERENCE_DATA,
    "registry.capabilitycoalition": REFERENCE_DATA,
    "registry.capability": REFERENCE_DATA,
    "registry.hubcapacity": "a hub's throughput, closures and their reasons: the cell's "
    "coordinators and auditors only (docs/security.md); other roles reach no page of it",
    "training.course": "the course catalogue, read by every role (docs/training.md)",
    "allocation.allocationrun": "the cell's own plans: coordinators and auditors only",
    "training.schedulerun": "the cell's own plans: coordinators and auditors only",
    "readiness.capabilitypackage": "a cell record; its derived texts quote canaried references",
    "readiness.readinesschange": "derived texts, recomputed from canaried records",
    "logistics.discrepancyphoto": "only its content type; the photo's bytes are checked instead",
    "audit.auditevent": "the hash-chained trail is never rewritten; it quotes canaried records",
    "audit.audithead": "the trail's head",
    "jobs.workerheartbeat": "worker processes, not a nation's record",
    "exchange.importupload": "an upload is seen by its uploader only (uploads_visible_to); the "
    "crawl probes the import pages of each role",
    "exchange.importrun": "a run of an upload, seen with its upload",
}
# Django's and its add-ons' own tables: sessions, log-in throttling, second factors, job queue.
FRAMEWORK_APPS = {
    "admin",
    "auth",
    "contenttypes",
    "sessions",
    "axes",
    "otp_totp",
    "django_tasks_database",
}


def may_see(viewer: Viewer, canary: Canary) -> bool:
    if viewer.role == "":
        return False  # anonymous: nothing at all
    if canary.route:
        return _with_need(viewer, canary)
    model = canary.what.rsplit(".", 1)[0]
    return OWNED[model].see(viewer, canary)


# ---- route and time canaries: one shipment per donor in ROUTE_DONORS ----


def _weekday_from(day: dt.date, weekday: int) -> dt.date:
    return day + dt.timedelta(days=(weekday - day.weekday()) % 7)


# Years no other record reaches (the demo plans a year or two ahead), counted from today so that
# the test never runs into them.
CANARY_YEAR = dt.date.today().year + 11
# The ETA of each canary shipment, on different weekdays (Tue, Thu, Wed), so that a window that
# is a fixed offset of the ETA shows the same offsets for every shipment (see eta_windows).
CANARY_ETA = {
    "DE": _weekday_from(dt.date(CANARY_YEAR, 2, 9), 1),
    "PL": _weekday_from(dt.date(CANARY_YEAR + 1, 2, 9), 3),
    "US": _weekday_from(dt.date(CANARY_YEAR + 2, 2, 9), 2),
}
# field -> the day it gets, counted in fortnights from 1 March of the canary year: every value is
# a day no other record has, at least two weeks from the ETA and from each other.
TIME_FIELDS = (
    "shipment planned departure",
    "shipment planned handover",
    "shipment next milestone due",
    "shipment status time",
    "leg 1 planned departure",
    "leg 1 planned arrival",
    "leg 1 expected departure",
    "leg 1 expected arrival",
    "leg 1 actual departure",
    "leg 1 actual arrival",
    "leg 2 planned departure",
    "leg 2 planned arrival",
    "leg 2 expected departure",
    "event ready at origin",
    "event departed",
    "event at hub",
)


def time_values(nation: str) -> dict[str, dt.date]:
    eta = CANARY_ETA[nation]
    start = dt.date(eta.year, 3, 1)
    values = {f: start + dt.timedelta(days=14 * i) for i, f in enumerate(TIME_FIELDS)}
    values["ETA (and leg 2 expected arrival)"] = eta
    return values


def at(day: dt.date, hour: int = 4, minute: int = 37) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=dt.UTC)


def route_canaries() -> tuple[dict[dt.date, Canary], Canary]:
    """The date canaries by day, and the canary hub's name (on PL's canary shipment's route)."""
    dates = {}
    for nation in ROUTE_DONORS:
        for what, day in time_values(nation).items():
            dates[day] = Canary(token(nation, f"time: {what}"), nation, f"time: {what}", route=True)
    what = "route: hub (a hub on its shipment's route)"
    hub = Canary(token("PL", what), "PL", what, route=True)
    return dates, hub


DATES, HUB = route_canaries()
