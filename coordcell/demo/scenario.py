"""The demo scenario: real nations and places, invented quantities and dates, deterministic.

``load_demo(size=..., seed=..., start=...)`` fills an empty database. The same size, seed and start
date always give the same rows.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from coordcell.pledges.models import Pledge
from coordcell.registry.models import (
    Capability,
    CapabilityCoalition,
    CategoryDomain,
    HubCapacity,
    ItemCategory,
    Location,
    Nation,
    Organisation,
    Role,
    StockNumber,
    User,
)
from coordcell.requirements.models import Requirement

from . import places

SIZES = {"small": 200, "medium": 5_000, "large": 50_000}
HORIZON_WEEKS = 26
# How hub capacity is spread (``demo-data --hubs``) and which hub is the main one:
#   main: as in 2025 (DOMAIN.md: one airport hub carried over 95% of the aid): the main hub,
#     Rzeszów-Jasionka, passes 1.5 times a domain's average weekly flow, so it binds only in
#     busy weeks; each other node 0.15 times and takes the overflow.  The plan sends about three
#     quarters through the main hub.
#   even: every hub about the average weekly flow per hub (the main hub, Wiesbaden, twice): every
#     hub full in most weeks, a pledge's week split over up to 8 hubs.  The instance the
#     allocation benchmarks and their targets were measured on (``benchmarks/demo_instances.py``).
HUB_PROFILES: dict[str, str] = {"main": "rzeszow-jasionka", "even": "wiesbaden-erbenheim"}
MAIN_HUB_SHARE, NODE_SHARE = 1.5, 0.15
DEMO_PASSWORD = "coordcell-demo"  # noqa: S105  # printed by make demo; demo databases only

# username, role, nation code, first, last
DEMO_LOGINS = [
    ("coordinator", Role.COORDINATOR, None, "Anna", "Keller"),
    ("donor-de", Role.DONOR_LIAISON, "DE", "Jonas", "Weber"),
    ("donor-pl", Role.DONOR_LIAISON, "PL", "Katarzyna", "Nowak"),
    ("recipient", Role.RECIPIENT_LIAISON, "UA", "Olena", "Shevchenko"),
    ("trainer-gb", Role.TRAINING_SITE_OFFICER, "GB", "James", "Carter"),
    ("auditor", Role.AUDITOR, None, "Marie", "Dubois"),
]


@dataclass(frozen=True)
class DemoSummary:
    size: str
    seed: int
    start: dt.date
    rows: dict[str, int]
    # What the demo did as the cell's people (runs committed, shipments by state...), by label.
    operation: dict[str, int] = field(default_factory=dict)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def default_start(today: dt.date | None = None) -> dt.date:
    """The demo's week 0: next Monday, or today when today is a Monday. Never in the past, so
    that a shipment the demo's plan sends in week 0 is not late the day it is committed."""
    today = today or timezone.localdate()
    return today + dt.timedelta(days=(7 - today.weekday()) % 7)


def load_demo(
    *,
    size: str = "small",
    seed: int = 1,
    start: dt.date | None = None,
    audit: bool = True,
    operation: bool = False,
    hubs: str = "main",
) -> DemoSummary:
    """Create the demo scenario in an empty database, in one transaction. With ``operation``,
    bring it to mid-operation too (``operation.bring_to_mid_operation``: training held, a
    committed plan, shipments in every state, discrepancies, packages with dates)."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {', '.join(SIZES)}, not {size!r}")
    if hubs not in HUB_PROFILES:
        raise ValueError(f"hubs must be one of {', '.join(HUB_PROFILES)}, not {hubs!r}")
    if Nation.objects.exists():
        raise RuntimeError("the database already holds data; the demo loads into an empty one")
    start = start or default_start()
    rng = random.Random(seed)
    n = SIZES[size]
    with transaction.atomic():
        builder = _Builder(rng, start, n, audit=audit, hubs=hubs)
        rows = builder.build()
        if audit:
            rows["audit events"] = builder.events
    done: dict[str, int] = {}
    if operation:
        from .operation import bring_to_mid_operation

        done = bring_to_mid_operation(start=start, seed=seed)
    return DemoSummary(size=size, seed=seed, start=start, rows=rows, operation=done)


def _loaders() -> dict[str, Any]:
    """Each app's own load action: the demo writes nothing itself (tests/write_paths.py)."""
    from coordcell.pledges.services import pledges_load
    from coordcell.readiness.services import packages_load
    from coordcell.registry.services import references_load
    from coordcell.requirements.services import requirements_load
    from coordcell.training.services import training_load

    return {
        "registry": references_load,
        "pledges": pledges_load,
        "requirements": requirements_load,
        "training": training_load,
        "readiness": packages_load,
    }


