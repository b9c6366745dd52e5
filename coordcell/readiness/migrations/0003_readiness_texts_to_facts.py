"""Data for 0002: the stored readiness sentences become facts (readiness/facts.py), so that each
viewer reads them through wording.Wording, the history included.

The sentences were written by a few fixed formats (readiness/compute.py and equipment.py before
facts): each is matched here and its references resolved to the records (requirement, pledge and
its donor, shipment, cohort, session and site). A sentence no format matches, or naming a record
that no longer exists, becomes a ``legacy`` fact that keeps its words for the cell and the
auditors only. The next recompute of a package (any change, or *Recompute all*) writes its facts
afresh anyway.
"""

import re

from django.db import migrations

DATE = r"(?P<date>\d{4}-\d{2}-\d{2}|None)"
BOTTLENECKS = [
    ("not_allocated", r"requirement (?P<req>\S+) not allocated \((?P<covered>\d+) of (?P<quantity>\d+) covered\)"),
    ("received", r"requirement (?P<req>\S+) received in full on " + DATE),
    (
        "pledge_slipped",
        r"pledge (?P<pledge>\S+) slipped: available only from (?P<available>\S+), (?P<slip>\d+) "
        r"days after its planned departure; (?P<req>\S+) now expected " + DATE,
    ),
    (
        "shipment_delayed",
        r"shipment (?P<shipment>\S+) \(pledge (?P<pledge>\S+)\) delayed (?P<slip>\d+) days; "
        r"(?P<req>\S+) now expected " + DATE,
    ),
    (
        "on_plan",
        r"delivery of (?P<req>\S+) \(pledge (?P<pledge>\S+?)(?: on shipment (?P<shipment>\S+))?\) "
        r"expected " + DATE,
    ),
    ("none_listed", r"no (?P<part>end items|sustainment) listed"),
    ("no_cohort", r"no crew cohort registered for the (?P<capability>.+)"),
    (
        "crew_not_booked",
        r"cohort (?P<cohort>\S+) \((?P<unit>.*?)\) not booked on course (?P<course>\S+?)(?:: (?P<why>.+))?",
    ),
    ("crew_late", r"cohort (?P<cohort>\S+) trained late \(" + DATE + r"\): (?P<why>.+)"),
    (
        "crew_training",
        r"training of cohort (?P<cohort>\S+): course (?P<course>\S+) at (?P<site>.+) ends " + DATE,
    ),
]
STEPS = [
    ("pledge_available", r"pledge (?P<pledge>\S+) available"),
    ("shipment_leaves", r"shipment (?P<shipment>\S+) leaves"),
    ("depot_leaves", r"leaves the donor's depot"),
    ("requirement_received", r"(?P<req>\S+) received in full"),
    ("cohort_released", r"cohort (?P<cohort>\S+) released"),
    (
        "course",
        r"course (?P<course>\S+) at (?P<site>.+) \((?P<session>\S+), (?P<weeks>\d+) weeks\)",
    ),
    ("crew_trained", r"crew (?P<cohort>\S+) trained"),
]
CAUSES = [
    ("pledge", r"pledge (?P<pledge>\S+) (?:changed|slipped)"),
    ("shipment_events", r"shipment events: (?P<shipments>.+)"),
    ("shipment_replanned", r"(?P<shipments>S-\d+) replanned"),
    ("allocation", r"allocation \S+ committed"),
    ("training_schedule", r"training schedule \S+"),
    ("training", r"session (?P<session>\S+) changed"),
    ("training", r"cohort (?P<cohort>\S+) (?:changed|deleted)"),
    ("training", r"(?P<cohort>CO-\d+) (?:booked on|taken off) (?P<session>\S+)"),
    ("package", r"package \S+ changed"),
    ("recomputed", r"recomputed by .+"),
]


