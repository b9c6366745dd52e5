"""A package's readiness: the latest of its end items received, its crews trained, and its first
sustainment tranche received; the component deciding it, its critical path and its bottleneck.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch

from coordcell.requirements.models import Requirement
from coordcell.training.models import Booking, Cohort, CohortOutcome, CohortStep, ScheduleRun

from . import facts
from .equipment import Expectation, PlanOverlay, expectations
from .models import CapabilityPackage, PackageItem


@dataclass
class Part:
    """One condition of readiness (end items, crews or sustainment)."""

    name: str
    date: dt.date | None
    fact: facts.Fact  # what decides it
    steps: list[facts.Fact] = field(default_factory=list)
    blocking: bool = True  # False: nothing to wait for (e.g. no sustainment listed)


@dataclass
class Readiness:
    ready_on: dt.date | None
    bottleneck: facts.Fact
    critical_path: list[facts.Fact]
    parts: list[Part]

    def components(self) -> dict[str, dict[str, Any]]:
        return {
            p.name: {"date": facts.iso(p.date), "fact": p.fact} for p in self.parts if p.blocking
        }


def _latest(name: str, exps: Sequence[Expectation], blocking: bool) -> Part:
    if not exps:
        fact = {"kind": "none_listed", "part": name}
        return Part(name, None, fact, [fact], blocking)
    missing = [e for e in exps if e.date is None]
    e = missing[0] if missing else max(exps, key=lambda x: (x.date or dt.date.min, x.reference))
    return Part(name, e.date, e.fact(), e.steps(), blocking)


@dataclass
class _Training:
    """What the crews' part reads, loaded once for every package being computed."""

    bookings: dict[int, dict[int, Booking]]  # cohort -> course -> booking
    outcomes: dict[int, CohortOutcome]  # cohort -> outcome of the last schedule run


def _training(cohorts: Iterable[Cohort]) -> _Training:
    ids = [c.pk for c in cohorts]
    bookings: dict[int, dict[int, Booking]] = defaultdict(dict)
    if not ids:
        return _Training(bookings, {})
    for b in Booking.objects.filter(cohort_id__in=ids).select_related(
        "session", "session__course", "session__site__location"
    ):
        bookings[b.cohort_id][b.course_id] = b
    last_run = ScheduleRun.objects.filter(status=ScheduleRun.Status.DONE).order_by("-pk").first()
    outcomes = (
        {o.cohort_id: o for o in CohortOutcome.objects.filter(run=last_run, cohort_id__in=ids)}
        if last_run
        else {}
    )
    return _Training(bookings, outcomes)


def _session(b: Booking) -> facts.Fact:
    s = b.session
    return facts.session(s.pk, s.reference, s.site_id, str(s.site), s.site.location.nation_id)


def _cohort_part(cohorts: Sequence[Cohort], capability_name: str, training: _Training) -> Part:
    if not cohorts:
        fact: facts.Fact = {"kind": "no_cohort", "capability": capability_name}
        return Part("crews", None, fact, [fact])
    bookings, outcomes = training.bookings, training.outcomes
    worst: tuple[tuple[int, dt.date], Part] | None = None
    untrained = False
    for cohort in cohorts:
        path = cohort.path()
        outcome = outcomes.get(cohort.pk)
        why = facts.reason(outcome.reasons[0] if outcome and outcome.reasons else None)
        who = facts.cohort(cohort.pk, cohort.reference, cohort.unit)
        unbooked = [c for c in path if c.pk not in bookings[cohort.pk]]
        failed = [
            bookings[cohort.pk][c.pk]
            for c in path
            if c.pk in bookings[cohort.pk] and bookings[cohort.pk][c.pk].needs_rebooking
        ]
        if path and failed:
            # Failed or absent: not trained, and no date until it is booked again.
            b = failed[0]
            fact = {
                "kind": "crew_needs_rebooking",
                **who,
                **_session(b),
                "course": b.session.course.code,
                "outcome": b.outcome,
            }
            part = Part("crews", None, fact, [fact])
            key = (2, dt.date.max)
        elif not path or unbooked:
            fact = {
                "kind": "crew_not_booked",
                **who,
                "course": unbooked[0].code if unbooked else None,
                "reason": why,
            }
            part = Part("crews", None, fact, [fact])
            key = (1, dt.date.max)
        else:
            rows = [bookings[cohort.pk][c.pk] for c in path]
            finish = max(b.session.end_date for b in rows)
            # Trained only once every course of the path is recorded completed; until then the
            # finish date is the expected one.
            trained = all(b.completed for b in rows)
            steps: list[facts.Fact] = [
                {"kind": "cohort_released", **who, "date": facts.iso(cohort.earliest_release)}
            ]
            for b in rows:
                steps.append(
                    {
                        "kind": "course",
                        **who,
                        **_session(b),
                        "course": b.session.course.code,
                        "weeks": b.session.course.duration_weeks,
                        "date": facts.iso(b.session.start_date),
                        "completed": b.completed,
                    }
                )
            steps.append(
                {"kind": "crew_trained", **who, "date": facts.iso(finish), "completed": trained}
            )
            last = max(rows, key=lambda b: b.session.end_date)
            fact = {
                "kind": "crew_training",
                **who,
                **_session(last),
                "course": last.session.course.code,
                "date": facts.iso(finish),
                "late": bool(why and outcome and (outcome.lateness or 0) > 0),
                "reason": why,
                "completed": trained,
            }
            part = Part("crews", finish, fact, steps)
            key = (0, finish)
            untrained = untrained or not trained
        if worst is None or key > worst[0]:
            worst = (key, part)
    assert worst is not None
    part = worst[1]
    if part.date is not None:
        # The crews' date is the last to finish; trained only when every crew completed.
        part.fact = {**part.fact, "completed": not untrained}
    return part


