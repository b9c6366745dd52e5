"""Plain data for the training scheduler: frozen dataclasses in, frozen dataclasses out.

Conventions used throughout the scheduler:

* Weeks are integers ``0 .. horizon_weeks - 1``.  A session of a course lasting ``d`` weeks that
  starts in week ``s`` occupies weeks ``s .. s + d - 1`` and *ends* at week ``s + d`` (exclusive):
  the next course may start in week ``s + d`` and the cohort counts as trained from that week.
* Lateness of a cohort = ``max(0, finish_week - target_week)``; the target week is the week its
  equipment is planned to be received.
* Instructors: each *running* session of a course occupies ``Course.instructors_per_session``
  instructors of its site in every week it runs; a site has ``Site.instructors`` instructors.
  A session runs when at least one cohort is booked on it.
* Planned sessions (``candidate=False``) were agreed with the host nation and run with whatever
  attendance they get.  Candidate sessions (``candidate=True``) are opened by the scheduler only if
  at least ``Course.min_class_size`` trainees attend.
* A session's capacity is ``min(Session.seats, Course.max_class_size)``; a cohort is never split
  across sessions of one course.
* A course prerequisite counts as met if the cohort already holds it (``Cohort.qualifications``)
  or completes it earlier on its path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property


@dataclass(frozen=True)
class Course:
    """A course a crew must pass; ``capability`` groups courses into families (e.g. 'Patriot')."""

    id: str
    name: str
    duration_weeks: int
    min_class_size: int
    max_class_size: int
    prerequisites: tuple[str, ...] = ()
    language: str = "en"
    instructors_per_session: int = 1
    capability: str = ""


@dataclass(frozen=True)
class Site:
    """A host nation's training site."""

    id: str
    name: str
    host_nation: str
    course_ids: tuple[str, ...]
    instructors: int
    seats_per_week: int
    blackout_weeks: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Session:
    """One run of a course at a site; ``candidate`` sessions are opened only if enough attend."""

    id: str
    course_id: str
    site_id: str
    start_week: int
    seats: int
    candidate: bool = False


@dataclass(frozen=True)
class Cohort:
    """A crew group of the recipient, trained together along ``path`` (ordered course ids)."""

    id: str
    unit: str
    trainees: int
    path: tuple[str, ...]
    capability: str
    release_week: int
    target_week: int
    weight: int = 1
    qualifications: tuple[str, ...] = ()


@dataclass(frozen=True)
class Parameters:
    """Knobs of the objective and of the solver.

    ``max_early_gap``: finishing more than this many weeks before the equipment arrives costs
    ``early_weight`` x cohort weight per extra week (or is forbidden if ``forbid_early``); ``None``
    switches the rule off.  A cohort left untrained costs its weight x ``unscheduled_cost_weeks``
    (see :func:`unscheduled_cost`), which exceeds any schedule's cost for that cohort.
    ``time_limit_s``: work budget in seconds of the 2-core reference machine (deterministic, so
    a busy machine takes longer but returns the same schedule); ``num_workers``: threads used;
    ``deterministic``: reproducible search, see ``solve.py``; ``decompose``: solve independent
    components separately; ``explain``: derive reasons for late and untrained cohorts.
    """

    max_early_gap: int | None = 12
    forbid_early: bool = False
    early_weight: int = 1
    unscheduled_extra_weeks: int = 26
    allow_unscheduled: bool = True
    time_limit_s: float = 10.0
    num_workers: int = 2
    seed: int = 0
    deterministic: bool = True
    decompose: bool = True
    explain: bool = True