class Resolver:
    """References to records, looked up once each."""

    def __init__(self, apps):
        self.apps = apps
        self.cache = {}

    def get(self, app, model, **lookup):
        key = (model, tuple(sorted(lookup.items())))
        if key not in self.cache:
            self.cache[key] = self.apps.get_model(app, model).objects.filter(**lookup).first()
        return self.cache[key]

    def requirement(self, reference):
        req = self.get("requirements", "Requirement", reference=reference)
        return req and {"requirement": req.pk, "requirement_ref": reference}

    def pledge(self, reference):
        pledge = self.get("pledges", "Pledge", reference=reference)
        return pledge and {"pledge": pledge.pk, "pledge_ref": reference, "donor": pledge.donor_id}

    def shipment(self, reference):
        shipment = self.get("logistics", "Shipment", reference=reference)
        return shipment and {"shipment": shipment.pk, "shipment_ref": reference}

    def cohort(self, reference):
        cohort = self.get("training", "Cohort", reference=reference)
        return cohort and {"cohort": cohort.pk, "cohort_ref": reference, "unit": cohort.unit}

    def site(self, name):
        site = self.get("training", "TrainingSite", location__name=name)
        if site is None:
            return None
        location = self.get("registry", "Location", pk=site.location_id)
        return {"site": site.pk, "site_name": name, "site_nation": location.nation_id}

    def session(self, reference):
        session = self.get("training", "Session", reference=reference)
        return session and {"session": session.pk, "session_ref": reference}

    def received_from(self, requirement_id):
        lines = self.apps.get_model("logistics", "ShipmentLine").objects.filter(
            requirement_id=requirement_id, received_quantity__isnull=False
        )
        return sorted(set(lines.values_list("shipment__donor_id", flat=True)))


def _date(value):
    return None if value in (None, "None") else value


def _legacy(text, date=None):
    fact = {"kind": "legacy", "text": text}
    if date:
        fact["date"] = date
    return fact


def _match(patterns, text):
    for kind, pattern in patterns:
        found = re.fullmatch(pattern, text or "")
        if found:
            return kind, found.groupdict()
    return None, {}


def bottleneck_fact(text, r, date=None):
    """A stored bottleneck or component sentence as a fact (``legacy`` when it cannot be)."""
    if not text:
        return {}
    kind, g = _match(BOTTLENECKS, text)
    if kind is None:
        return _legacy(text, date)
    if kind in ("none_listed", "no_cohort"):
        return {"kind": kind, **{k: v for k, v in g.items() if v is not None}}
    if kind in ("crew_not_booked", "crew_late", "crew_training"):
        cohort = r.cohort(g["cohort"])
        if cohort is None:
            return _legacy(text, date)
        why = {"text": g["why"]} if g.get("why") else None
        if kind == "crew_not_booked":
            return {"kind": kind, **cohort, "course": g["course"], "reason": why}
        fact = {"kind": "crew_training", **cohort, "date": _date(g["date"]), "reason": why}
        if kind == "crew_late":
            return {**fact, "late": True, "course": None}
        site = r.site(g["site"])
        if site is None:
            return _legacy(text, date)
        return {**fact, **site, "course": g["course"], "late": False}
    req = r.requirement(g["req"])
    if req is None:
        return _legacy(text, date)
    if kind == "not_allocated":
        return {"kind": kind, **req, "covered": int(g["covered"]), "quantity": int(g["quantity"])}
    if kind == "received":
        donors = r.received_from(req["requirement"])
        return {"kind": kind, **req, "date": _date(g["date"]), "donors": donors}
    pledge = r.pledge(g["pledge"])
    shipment = r.shipment(g["shipment"]) if g.get("shipment") else None
    if pledge is None or (g.get("shipment") and shipment is None):
        return _legacy(text, date)
    return {
        "kind": kind,
        **req,
        **pledge,
        **(shipment or {"shipment": None, "shipment_ref": ""}),
        "date": _date(g["date"]),
        "slip_days": int(g.get("slip") or 0),
        "available_from": g.get("available"),
        "departure": None,
    }