class _Builder:
    """Builds the scenario and hands each batch to its app's load action, as the installation
    (actor None), each record checked by its model's rules and, with ``audit``, given its
    ``demo-data`` event."""

    def __init__(
        self, rng: random.Random, start: dt.date, n: int, *, audit: bool, hubs: str = "main"
    ) -> None:
        self.rng, self.start, self.n, self.audit_on = rng, start, n, audit
        self.hub_profile, self.main_hub = hubs, HUB_PROFILES[hubs]
        self.created: dict[str, list[Any]] = defaultdict(list)
        self.now = timezone.now()
        self.events = 0
        self.loaders = _loaders()

    def _load(self, model: Any, objects: list[Any], *, audit: bool, check: bool) -> list[Any]:
        if objects:
            self.events += self.loaders[model._meta.app_label](
                actor=None,
                objects=objects,
                verb="demo-data",
                audit=audit and self.audit_on,
                check=check,
            )
        return objects

    def _bulk(self, label: str, model: Any, objects: list[Any]) -> list[Any]:
        made = self._load(model, objects, audit=True, check=True)
        self.created[label].extend(made)
        return made

    def _links(self, through: Any, links: list[Any]) -> None:
        """Many-to-many links between records just loaded (part of their owner's record)."""
        self._load(through, links, audit=False, check=False)

    def build(self) -> dict[str, int]:
        nations = self._nations()
        locations = self._locations(nations)
        categories = self._categories()
        capabilities = self._coalitions(nations)
        self._users(nations)
        self._requirements(categories, capabilities, locations)
        self._pledges(nations, categories, locations, capabilities)
        self._hub_capacities(locations)
        self._training(locations, categories, capabilities)
        return {label: len(objs) for label, objs in self.created.items()}

    def _nations(self) -> dict[str, Nation]:
        rows = [Nation(code=places.RECIPIENT[0], name=places.RECIPIENT[1], is_recipient=True)]
        for code, name, host, *_ in places.DONORS:
            rows.append(Nation(code=code, name=name, is_donor=True, is_host=host))
        made = self._bulk("nations", Nation, rows)
        by_code = {n.code: n for n in made}
        orgs = [
            Organisation(
                nation=n, name=f"Ministry of Defence of {n.name}", kind=Organisation.Kind.MINISTRY
            )
            for n in made
        ]
        orgs.append(
            Organisation(
                nation=by_code["DE"],
                name="NATO Security Assistance and Training coordination cell",
                kind=Organisation.Kind.COMMAND,
            )
        )
        self._bulk("organisations", Organisation, orgs)
        return by_code

    def _locations(self, nations: dict[str, Nation]) -> dict[str, list[Location]]:
        rows = []
        code, name, nation, lat, lon = places.HEADQUARTERS
        rows.append(
            Location(
                code=code,
                name=name,
                kind=Location.Kind.HEADQUARTERS,
                nation=nations[nation],
                latitude=_d(lat),
                longitude=_d(lon),
            )
        )
        for code, name, nation, lat, lon in places.HUBS:
            rows.append(
                Location(
                    code=code,
                    name=name,
                    kind=Location.Kind.HUB,
                    is_main_hub=code == self.main_hub,
                    nation=nations[nation],
                    latitude=_d(lat),
                    longitude=_d(lon),
                )
            )
        for code, name, lat, lon in places.DELIVERY_POINTS:
            rows.append(
                Location(
                    code=f"dp-{code}",
                    name=f"{name} handover point",
                    kind=Location.Kind.DELIVERY_POINT,
                    nation=nations[places.RECIPIENT[0]],
                    latitude=_d(lat),
                    longitude=_d(lon),
                )
            )
        for ncode, _name, _host, (city, lat, lon), *_ in places.DONORS:
            rows.append(
                Location(
                    code=f"depot-{ncode.lower()}",
                    name=f"{city} depot",
                    kind=Location.Kind.DEPOT,
                    nation=nations[ncode],
                    latitude=_d(lat),
                    longitude=_d(lon),
                )
            )
        for code, name, nation, lat, lon in places.TRAINING_SITES:
            rows.append(
                Location(
                    code=code,
                    name=name,
                    kind=Location.Kind.TRAINING_SITE,
                    nation=nations[nation],
                    latitude=_d(lat),
                    longitude=_d(lon),
                )
            )
        by_kind: dict[str, list[Location]] = defaultdict(list)
        for loc in self._bulk("locations", Location, rows):
            by_kind[loc.kind].append(loc)
        return by_kind

    def _categories(self) -> dict[str, ItemCategory]:
        rows = [
            ItemCategory(
                code=code, name=name, domain=domain, unit=unit, nsc=nsc, sensitive=sensitive
            )
            for code, name, domain, unit, nsc, sensitive, _q in places.CATEGORIES
        ]
        by_code = {c.code: c for c in self._bulk("item categories", ItemCategory, rows)}
        through = ItemCategory.can_serve.through
        self._links(
            through,
            [
                through(from_itemcategory=by_code[s], to_itemcategory=by_code[req])
                for req, servers in places.COMPATIBILITY.items()
                for s in servers
            ],
        )
        nsns = []
        for i, (code, _n, _d, _u, nsc, _s, _q) in enumerate(places.CATEGORIES):
            nsns.append(
                StockNumber(
                    category=by_code[code],
                    description=by_code[code].name,
                    nsn=f"{nsc}-{12 + i % 20:02d}-{100 + 7 * i:03d}-{1000 + 37 * i:04d}",
                )
            )
        self._bulk("stock numbers", StockNumber, nsns)
        return by_code

    def _coalitions(self, nations: dict[str, Nation]) -> list[Capability]:
        coalitions = self._bulk(
            "coalitions",
            CapabilityCoalition,
            [
                CapabilityCoalition(name=name, domain=domain)
                for name, domain, _l, _m in places.COALITIONS
            ],
        )
        leads_through = CapabilityCoalition.lead_nations.through
        members_through = CapabilityCoalition.members.through
        self._links(
            leads_through,
            [
                leads_through(capabilitycoalition=coalition, nation=nations[c])
                for coalition, (_n, _d, leads, _m) in zip(
                    coalitions, places.COALITIONS, strict=True
                )
                for c in leads
            ],
        )
        self._links(
            members_through,
            [
                members_through(capabilitycoalition=coalition, nation=nations[c])
                for coalition, (_n, _d, _l, members) in zip(
                    coalitions, places.COALITIONS, strict=True
                )
                for c in members
            ],
        )
        return self._bulk(
            "capabilities",
            Capability,
            [
                Capability(code=code, name=name, coalition=coalitions[idx])
                for code, name, idx in places.CAPABILITIES
            ],
        )

    def _users(self, nations: dict[str, Nation]) -> None:
        from django.contrib.auth.hashers import make_password

        password = make_password(DEMO_PASSWORD)
        self._bulk(
            "users",
            User,
            [
                User(
                    username=u,
                    role=role,
                    nation=nations[n] if n else None,
                    first_name=first,
                    last_name=last,
                    email=f"{u}@coordcell.invalid",
                    password=password,
                    is_staff=role == Role.COORDINATOR,
                )
                for u, role, n, first, last in DEMO_LOGINS
            ],
        )

    def _week(self, week: int) -> dt.date:
        return self.start + dt.timedelta(weeks=week)

    def _requirements(
        self,
        categories: dict[str, ItemCategory],
        capabilities: list[Capability],
        locations: dict[str, list[Location]],
    ) -> None:
        rng = self.rng
        caps = {c.code: c for c in capabilities}
        points = locations[Location.Kind.DELIVERY_POINT]
        specs = places.CATEGORIES
        rows = []
        for i in range(self.n):
            code, _name, domain, *_rest, (low, high) = specs[rng.randrange(len(specs))]
            priority = rng.choices([1, 2, 3, 4, 5], weights=[10, 20, 35, 25, 10])[0]
            week = rng.randint(2, HORIZON_WEEKS - 1)
            capability = caps[rng.choice(places.CAPABILITIES_BY_DOMAIN[domain])]
            rows.append(
                Requirement(
                    reference=f"R-{i + 1:06d}",
                    capability=capability,
                    category=categories[code],
                    quantity=rng.randint(low, high),
                    need_by=self._week(week) + dt.timedelta(days=4),
                    priority=priority,
                    delivery_point=points[rng.randrange(len(points))],
                    status=Requirement.Status.OPEN,
                    justification=f"Priority {priority} need of the {capability.name}",
                )
            )
        self._bulk("requirements", Requirement, rows)

    def _pledges(
        self,
        nations: dict[str, Nation],
        categories: dict[str, ItemCategory],
        locations: dict[str, list[Location]],
        capabilities: list[Capability],
    ) -> None:
        rng = self.rng
        depots = {loc.nation_id: loc for loc in locations[Location.Kind.DEPOT]}
        hubs = locations[Location.Kind.HUB]
        donors = [
            (nations[code], basis, currency) for code, _n, _h, _d, basis, currency in places.DONORS
        ]
        # A few large donors give most: weights fall with the donor's rank.
        weights = [1 / (1 + 0.15 * i) for i in range(len(donors))]
        specs = places.CATEGORIES
        rows, hub_links, cap_links = [], [], []
        for i in range(self.n):
            donor, basis, currency = rng.choices(donors, weights=weights)[0]
            code, _name, domain, *_rest, (low, high) = specs[rng.randrange(len(specs))]
            quantity = rng.randint(low, high)
            status = rng.choices(list(Pledge.Status), weights=[15, 80, 5])[0]
            unit_value = Decimal(rng.choice([12, 35, 80, 400, 2500, 90000, 1200000]))
            conditions = []
            if rng.random() < 0.1:
                chosen = rng.sample(hubs, k=2)
                hub_links.append((i, chosen))
                conditions.append("Only through " + " or ".join(h.name for h in chosen))
            if rng.random() < 0.05:
                capability = next(
                    c for c in capabilities if c.code in places.CAPABILITIES_BY_DOMAIN[domain]
                )
                cap_links.append((i, capability))
                conditions.append("only for " + capability.name)
            rows.append(
                Pledge(
                    reference=f"P-{i + 1:06d}",
                    donor=donor,
                    donor_reference=f"{donor.code}-{i + 1:06d}",
                    category=categories[code],
                    quantity=quantity,
                    available_from=self._week(rng.randint(0, HORIZON_WEEKS - 4)),
                    origin=depots[donor.id],
                    status=status,
                    value=unit_value * quantity,
                    currency=currency,
                    valuation_basis=basis,
                    conditions="; ".join(conditions),
                )
            )
        self._bulk("pledges", Pledge, rows)
        hub_through = Pledge.allowed_hubs.through
        self._links(
            hub_through,
            [hub_through(pledge=rows[i], location=h) for i, chosen in hub_links for h in chosen],
        )
        cap_through = Pledge.allowed_capabilities.through
        self._links(cap_through, [cap_through(pledge=rows[i], capability=c) for i, c in cap_links])
        self.pledged_by_domain: dict[str, int] = defaultdict(int)
        for pledge in rows:
            if pledge.status != Pledge.Status.WITHDRAWN:
                self.pledged_by_domain[pledge.category.domain] += pledge.quantity or 0

    def _hub_capacities(self, locations: dict[str, list[Location]]) -> None:
        hubs = locations[Location.Kind.HUB]
        rows = []
        for hub in hubs:
            for domain, _label in CategoryDomain.choices:  # ItemCategory.domain's
                flow = self.pledged_by_domain.get(domain, 0)
                if self.hub_profile == "even":
                    average = flow / (HORIZON_WEEKS * (len(hubs) + 1))
                    weekly = max(1, round(average * (2 if hub.is_main_hub else 1) * 1.1))
                else:
                    share = MAIN_HUB_SHARE if hub.is_main_hub else NODE_SHARE
                    weekly = max(1, round(flow / HORIZON_WEEKS * share))
                rows.append(HubCapacity(hub=hub, domain=domain, weekly_capacity=weekly))
        self._bulk("hub capacities", HubCapacity, rows)

    def _training(
        self,
        locations: dict[str, list[Location]],
        categories: dict[str, ItemCategory],
        capabilities: list[Capability],
    ) -> None:
        """Courses, the host nations' sites and sessions, the recipient's cohorts (not booked:
        ``coordcell schedule-training`` books them), and one capability package per capability."""
        from coordcell.readiness.models import CapabilityPackage, PackageItem
        from coordcell.readiness.services import recompute_all
        from coordcell.training.models import (
            Blackout,
            Cohort,
            CohortStep,
            Course,
            Session,
            TrainingSite,
        )

        # Its own stream, drawn last: the rows before stay exactly as they were.
        rng = random.Random(self.rng.getrandbits(32))
        courses = {
            c.code: c
            for c in self._bulk(
                "courses",
                Course,
                [
                    Course(
                        code=code,
                        name=name,
                        system=categories[system] if system else None,
                        skill=skill,
                        duration_weeks=weeks,
                        min_class_size=low,
                        max_class_size=high,
                        language=language,
                    )
                    for code, name, system, skill, weeks, low, high, _p, language in places.COURSES
                ],
            )
        }
        self._links(
            Course.prerequisites.through,
            [
                Course.prerequisites.through(
                    from_course_id=courses[code].id, to_course_id=courses[pre].id
                )
                for code, *_r, prereqs, _l in places.COURSES
                for pre in prereqs
            ],
        )
        sites_by_code = {loc.code: loc for loc in locations[Location.Kind.TRAINING_SITE]}
        sites = self._bulk(
            "training sites",
            TrainingSite,
            [
                TrainingSite(
                    location=sites_by_code[code],
                    instructors=rng.randint(6, 12),
                    seats_per_week=rng.choice([60, 80, 100, 150]),
                )
                for code in places.SITE_COURSES
            ],
        )
        self._links(
            TrainingSite.courses.through,
            [
                TrainingSite.courses.through(trainingsite_id=site.id, course_id=courses[c].id)
                for site in sites
                for c in places.SITE_COURSES[site.location.code]
            ],
        )
        blackouts: list[Blackout] = []
        sessions: list[Session] = []
        horizon = 2 * HORIZON_WEEKS
        for site in sites:
            off = rng.randint(8, 20)  # the site's own exercise: two weeks without courses
            blackouts.append(
                Blackout(
                    site=site,
                    starts=self._week(off),
                    ends=self._week(off + 2) - dt.timedelta(days=1),
                    reason="Host nation's own exercise",
                )
            )
            for code in places.SITE_COURSES[site.location.code]:
                course = courses[code]
                week = rng.randint(0, 3)
                while week + course.duration_weeks <= horizon:
                    if week + course.duration_weeks <= off or week >= off + 2:
                        sessions.append(
                            Session(
                                reference=f"TS-{len(sessions) + 1:06d}",
                                course=course,
                                site=site,
                                start_date=self._week(week),
                                seats=min(course.max_class_size, rng.choice([12, 16, 20, 24])),
                            )
                        )
                    week += course.duration_weeks + rng.randint(1, 4)
        self._bulk("blackouts", Blackout, blackouts)
        self._bulk("course sessions", Session, sessions)
        caps = {c.code: c for c in capabilities}
        crewed = sorted(places.CREW_PATHS)
        cohorts, paths = [], []
        for i in range(min(max(12, self.n // 20), 300)):
            cap = crewed[i % len(crewed)]
            path = rng.choice(places.CREW_PATHS[cap])
            smallest = min(courses[c].max_class_size for c in path)
            cohorts.append(
                Cohort(
                    reference=f"CO-{i + 1:06d}",
                    unit=f"{i + 1}. {rng.choice(places.CREW_UNITS)}, {caps[cap].name}",
                    trainees=rng.randint(4, min(16, smallest)),
                    capability=caps[cap],
                    earliest_release=self._week(rng.randint(0, 8)),
                    priority=rng.choices([1, 2, 3, 4, 5], weights=[10, 20, 35, 25, 10])[0],
                    created_at=self.now,
                )
            )
            paths.append(path)
        self._bulk("cohorts", Cohort, cohorts)
        self._bulk(
            "cohort course steps",
            CohortStep,
            [
                CohortStep(cohort=cohort, course=courses[code], position=k)
                for cohort, path in zip(cohorts, paths, strict=True)
                for k, code in enumerate(path, 1)
            ],
        )
        packages = self._bulk(
            "capability packages",
            CapabilityPackage,
            [
                CapabilityPackage(
                    reference=f"CP-{i + 1:04d}", name=f"{c.name} package", capability=c
                )
                for i, c in enumerate(capabilities)
            ],
        )
        items = []
        for package in packages:
            needs = list(
                Requirement.objects.filter(capability=package.capability)
                .order_by("reference")
                .values_list("id", "category__unit")[:200]
            )
            ends = [rid for rid, unit in needs if unit == ItemCategory.Unit.SYSTEM][:4]
            rest = [(rid, unit) for rid, unit in needs if unit != ItemCategory.Unit.SYSTEM][:6]
            items += [PackageItem(package=package, requirement_id=r, role="end_item") for r in ends]
            for k, (rid, unit) in enumerate(rest):
                role = {"round": "ammunition", "set": "spares"}.get(unit, "maintenance")
                items.append(
                    PackageItem(
                        package=package, requirement_id=rid, role=role, tranche=1 if k < 3 else 2
                    )
                )
        self._bulk("package items", PackageItem, items)
        recompute_all(cause="demo data")


def _d(value: float) -> Decimal:
    return Decimal(str(value))