@dataclass(frozen=True)
class Instance:
    """Everything the scheduler needs; sessions must end by ``horizon_weeks`` to be usable."""

    courses: tuple[Course, ...]
    sites: tuple[Site, ...]
    sessions: tuple[Session, ...]
    cohorts: tuple[Cohort, ...]
    horizon_weeks: int
    name: str = ""

    @cached_property
    def course_by_id(self) -> dict[str, Course]:
        return {c.id: c for c in self.courses}

    @cached_property
    def site_by_id(self) -> dict[str, Site]:
        return {s.id: s for s in self.sites}

    @cached_property
    def session_by_id(self) -> dict[str, Session]:
        return {s.id: s for s in self.sessions}

    @cached_property
    def cohort_by_id(self) -> dict[str, Cohort]:
        return {c.id: c for c in self.cohorts}

    def end_week(self, session: Session) -> int:
        """Week from which a trainee of ``session`` counts as trained (exclusive end)."""
        return session.start_week + self.course_by_id[session.course_id].duration_weeks

    def capacity(self, session: Session) -> int:
        """Trainees the session can take: its seats capped by the course's max class size."""
        return min(session.seats, self.course_by_id[session.course_id].max_class_size)

    @property
    def trainees(self) -> int:
        return sum(c.trainees for c in self.cohorts)


class Status(StrEnum):
    OPTIMAL = "OPTIMAL"
    FEASIBLE = "FEASIBLE"
    INFEASIBLE = "INFEASIBLE"
    UNKNOWN = "UNKNOWN"


class ReasonKind(StrEnum):
    """Why a cohort is late or untrained, from the staff officer's point of view."""

    UNKNOWN_COURSE = "unknown_course"
    MISSING_PREREQUISITE = "missing_prerequisite"
    NO_SESSION = "no_session"
    NOT_OFFERED = "not_offered"
    RELEASE = "release"
    LATE_OFFERING = "late_offering"
    BLACKOUT = "blackout"
    CLASS_TOO_SMALL = "class_too_small"
    EARLY_FORBIDDEN = "early_forbidden"
    SESSION_FULL = "session_full"
    SITE_FULL = "site_full"
    NO_INSTRUCTOR = "no_instructor"
    MIN_CLASS = "min_class"
    NO_CHAIN = "no_chain"
    NOT_PROVEN_OPTIMAL = "not_proven_optimal"


@dataclass(frozen=True)
class Reason:
    """One reason in words (``text``) plus the facts behind it for filtering and display."""

    kind: ReasonKind
    text: str
    course_id: str | None = None
    site_id: str | None = None
    weeks: tuple[int, ...] = ()


@dataclass(frozen=True)
class Assignment:
    cohort_id: str
    course_id: str
    session_id: str
    site_id: str
    start_week: int
    end_week: int


@dataclass(frozen=True)
class CohortResult:
    """Outcome for one cohort; ``finish_week``/``lateness`` are ``None`` if it is not scheduled."""

    cohort_id: str
    scheduled: bool
    finish_week: int | None
    lateness: int | None
    weeks_early_beyond_gap: int
    cost: int
    reasons: tuple[Reason, ...] = ()


@dataclass(frozen=True)
class Schedule:
    """The scheduler's answer.  ``gap`` = (objective - best_bound) / max(1, objective)."""

    status: Status
    assignments: tuple[Assignment, ...]
    cohorts: tuple[CohortResult, ...]
    objective: int
    best_bound: int
    gap: float
    solve_seconds: float
    solver: str
    opened_sessions: tuple[str, ...] = ()
    messages: tuple[str, ...] = ()
    deterministic: bool = True
    stats: dict[str, int] = field(default_factory=dict, compare=False, hash=False)

    def result(self, cohort_id: str) -> CohortResult:
        for r in self.cohorts:
            if r.cohort_id == cohort_id:
                return r
        raise KeyError(cohort_id)

    def assignments_of(self, cohort_id: str) -> tuple[Assignment, ...]:
        return tuple(a for a in self.assignments if a.cohort_id == cohort_id)

    @property
    def late(self) -> tuple[CohortResult, ...]:
        return tuple(r for r in self.cohorts if r.scheduled and (r.lateness or 0) > 0)

    @property
    def unscheduled(self) -> tuple[CohortResult, ...]:
        return tuple(r for r in self.cohorts if not r.scheduled)

    @property
    def weighted_lateness(self) -> int:
        """Sum of weight x lateness over scheduled cohorts (untrained cohorts not included)."""
        # A late cohort has no early penalty, so its cost is exactly weight x lateness.
        return sum(r.cost for r in self.cohorts if r.scheduled and (r.lateness or 0) > 0)
