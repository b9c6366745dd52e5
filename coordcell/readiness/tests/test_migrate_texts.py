"""Migration 0003 turns the stored sentences into facts: every sentence the old code wrote, read
back, gives a fact that every role reads exactly as the fact computed today (so the history stays
readable, and no longer reads the same to everyone)."""

import importlib

import pytest
from django.apps import apps

from coordcell.readiness.facts import DELIVERY_KINDS, Cause
from coordcell.readiness.wording import Wording
from coordcell.registry.models import Role

pytestmark = pytest.mark.django_db
migration = importlib.import_module("coordcell.readiness.migrations.0003_readiness_texts_to_facts")
ROLES = [
    Role.COORDINATOR,
    Role.DONOR_LIAISON,
    "donor-pl",
    Role.RECIPIENT_LIAISON,
    Role.TRAINING_SITE_OFFICER,
]


# Keys added after the migration (issue 18, training results): the old code wrote none of them.
NEWER_KEYS = ("completed", "crews_trained")


def _as_old(fact):
    return {k: v for k, v in fact.items() if k not in NEWER_KEYS}


def _packages_facts(package):
    yield _as_old(package.bottleneck)
    for part in package.components.values():
        yield _as_old(part["fact"])


def test_old_sentences_read_back_as_the_same_facts_for_every_role(world, estate):
    package = estate.package
    cell = Wording.for_the_cell()
    resolver = migration.Resolver(apps)
    stored = list(_packages_facts(package))
    kinds = {f["kind"] for f in stored}
    assert "crew_training" in kinds and kinds & set(DELIVERY_KINDS)
    for fact in stored:
        sentence = cell.text(fact)  # what the old code stored, word for word
        parsed = migration.bottleneck_fact(sentence, resolver)
        assert parsed["kind"] != "legacy", sentence
        for role in ROLES:
            words = Wording(world.users[role], [fact, parsed])
            assert words.text(parsed) == words.text(fact), (role, sentence)


def test_old_critical_paths_read_back_step_by_step(world, estate):
    package = estate.package
    cell = Wording.for_the_cell()
    resolver = migration.Resolver(apps)
    steps = [_as_old(s) for s in package.critical_path]
    old = [{"label": cell.label(s), "date": s.get("date")} for s in steps]
    parsed = [migration.step_fact(s, resolver, _as_old(package.bottleneck)) for s in old]
    assert all(p["kind"] != "legacy" for p in parsed), parsed
    for role in ROLES:
        words = Wording(world.users[role], [*steps, *parsed])
        assert [words.label(p) for p in parsed] == [words.label(s) for s in steps]


def test_old_causes_keep_their_records(world, estate):
    resolver = migration.Resolver(apps)
    text = f"pledge {estate.p.pledge.reference} changed; shipment events: {estate.guns.reference}"
    pledge, events = migration.cause_facts(text, resolver)
    assert (pledge["kind"], pledge["pledges"]) == ("pledge", [estate.p.pledge.pk])
    assert (events["kind"], events["shipments"]) == ("shipment_events", [estate.guns.pk])
    assert Cause("recomputed by coord").as_facts()[0]["kind"] == "other"


def test_a_sentence_no_format_matches_is_kept_for_the_cell_only(world):
    fact = migration.bottleneck_fact("something the old code never wrote", migration.Resolver(apps))
    assert fact["kind"] == "legacy"
    assert Wording.for_the_cell().text(fact) == "something the old code never wrote"
    assert Wording(world.users[Role.RECIPIENT_LIAISON]).text(fact) == ""


def test_every_kind_of_old_sentence_reads_back(world, estate):
    line = estate.rounds.lines.get()
    # Received: the donors are those of the received lines (the sentence does not name them).
    type(line).objects.filter(pk=line.pk).update(received_quantity=line.quantity)
    req = {"requirement": line.requirement_id, "requirement_ref": line.requirement.reference}
    delivery = {
        **req,
        "pledge": line.pledge_id,
        "pledge_ref": line.pledge.reference,
        "donor": estate.rounds.donor_id,
        "shipment": estate.rounds.pk,
        "shipment_ref": estate.rounds.reference,
        "date": "2027-05-19",
        "slip_days": 35,
        "available_from": "2027-04-05",
    }
    cohort = {
        "cohort": estate.german_cohort.pk,
        "cohort_ref": estate.german_cohort.reference,
        "unit": estate.german_cohort.unit,
    }
    facts = [
        {"kind": "not_allocated", **req, "covered": 0, "quantity": 400},
        {"kind": "received", **req, "date": "2027-01-06", "donors": [estate.rounds.donor_id]},
        {**delivery, "kind": "pledge_slipped"},
        {**delivery, "kind": "shipment_delayed"},
        {**delivery, "kind": "on_plan", "shipment": None, "shipment_ref": ""},
        {"kind": "none_listed", "part": "sustainment"},
        {"kind": "no_cohort", "capability": "Self-propelled artillery brigade"},
        {
            "kind": "crew_not_booked",
            **cohort,
            "course": "m109-op",
            "reason": {"text": "no seats on course 'PzH operator' at site Grafenwoehr in week 3"},
        },
    ]
    resolver = migration.Resolver(apps)
    cell = Wording.for_the_cell()
    for fact in facts:
        parsed = migration.bottleneck_fact(cell.text(fact), resolver)
        assert parsed["kind"] == fact["kind"], cell.text(fact)
        for role in ROLES:
            words = Wording(world.users[role], [fact, parsed])
            assert words.text(parsed) == words.text(fact), (role, cell.text(fact))
