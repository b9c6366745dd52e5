"""What readiness stores: facts, never sentences.

A package's bottleneck, its components, its critical path and every change of them are kept as
*facts* - plain JSON dicts with a ``kind`` and the ids, references and dates behind it (which
pledge, which donor, which shipment, which cohort, which session, which date). The words are
written per viewer, when shown, by ``wording.Wording``: it alone knows what each role may read.
Stored sentences were written once for the cell and hidden per viewer afterwards, which missed
cases (issue 23: another donor's pledge, shipment and ETA in a component's text).

Fact kinds (the keys each carries are built here, and nowhere else):

=====================  ==========================================================================
delivery kinds         ``on_plan``, ``pledge_slipped``, ``shipment_delayed``: requirement,
                       pledge, donor, shipment (or none: a committed allocation line not yet on a
                       shipment), date expected, slip days, pledge available from, departure
``received``           requirement, date received in full, donors of the lines received
``not_allocated``      requirement, units covered, units required
``none_listed``        the part ("end items", "sustainment") lists nothing
``no_cohort``          the capability has no crew cohort
``crew_not_booked``    cohort (and unit), course, the scheduler's reason
``crew_training``      cohort, course, session, site (and its nation), finish date, late or not,
                       the scheduler's reason, ``completed`` (every crew recorded completed every
                       course: trained; else the date is expected)
``crew_needs_rebooking``  cohort, course, session, site: the cohort failed or was absent
                       (``outcome``); not trained, no date until booked again
steps                  ``pledge_available``, ``shipment_leaves``, ``requirement_received``,
                       ``cohort_released``, ``course`` (``completed``), ``crew_trained``
                       (``completed``), ``package_ready`` (``crews_trained``)
=====================  ==========================================================================
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

Fact = dict[str, Any]

DELIVERY_KINDS = ("on_plan", "pledge_slipped", "shipment_delayed")


def iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def requirement(pk: int, reference: str) -> Fact:
    return {"requirement": pk, "requirement_ref": reference}


def cohort(pk: int, reference: str, unit: str = "") -> Fact:
    return {"cohort": pk, "cohort_ref": reference, "unit": unit}


def session(pk: int, reference: str, site_id: int, site_name: str, nation_id: int | None) -> Fact:
    return {
        "session": pk,
        "session_ref": reference,
        "site": site_id,
        "site_name": site_name,
        "site_nation": nation_id,
    }


def reason(data: Mapping[str, Any] | None) -> Fact | None:
    """The scheduler's first reason (``CohortOutcome.reasons[0]``): kind, words, site, weeks."""
    if not data:
        return None
    return {k: data[k] for k in ("kind", "text", "site_id", "course_id", "weeks") if k in data}


def ids(facts: Iterable[Mapping[str, Any]], key: str) -> set[int]:
    """Every id under ``key`` (or in the list ``key`` + "s") in these facts and their steps."""
    found: set[int] = set()
    for fact in facts:
        value = fact.get(key)
        if isinstance(value, int):
            found.add(value)
        for many in fact.get(key + "s") or ():
            if isinstance(many, int):
                found.add(many)
    return found


@dataclass(frozen=True)
class Cause:
    """Why readiness was recomputed: the cell's words (``text``, as the audit trail and the cell
    read them) and the records behind them, so that others read only what they may see."""

    text: str
    kind: str = "other"
    pledges: tuple[int, ...] = ()
    shipments: tuple[int, ...] = ()
    cohorts: tuple[int, ...] = ()
    sessions: tuple[int, ...] = ()
    parts: tuple[Cause, ...] = ()  # the causes merged into this one (one transaction's)

    def as_facts(self) -> list[Fact]:
        if self.parts:
            return [f for part in self.parts for f in part.as_facts()]
        return [
            {
                "kind": self.kind,
                "pledges": list(self.pledges),
                "shipments": list(self.shipments),
                "cohorts": list(self.cohorts),
                "sessions": list(self.sessions),
            }
        ]

    @classmethod
    def merged(cls, causes: Iterable[Cause]) -> Cause:
        unique = list(dict.fromkeys(causes))
        if len(unique) == 1:
            return unique[0]
        return cls("; ".join(c.text for c in unique), "merged", parts=tuple(unique))


def as_cause(cause: str | Cause) -> Cause:
    """A plain text is a cause only the cell reads (kind "other")."""
    return cause if isinstance(cause, Cause) else Cause(str(cause))
