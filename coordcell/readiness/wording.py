"""Readiness in words, for one viewer: the one place that writes readiness facts as text.

Pages, reports (the readiness chart, the dashboards' panels, the briefing that draws them) ask a
``Wording`` for the bottleneck, the components, the critical path and the history; nothing shows
a stored sentence. What a viewer reads follows the access functions of the records a fact names,
asked here for exactly the ids on the page (``pledges_visible_to``, ``shipments_visible_to``,
``requirements_visible_to``, ``cohorts_visible_to``, ``sessions_visible_to``,
``sites_visible_to``) and the shipments' field-level rule (``detail_level_for_donor``):

- coordinators and auditors read everything;
- a donor reads its own pledges and shipments in full; another donor's delivery is "a delivery
  by another donor", with no reference and no date of it;
- the recipient reads the references it may open and shipment timing as on the shipment pages:
  the calendar week of an expected delivery (``eta_window``), never the exact date, the planned
  departure or a delay in days;
- a training-site officer reads no shipment, pledge or requirement, and no cohort, session or
  site of another nation's sites.

Dates of readiness itself (a package's ready-on date, its crews' date) are shown to everyone who
sees the package (docs/training.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from coordcell.logistics.selectors import Detail, detail_level_for_donor, week_window
from coordcell.registry.access import as_user

from . import facts
from .facts import DELIVERY_KINDS
from .models import CapabilityPackage, ReadinessChange

PARTS = ("end items", "crews", "sustainment")
ANOTHER_DONOR = "a delivery by another donor"


@dataclass(frozen=True)
class Component:
    name: str
    date: str  # as this viewer may read it; "" when it may not
    dated: bool  # the part has a date at all (False: "no date")
    text: str


@dataclass(frozen=True)
class Step:
    date: str
    label: str


@dataclass(frozen=True)
class Change:
    change: ReadinessChange
    before: str
    after: str
    cause: str


def _all_facts(packages: Iterable[CapabilityPackage], changes: Iterable[ReadinessChange]) -> list:
    found: list[Mapping[str, Any]] = []
    for p in packages:
        found.append(p.bottleneck or {})
        found += [c.get("fact") or {} for c in (p.components or {}).values()]
        found += list(p.critical_path or [])
    for c in changes:
        found += [c.before_bottleneck or {}, c.after_bottleneck or {}, *(c.causes or [])]
    return found


class Wording:
    """How one user reads readiness facts. Build it for the packages and changes of a page
    (``for_page``): it asks each access function once, for the ids those facts name."""

    def __init__(
        self, user: Any, facts_on_page: Iterable[Mapping[str, Any]] = (), *, cell: bool = False
    ) -> None:
        self.user = as_user(user)
        self._facts = list(facts_on_page)
        self._cell = cell

    @classmethod
    def for_the_cell(cls) -> Wording:
        """The cell's words (coordinators, auditors, the audit trail): everything."""
        return cls(None, cell=True)

    @classmethod
    def for_page(
        cls,
        user: Any,
        packages: Iterable[CapabilityPackage] = (),
        changes: Iterable[ReadinessChange] = (),
    ) -> Wording:
        return cls(user, _all_facts(packages, changes))

    # ---- what the viewer may see ----

    @property
    def everything(self) -> bool:
        return self._cell or bool(self.user and self.user.sees_everything)

    def _visible(self, key: str, scope: Callable[[Any], Any]) -> set[int]:
        wanted = facts.ids(self._facts, key)
        if not wanted or self.user is None:
            return set()
        return set(scope(self.user).filter(pk__in=wanted).values_list("pk", flat=True))

    @cached_property
    def _pledges(self) -> set[int]:
        from coordcell.pledges.selectors import pledges_visible_to

        return self._visible("pledge", pledges_visible_to)

    @cached_property
    def _shipments(self) -> set[int]:
        from coordcell.logistics.selectors import shipments_visible_to

        return self._visible("shipment", shipments_visible_to)

    @cached_property
    def _requirements(self) -> set[int]:
        from coordcell.requirements.selectors import requirements_visible_to

        return self._visible("requirement", requirements_visible_to)

    @cached_property
    def _cohorts(self) -> set[int]:
        from coordcell.training.selectors import cohorts_visible_to

        return self._visible("cohort", cohorts_visible_to)

    @cached_property
    def _sessions(self) -> set[int]:
        from coordcell.training.selectors import sessions_visible_to

        return self._visible("session", sessions_visible_to)

    @cached_property
    def _sites(self) -> set[int]:
        from coordcell.training.selectors import sites_visible_to

        return self._visible("site", sites_visible_to)

    def _sees(self, key: str, fact: Mapping[str, Any]) -> bool:
        if self.everything:
            return True
        pk = fact.get(key)
        return isinstance(pk, int) and pk in getattr(self, f"_{key}s")

    def _level(self, donor_id: Any) -> Detail:
        if self._cell:
            return Detail.FULL
        return detail_level_for_donor(self.user, donor_id if isinstance(donor_id, int) else None)

    # ---- dates ----

    def _delivery_date(self, fact: Mapping[str, Any]) -> str:
        """A date that follows from a delivery's shipment timing: exact for full detail, its
        calendar week for the recipient (as ``eta_window``), nothing for anyone else."""
        day = _day(fact.get("date"))
        if day is None:
            return ""
        level = self._level(fact.get("donor"))
        if level is Detail.FULL:
            return day.isoformat()
        if level is Detail.LAST_LEG:
            monday, sunday = week_window(day)
            return f"week {monday.isoformat()} – {sunday.isoformat()}"
        return ""

    def date(self, fact: Mapping[str, Any]) -> str:
        """A fact's date as this viewer may read it ("" when it may not, or there is none)."""
        kind = fact.get("kind")
        day = _day(fact.get("date"))
        if day is None:
            return ""
        if kind in (*DELIVERY_KINDS, "requirement_received"):
            return self._delivery_date(fact)
        if kind == "received":
            # The recipient took it over (it sees receipts); a donor only its own.
            levels = {self._level(d) for d in fact.get("donors") or [None]}
            return day.isoformat() if Detail.STATUS not in levels else ""
        if kind == "pledge_available":
            return day.isoformat() if self._sees("pledge", fact) else ""
        if kind == "shipment_leaves":
            return day.isoformat() if self._level(fact.get("donor")) is Detail.FULL else ""
        if kind == "cohort_released":
            return day.isoformat() if self._sees("cohort", fact) else ""
        if kind == "course":
            return day.isoformat() if self._sees("session", fact) else ""
        if kind in ("crew_training", "crew_trained", "package_ready"):
            return day.isoformat()  # readiness itself
        return day.isoformat() if self.everything else ""

    # ---- words ----

    def _requirement(self, fact: Mapping[str, Any], word: str = "") -> str:
        """ "R-000042" ("requirement R-000042" with ``word``), or "an item of the package"."""
        if not self._sees("requirement", fact):
            return "an item of the package"
        return f"{word} {fact['requirement_ref']}".strip()

    def _cohort(self, fact: Mapping[str, Any], *, unit: bool = False) -> str:
        if not self._sees("cohort", fact):
            return "a cohort"
        which = f" ({fact['unit']})" if unit and fact.get("unit") else ""
        return f"cohort {fact['cohort_ref']}{which}"

    def _site(self, fact: Mapping[str, Any]) -> str:
        if not self._sees("site", fact):
            return "another nation's site"
        return str(fact.get("site_name") or "")

    def _reason(self, fact: Mapping[str, Any]) -> str:
        """The scheduler's reason names sites, courses and the week the equipment arrives: for
        those who read the schedule's runs and the recipient, whose crews they are."""
        why = fact.get("reason") or {}
        text = why.get("text") if isinstance(why, Mapping) else None
        if not text or not self._sees("cohort", fact):
            return ""
        if self.everything or (self.user and self.user.is_recipient_liaison):
            return str(text)
        return ""

    def _delivery(self, fact: Mapping[str, Any]) -> str:
        level = self._level(fact.get("donor"))
        req = self._requirement(fact)
        if level is Detail.STATUS:
            if self.user and self.user.is_donor_liaison:
                return f"{ANOTHER_DONOR} for {req}"
            return f"a delivery for {req} is awaited"
        pledge = f"pledge {fact['pledge_ref']}" if self._sees("pledge", fact) else "a pledge"
        shipment = (
            f" on shipment {fact['shipment_ref']}"
            if fact.get("shipment_ref") and self._sees("shipment", fact)
            else ""
        )
        when = self._delivery_date(fact)
        kind = fact["kind"]
        if level is Detail.FULL and kind == "pledge_slipped":
            return (
                f"{pledge} slipped: available only from {fact.get('available_from')}, "
                f"{fact.get('slip_days')} days after its planned departure; {req} now expected "
                f"{when}"
            )
        if level is Detail.FULL and kind == "shipment_delayed":
            return (
                f"shipment {fact.get('shipment_ref')} ({pledge}) delayed "
                f"{fact.get('slip_days')} days; {req} now expected {when}"
            )
        if kind == "pledge_slipped" and self._sees("pledge", fact):
            # The pledge's availability is on its own page; how far it is behind the shipment's
            # plan would give that plan away.
            return (
                f"{pledge} available only from {fact.get('available_from')}; {req} now expected "
                f"in the {when}"
            )
        if level is Detail.LAST_LEG:
            return f"delivery of {req} ({pledge}{shipment}) expected in the {when}"
        return f"delivery of {req} ({pledge}{shipment}) expected {when}"

    def text(self, fact: Mapping[str, Any]) -> str:
        """A bottleneck or component fact in words."""
        kind = fact.get("kind")
        if not kind:
            return ""
        if kind in DELIVERY_KINDS:
            return self._delivery(fact)
        if kind == "not_allocated" and fact.get("quantity") is None:
            return (
                f"{self._requirement(fact, 'requirement')} not allocated: its quantity is "
                f"undisclosed ({fact.get('covered')} covered)"
            )
        if kind == "not_allocated":
            return (
                f"{self._requirement(fact, 'requirement')} not allocated "
                f"({fact.get('covered')} of {fact.get('quantity')} covered)"
            )
        if kind == "received":
            when = self.date(fact)
            on = f" on {when}" if when else ""
            return f"{self._requirement(fact, 'requirement')} received in full{on}"
        if kind == "none_listed":
            return f"no {fact.get('part')} listed"
        if kind == "no_cohort":
            return f"no crew cohort registered for the {fact.get('capability')}"
        if kind == "crew_not_booked":
            course = fact.get("course") or "(no course path)"
            why = self._reason(fact)
            return f"{self._cohort(fact, unit=True)} not booked on course {course}" + (
                f": {why}" if why else ""
            )
        if kind == "crew_training":
            why = self._reason(fact)
            if fact.get("completed"):
                return (
                    f"{self._cohort(fact)} trained: course {fact.get('course')} at "
                    f"{self._site(fact)} completed, ended {fact.get('date')}"
                )
            # Facts from before results were recorded carry no "completed": read as before.
            expected = "" if "completed" not in fact else " (expected: not yet recorded completed)"
            if fact.get("late") and why:
                return f"{self._cohort(fact)} trained late ({fact.get('date')}{expected}): {why}"
            return (
                f"training of {self._cohort(fact)}: course {fact.get('course')} at "
                f"{self._site(fact)} ends {fact.get('date')}{expected}"
            )
        if kind == "crew_needs_rebooking":
            what = "failed" if fact.get("outcome") == "failed" else "was absent from"
            session = f" ({fact['session_ref']})" if self._sees("session", fact) else ""
            return (
                f"{self._cohort(fact, unit=True)} {what} course {fact.get('course')} at "
                f"{self._site(fact)}{session}: not trained, needs booking again"
            )
        if kind == "legacy":
            return str(fact.get("text", "")) if self.everything else ""
        return ""

    def label(self, step: Mapping[str, Any]) -> str:
        """A critical path step in words ("" when the viewer reads nothing of it)."""
        kind = step.get("kind")
        if kind == "pledge_available":
            if self._sees("pledge", step):
                return f"pledge {step['pledge_ref']} available"
            return ""
        if kind == "shipment_leaves":
            if self._level(step.get("donor")) is Detail.STATUS:
                return ""
            if step.get("shipment_ref") and self._sees("shipment", step):
                return f"shipment {step['shipment_ref']} leaves"
            return "leaves the donor's depot"
        if kind == "requirement_received":
            if self._level(step.get("donor")) is Detail.STATUS:
                other = self.user is not None and self.user.is_donor_liaison
                return ANOTHER_DONOR if other else f"{self._requirement(step)} received in full"
            return f"{self._requirement(step)} received in full"
        if kind == "cohort_released":
            return f"{self._cohort(step)} released"
        if kind == "course":
            where = self._site(step)
            session = f"{step['session_ref']}, " if self._sees("session", step) else ""
            done = ", completed" if step.get("completed") else ""
            return (
                f"course {step.get('course')} at {where} ({session}{step.get('weeks')} weeks{done})"
            )
        if kind == "crew_trained":
            crew = f"crew {step['cohort_ref']}" if self._sees("cohort", step) else "a crew"
            if step.get("completed", True):
                return f"{crew} trained"
            return f"{crew} expected trained (not yet recorded completed)"
        if kind == "package_ready":
            if step.get("crews_trained", True):
                return f"{step.get('name')} ready"
            return f"{step.get('name')} expected ready (crews not yet recorded trained)"
        return self.text(step)

    # ---- a package ----

    def bottleneck(self, package: CapabilityPackage) -> str:
        return self.text(package.bottleneck or {})

    def components(self, package: CapabilityPackage) -> list[Component]:
        parts = package.components or {}
        out = []
        for name in PARTS:
            part = parts.get(name)
            if part is None:
                continue
            fact = part.get("fact") or {}
            dated = bool(part.get("date"))
            date = self.date({**fact, "date": part.get("date")}) if dated else ""
            out.append(Component(name, date, dated, self.text(fact)))
        return out

    def crews_trained(self, package: CapabilityPackage) -> bool:
        """Whether every crew of the package is recorded trained (its ready-on date is otherwise
        expected, not reached)."""
        crews = (package.components or {}).get("crews") or {}
        fact = crews.get("fact") or {}
        return bool(crews.get("date")) and bool(fact.get("completed", "completed" not in fact))

    def part_dates(self, package: CapabilityPackage) -> list[str]:
        """The three columns of the list: a date, "no date", "–" (hidden) or "" (not listed)."""
        shown = {c.name: c for c in self.components(package)}
        out = []
        for name in PARTS:
            c = shown.get(name)
            out.append("" if c is None else c.date or ("–" if c.dated else "no date"))
        return out

    def critical_path(self, package: CapabilityPackage) -> list[Step]:
        steps: list[Step] = []
        for step in package.critical_path or []:
            label = self.label(step)
            if label and not (steps and steps[-1].label == label):
                steps.append(Step(self.date(step), label))
        return steps

    def cause(self, change: ReadinessChange) -> str:
        if self.everything:
            return change.cause
        words = [self._cause(c) for c in change.causes or []]
        return "; ".join(dict.fromkeys(w for w in words if w))

    def _cause(self, cause: Mapping[str, Any]) -> str:
        kind = cause.get("kind")
        if kind == "pledge":
            seen = [p for p in cause.get("pledges") or [] if p in self._pledges]
            return "a pledge changed" if seen else ""
        if kind in ("shipment_events", "shipment_replanned"):
            full = [s for s in cause.get("shipments") or [] if s in self._shipments]
            return "your shipments moved" if full and self._own_shipments else ""
        if kind == "training":
            return "training plans changed"
        if kind == "training_schedule":
            return "training schedule run"
        if kind in ("allocation", "package", "recomputed"):
            return {
                "allocation": "allocation plan committed",
                "package": "package changed",
                "recomputed": "recomputed",
            }[kind]
        return ""

    @property
    def _own_shipments(self) -> bool:
        # Only a donor reads its shipments in full; the recipient's view of a shipment's events
        # is the handover, and a change's time would tell it when the others happened.
        return bool(self.user and self.user.is_donor_liaison)

    def change(self, change: ReadinessChange) -> Change | None:
        """The change as this viewer reads it; None when nothing it may read moved (an ETA moved
        within its week, another donor's shipment was delayed with no move of the date)."""
        before, after = self.text(change.before_bottleneck), self.text(change.after_bottleneck)
        if change.before_date == change.after_date and before == after:
            return None
        return Change(change, before, after, self.cause(change))

    def changes(self, changes: Iterable[ReadinessChange]) -> list[Change]:
        return [c for c in (self.change(x) for x in changes) if c is not None]


def _day(value: Any) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None
