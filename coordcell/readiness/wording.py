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
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from coordcell.logistics.selectors import Detail, detail_level_for_donor, week_window
from coordcell.registry.access import as_user

from . import facts
from .facts import DELIVERY_KINDS
from .models import CapabilityPackage, ReadinessChange

# The parts of a package: keys of its components, translated where shown (the pages).
PARTS = (gettext_noop("end items"), gettext_noop("crews"), gettext_noop("sustainment"))
ANOTHER_DONOR = gettext_noop("a delivery by another donor")


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
            return _("week %(monday)s – %(sunday)s") % {
                "monday": monday.isoformat(),
                "sunday": sunday.isoformat(),
            }
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
            return _("an item of the package")
        if word:
            return _("requirement %(ref)s") % {"ref": fact["requirement_ref"]}
        return str(fact["requirement_ref"])

    def _cohort(self, fact: Mapping[str, Any], *, unit: bool = False) -> str:
        if not self._sees("cohort", fact):
            return _("a cohort")
        which = f" ({fact['unit']})" if unit and fact.get("unit") else ""
        return _("cohort %(ref)s") % {"ref": fact["cohort_ref"]} + which

    def _site(self, fact: Mapping[str, Any]) -> str:
        if not self._sees("site", fact):
            return _("another nation's site")
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
                return _("a delivery by another donor for %(req)s") % {"req": req}
            return _("a delivery for %(req)s is awaited") % {"req": req}
        pledge = (
            _("pledge %(ref)s") % {"ref": fact["pledge_ref"]}
            if self._sees("pledge", fact)
            else _("a pledge")
        )
        shipment = (
            _(" on shipment %(ref)s") % {"ref": fact["shipment_ref"]}
            if fact.get("shipment_ref") and self._sees("shipment", fact)
            else ""
        )
        when = self._delivery_date(fact)
        kind = fact["kind"]
        if level is Detail.FULL and kind == "pledge_slipped":
            return _(
                "%(pledge)s slipped: available only from %(day)s, %(days)s days after its planned "
                "departure; %(req)s now expected %(when)s"
            ) % {
                "pledge": pledge,
                "day": fact.get("available_from"),
                "days": fact.get("slip_days"),
                "req": req,
                "when": when,
            }
        if level is Detail.FULL and kind == "shipment_delayed":
            return _(
                "shipment %(ref)s (%(pledge)s) delayed %(days)s days; %(req)s now expected %(when)s"
            ) % {
                "ref": fact.get("shipment_ref"),
                "pledge": pledge,
                "days": fact.get("slip_days"),
                "req": req,
                "when": when,
            }
        if kind == "pledge_slipped" and self._sees("pledge", fact):
            # The pledge's availability is on its own page; how far it is behind the shipment's
            # plan would give that plan away.
            return _(
                "%(pledge)s available only from %(day)s; %(req)s now expected in the %(when)s"
            ) % {"pledge": pledge, "day": fact.get("available_from"), "req": req, "when": when}
        what = {"req": req, "pledge": pledge, "shipment": shipment, "when": when}
        if level is Detail.LAST_LEG:
            return _("delivery of %(req)s (%(pledge)s%(shipment)s) expected in the %(when)s") % what
        return _("delivery of %(req)s (%(pledge)s%(shipment)s) expected %(when)s") % what

    def text(self, fact: Mapping[str, Any]) -> str:
        """A bottleneck or component fact in words."""
        kind = fact.get("kind")
        if not kind:
            return ""
        if kind in DELIVERY_KINDS:
            return self._delivery(fact)
        if kind == "not_allocated" and fact.get("quantity") is None:
            return _("%(req)s not allocated: its quantity is undisclosed (%(covered)s covered)") % {
                "req": self._requirement(fact, "requirement"),
                "covered": fact.get("covered"),
            }
        if kind == "not_allocated":
            return _("%(req)s not allocated (%(covered)s of %(quantity)s covered)") % {
                "req": self._requirement(fact, "requirement"),
                "covered": fact.get("covered"),
                "quantity": fact.get("quantity"),
            }
        if kind == "received":
            when = self.date(fact)
            req = self._requirement(fact, "requirement")
            if when:
                return _("%(req)s received in full on %(when)s") % {"req": req, "when": when}
            return _("%(req)s received in full") % {"req": req}
        if kind == "none_listed":
            return _("no %(part)s listed") % {"part": _(str(fact.get("part")))}
        if kind == "no_cohort":
            return _("no crew cohort registered for the %(capability)s") % {
                "capability": fact.get("capability")
            }
        if kind == "crew_not_booked":
            course = fact.get("course") or _("(no course path)")
            why = self._reason(fact)
            return _("%(cohort)s not booked on course %(course)s") % {
                "cohort": self._cohort(fact, unit=True),
                "course": course,
            } + (f": {why}" if why else "")
        if kind == "crew_training":
            why = self._reason(fact)
            if fact.get("completed"):
                return _(
                    "%(cohort)s trained: course %(course)s at %(site)s completed, ended %(day)s"
                ) % {
                    "cohort": self._cohort(fact),
                    "course": fact.get("course"),
                    "site": self._site(fact),
                    "day": fact.get("date"),
                }
            # Facts from before results were recorded carry no "completed": read as before.
            expected = (
                "" if "completed" not in fact else " " + _("(expected: not yet recorded completed)")
            )
            if fact.get("late") and why:
                return _("%(cohort)s trained late (%(day)s%(expected)s): %(why)s") % {
                    "cohort": self._cohort(fact),
                    "day": fact.get("date"),
                    "expected": expected,
                    "why": why,
                }
            return (
                _("training of %(cohort)s: course %(course)s at %(site)s ends %(day)s")
                % {
                    "cohort": self._cohort(fact),
                    "course": fact.get("course"),
                    "site": self._site(fact),
                    "day": fact.get("date"),
                }
                + expected
            )
        if kind == "crew_needs_rebooking":
            session = f" ({fact['session_ref']})" if self._sees("session", fact) else ""
            words = {
                "cohort": self._cohort(fact, unit=True),
                "course": fact.get("course"),
                "site": self._site(fact),
                "session": session,
            }
            if fact.get("outcome") == "failed":
                return (
                    _(
                        "%(cohort)s failed course %(course)s at %(site)s%(session)s: not trained, "
                        "needs booking again"
                    )
                    % words
                )
            return (
                _(
                    "%(cohort)s was absent from course %(course)s at %(site)s%(session)s: "
                    "not trained, needs booking again"
                )
                % words
            )
        if kind == "legacy":
            return str(fact.get("text", "")) if self.everything else ""
        return ""

    def label(self, step: Mapping[str, Any]) -> str:
        """A critical path step in words ("" when the viewer reads nothing of it)."""
        kind = step.get("kind")
        if kind == "pledge_available":
            if self._sees("pledge", step):
                return _("pledge %(ref)s available") % {"ref": step["pledge_ref"]}
            return ""
        if kind == "shipment_leaves":
            if self._level(step.get("donor")) is Detail.STATUS:
                return ""
            if step.get("shipment_ref") and self._sees("shipment", step):
                return _("shipment %(ref)s leaves") % {"ref": step["shipment_ref"]}
            return _("leaves the donor's depot")
        if kind == "requirement_received":
            if self._level(step.get("donor")) is Detail.STATUS:
                other = self.user is not None and self.user.is_donor_liaison
                if other:
                    return _(ANOTHER_DONOR)
            return _("%(req)s received in full") % {"req": self._requirement(step)}
        if kind == "cohort_released":
            return _("%(cohort)s released") % {"cohort": self._cohort(step)}
        if kind == "course":
            where = self._site(step)
            session = f"{step['session_ref']}, " if self._sees("session", step) else ""
            done = ", " + _("completed") if step.get("completed") else ""
            return _("course %(course)s at %(where)s (%(session)s%(weeks)s weeks%(done)s)") % {
                "course": step.get("course"),
                "where": where,
                "session": session,
                "weeks": step.get("weeks"),
                "done": done,
            }
        if kind == "crew_trained":
            crew = (
                _("crew %(ref)s") % {"ref": step["cohort_ref"]}
                if self._sees("cohort", step)
                else _("a crew")
            )
            if step.get("completed", True):
                return _("%(crew)s trained") % {"crew": crew}
            return _("%(crew)s expected trained (not yet recorded completed)") % {"crew": crew}
        if kind == "package_ready":
            if step.get("crews_trained", True):
                return _("%(name)s ready") % {"name": step.get("name")}
            return _("%(name)s expected ready (crews not yet recorded trained)") % {
                "name": step.get("name")
            }
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
            out.append("" if c is None else c.date or ("–" if c.dated else _("no date")))
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
            return cell_words(change.cause)
        words = [self._cause(c) for c in change.causes or []]
        return "; ".join(dict.fromkeys(w for w in words if w))

    def _cause(self, cause: Mapping[str, Any]) -> str:
        kind = cause.get("kind")
        if kind == "pledge":
            seen = [p for p in cause.get("pledges") or [] if p in self._pledges]
            return _("a pledge changed") if seen else ""
        if kind in ("shipment_events", "shipment_replanned"):
            full = [s for s in cause.get("shipments") or [] if s in self._shipments]
            return _("your shipments moved") if full and self._own_shipments else ""
        if kind == "training":
            return _("training plans changed")
        if kind == "training_schedule":
            return _("training schedule run")
        if kind in ("allocation", "package", "recomputed"):
            return {
                "allocation": _("allocation plan committed"),
                "package": _("package changed"),
                "recomputed": _("recomputed"),
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


# The cell's words for a change's cause are stored in English (the audit trail's text); they are
# read in the viewer's language: each known form is matched and said again through gettext.
_CAUSE_FORMS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), m)
    for p, m in (
        (
            r"^(?P<cohort>\S+) booked on (?P<session>\S+)$",
            gettext_noop("%(cohort)s booked on %(session)s"),
        ),
        (
            r"^(?P<cohort>\S+) taken off (?P<session>\S+)$",
            gettext_noop("%(cohort)s taken off %(session)s"),
        ),
        (r"^cohort (?P<cohort>\S+) changed$", gettext_noop("cohort %(cohort)s changed")),
        (r"^cohort (?P<cohort>\S+) deleted$", gettext_noop("cohort %(cohort)s deleted")),
        (r"^session (?P<session>\S+) cancelled$", gettext_noop("session %(session)s cancelled")),
        (r"^session (?P<session>\S+) changed$", gettext_noop("session %(session)s changed")),
        (r"^package (?P<package>\S+) changed$", gettext_noop("package %(package)s changed")),
        (r"^packages imported: (?P<packages>.+)$", gettext_noop("packages imported: %(packages)s")),
        (r"^recomputed by (?P<user>\S+)$", gettext_noop("recomputed by %(user)s")),
        (r"^training schedule (?P<run>\S+)$", gettext_noop("training schedule %(run)s")),
        (r"^pledge (?P<pledges>.+) changed$", gettext_noop("pledge %(pledges)s changed")),
        (
            r"^allocation (?P<allocation>\S+) committed$",
            gettext_noop("allocation %(allocation)s committed"),
        ),
        (r"^shipment events: (?P<shipments>.+)$", gettext_noop("shipment events: %(shipments)s")),
        (r"^(?P<shipment>\S+) replanned$", gettext_noop("%(shipment)s replanned")),
    )
]


def cell_words(text: str) -> str:
    """A stored cause (one or more, joined by "; ") in the viewer's language; a form not
    known is left as stored."""

    def one(part: str) -> str:
        for pattern, message in _CAUSE_FORMS:
            found = pattern.match(part)
            if found:
                return _(message) % found.groupdict()
        return part

    return "; ".join(one(part) for part in (text or "").split("; "))


def _day(value: Any) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None