def step_fact(step, r, binding):
    """A stored critical path step ({"label", "date"}) as a fact."""
    label, date = step.get("label", ""), step.get("date")
    if date is None:
        return bottleneck_fact(label, r)
    kind, g = _match(STEPS, label)
    donor = {"donor": binding.get("donor")}
    if kind == "pledge_available":
        pledge = r.pledge(g["pledge"])
        if pledge:
            return {"kind": kind, **pledge, "date": date}
    elif kind in ("shipment_leaves", "depot_leaves"):
        shipment = r.shipment(g["shipment"]) if kind == "shipment_leaves" else None
        if kind == "depot_leaves" or shipment:
            return {
                "kind": "shipment_leaves",
                **donor,
                **(shipment or {"shipment": None, "shipment_ref": ""}),
                "date": date,
            }
    elif kind == "requirement_received":
        req = r.requirement(g["req"])
        if req:
            return {"kind": kind, **req, **donor, "date": date}
    elif kind in ("cohort_released", "crew_trained"):
        cohort = r.cohort(g["cohort"])
        if cohort:
            return {"kind": kind, **cohort, "date": date}
    elif kind == "course":
        site, session = r.site(g["site"]), r.session(g["session"])
        if site and session:
            cohort = binding if "cohort" in binding else {}
            return {
                "kind": "course",
                **{k: cohort.get(k) for k in ("cohort", "cohort_ref", "unit") if k in cohort},
                **session,
                **site,
                "course": g["course"],
                "weeks": int(g["weeks"]),
                "date": date,
            }
    if label.endswith(" ready"):
        return {"kind": "package_ready", "name": label[: -len(" ready")], "date": date}
    return _legacy(label, date)


def cause_facts(text, r):
    out = []
    for part in (text or "").split("; "):
        kind, g = _match(CAUSES, part)
        fact = {"kind": kind or "other", "pledges": [], "shipments": [], "cohorts": [], "sessions": []}
        if g.get("pledge") and r.pledge(g["pledge"]):
            fact["pledges"] = [r.pledge(g["pledge"])["pledge"]]
        for ref in (g.get("shipments") or "").split(", "):
            shipment = r.shipment(ref) if ref else None
            if shipment:
                fact["shipments"].append(shipment["shipment"])
        if g.get("cohort") and r.cohort(g["cohort"]):
            fact["cohorts"] = [r.cohort(g["cohort"])["cohort"]]
        if g.get("session") and r.session(g["session"]):
            fact["sessions"] = [r.session(g["session"])["session"]]
        out.append(fact)
    return out


def forwards(apps, schema_editor):
    Package = apps.get_model("readiness", "CapabilityPackage")
    Change = apps.get_model("readiness", "ReadinessChange")
    r = Resolver(apps)
    for package in Package.objects.all():
        package.bottleneck = bottleneck_fact(package.bottleneck_text, r, None)
        components = {}
        for name, part in (package.components or {}).items():
            if "fact" in part:
                components[name] = part
                continue
            fact = bottleneck_fact(part.get("text", ""), r, part.get("date"))
            components[name] = {"date": part.get("date"), "fact": fact}
        package.components = components
        binding = package.bottleneck
        package.critical_path = [
            step if "kind" in step else step_fact(step, r, binding)
            for step in package.critical_path or []
        ]
        package.save(update_fields=["bottleneck", "components", "critical_path"])
    for change in Change.objects.all():
        change.before_bottleneck = bottleneck_fact(change.before_text, r)
        change.after_bottleneck = bottleneck_fact(change.after_text, r)
        change.causes = cause_facts(change.cause, r)
        change.save(update_fields=["before_bottleneck", "after_bottleneck", "causes"])


class Migration(migrations.Migration):
    dependencies = [
        ("readiness", "0002_readiness_facts_beside_the_stored_texts"),
        ("logistics", "0001_initial"),
        ("training", "0001_initial"),
    ]

    # Backwards: the texts are still there (0002 only moved them aside); the facts are dropped
    # with their columns.
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