def compute_many(
    packages: Sequence[CapabilityPackage], overlay: PlanOverlay | None = None
) -> dict[int, Readiness]:
    """Each package's readiness, reading what they need in a few queries for all of them (a
    shipment's events recompute a dozen packages; one by one that took ten queries each)."""
    items: dict[int, list[PackageItem]] = defaultdict(list)
    for item in PackageItem.objects.filter(package__in=[p.pk for p in packages]):  # Meta order
        items[item.package_id].append(item)
    exps = expectations((i.requirement_id for its in items.values() for i in its), overlay)
    cohorts: dict[int, list[Cohort]] = defaultdict(list)
    for cohort in (
        Cohort.objects.filter(capability_id__in={p.capability_id for p in packages})
        .order_by("pk")
        # Each cohort's course path, in one query rather than one per cohort.
        .prefetch_related(
            Prefetch("steps", CohortStep.objects.select_related("course").order_by("position"))
        )
    ):
        cohorts[cohort.capability_id].append(cohort)
    training = _training(c for cs in cohorts.values() for c in cs)
    return {
        p.pk: _readiness(p, items[p.pk], exps, cohorts[p.capability_id], training) for p in packages
    }


def _readiness(
    package: CapabilityPackage,
    items: Sequence[PackageItem],
    exps: dict[int, Expectation],
    cohorts: Sequence[Cohort],
    training: _Training,
) -> Readiness:
    end_ids = [i.requirement_id for i in items if i.role == PackageItem.Role.END_ITEM]
    sus_ids = [
        i.requirement_id for i in items if i.role != PackageItem.Role.END_ITEM and i.tranche == 1
    ]
    parts = [
        _latest("end items", [exps[i] for i in end_ids], True),
        _cohort_part(cohorts, package.capability.name, training),
        _latest("sustainment", [exps[i] for i in sus_ids], blocking=bool(sus_ids)),
    ]
    blocking = [p for p in parts if p.blocking]
    undated = [p for p in blocking if p.date is None]
    if undated:
        binding = undated[0]
        ready_on = None
    else:
        binding = max(blocking, key=lambda p: p.date or dt.date.min)
        ready_on = binding.date
    path = [*binding.steps]
    if ready_on:
        crews = parts[1]
        path.append(
            {
                "kind": "package_ready",
                "name": package.name,
                "date": facts.iso(ready_on),
                # Not ready until its crews are recorded trained: the date is then expected.
                "crews_trained": bool(crews.fact.get("completed")),
            }
        )
    return Readiness(ready_on, binding.fact, path, parts)


def end_item_requirements(capability_ids: Iterable[int]) -> dict[int, list[int]]:
    """Capability -> its end-item requirements: the package's, else its requirements for systems."""
    ids = set(capability_ids)
    out: dict[int, list[int]] = defaultdict(list)
    with_package = set()
    for row in PackageItem.objects.filter(
        package__capability_id__in=ids, role=PackageItem.Role.END_ITEM
    ).values("package__capability_id", "requirement_id"):
        out[row["package__capability_id"]].append(row["requirement_id"])
        with_package.add(row["package__capability_id"])
    with_package |= set(
        CapabilityPackage.objects.filter(capability_id__in=ids).values_list(
            "capability_id", flat=True
        )
    )
    for rid, cid in (
        Requirement.objects.filter(capability_id__in=ids - with_package, category__unit="system")
        .exclude(status=Requirement.Status.CANCELLED)
        .values_list("id", "capability_id")
    ):
        out[cid].append(rid)
    return out


def equipment_date_by_capability(capability_ids: Iterable[int]) -> dict[int, dt.date | None]:
    """The date all of a capability's end items are expected (None: not all covered / none)."""
    by_cap = end_item_requirements(capability_ids)
    exps = expectations([r for rs in by_cap.values() for r in rs])
    out: dict[int, dt.date | None] = {}
    for cid, rids in by_cap.items():
        dates = [exps[r].date for r in rids]
        out[cid] = None if not dates or None in dates else max(d for d in dates if d)
    return out
