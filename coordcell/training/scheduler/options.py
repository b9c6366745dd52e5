"""Which sessions each cohort could possibly attend, and what each outcome costs.

Shared by the CP-SAT model, the first-come-first-served baseline and the explanations, so that all
three agree on the objective and on which sessions are usable at all.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from coordcell.training.scheduler.model import Cohort, Instance, Parameters, Session


@dataclass(frozen=True)
class CohortOptions:
    """Sessions a cohort may attend at each position of its path (sorted by start week).

    Only sessions that can be part of a complete chain are kept (release week, course order,
    horizon, blackouts, class size >= cohort size, the forbidden-early rule).  If any position is
    empty the cohort cannot be scheduled at all: ``schedulable`` is False.
    """

    cohort: Cohort
    positions: tuple[tuple[Session, ...], ...]

    @property
    def schedulable(self) -> bool:
        return bool(self.positions) and all(self.positions)

    @property
    def variables(self) -> int:
        return sum(len(p) for p in self.positions)


def session_is_usable(instance: Instance, session: Session) -> bool:
    """A session can be booked: known course and site, the site runs the course, no blackout
    week inside it, and it ends within the horizon."""
    course = instance.course_by_id.get(session.course_id)
    site = instance.site_by_id.get(session.site_id)
    if course is None or site is None or session.course_id not in site.course_ids:
        return False
    end = session.start_week + course.duration_weeks
    if session.start_week < 0 or end > instance.horizon_weeks:
        return False
    if instance.capacity(session) <= 0:
        return False
    return not any(w in site.blackout_weeks for w in range(session.start_week, end))


def usable_sessions_by_course(instance: Instance) -> dict[str, list[Session]]:
    """Usable sessions per course, sorted by (start week, id) so every consumer is deterministic."""
    by_course: dict[str, list[Session]] = defaultdict(list)
    for s in instance.sessions:
        if session_is_usable(instance, s):
            by_course[s.course_id].append(s)
    for sessions in by_course.values():
        sessions.sort(key=lambda s: (s.start_week, s.id))
    return dict(by_course)


def missing_prerequisites(instance: Instance, cohort: Cohort) -> list[tuple[str, str]]:
    """(course, prerequisite) pairs on the cohort's path that are neither held nor earlier."""
    missing: list[tuple[str, str]] = []
    for k, cid in enumerate(cohort.path):
        course = instance.course_by_id.get(cid)
        if course is None:
            continue
        for pre in course.prerequisites:
            if pre not in cohort.qualifications and pre not in cohort.path[:k]:
                missing.append((cid, pre))
    return missing


def compute_options(
    instance: Instance,
    params: Parameters,
    by_course: Mapping[str, list[Session]] | None = None,
    include_candidates: bool = True,
) -> dict[str, CohortOptions]:
    """Options for every cohort, keyed by cohort id (in instance order)."""
    if by_course is None:
        by_course = usable_sessions_by_course(instance)
    result: dict[str, CohortOptions] = {}
    for cohort in instance.cohorts:
        result[cohort.id] = _options_for(instance, params, cohort, by_course, include_candidates)
    return result


def _options_for(
    instance: Instance,
    params: Parameters,
    cohort: Cohort,
    by_course: Mapping[str, list[Session]],
    include_candidates: bool,
) -> CohortOptions:
    if not cohort.path or any(c not in instance.course_by_id for c in cohort.path):
        return CohortOptions(cohort, ())
    if missing_prerequisites(instance, cohort):
        return CohortOptions(cohort, tuple(() for _ in cohort.path))
    positions: list[list[Session]] = []
    ready = cohort.release_week
    for cid in cohort.path:
        opts = [
            s
            for s in by_course.get(cid, [])
            if s.start_week >= ready
            and instance.capacity(s) >= cohort.trainees
            and (include_candidates or not s.candidate)
        ]
        positions.append(opts)
        ready = min((instance.end_week(s) for s in opts), default=instance.horizon_weeks + 1)
    if params.forbid_early and params.max_early_gap is not None:
        earliest_ok = cohort.target_week - params.max_early_gap
        positions[-1] = [s for s in positions[-1] if instance.end_week(s) >= earliest_ok]
    latest_end = instance.horizon_weeks
    for k in range(len(positions) - 1, -1, -1):
        positions[k] = [s for s in positions[k] if instance.end_week(s) <= latest_end]
        latest_end = max((s.start_week for s in positions[k]), default=-1)
    return CohortOptions(cohort, tuple(tuple(p) for p in positions))


def finish_cost(cohort: Cohort, finish_week: int, params: Parameters) -> int:
    """Cost of the cohort finishing its path at ``finish_week``: weight x (weeks late +
    early_weight x weeks finished earlier than ``max_early_gap`` before the equipment)."""
    late = max(0, finish_week - cohort.target_week)
    return cohort.weight * (
        late + params.early_weight * early_beyond_gap(cohort, finish_week, params)
    )


def early_beyond_gap(cohort: Cohort, finish_week: int, params: Parameters) -> int:
    if params.max_early_gap is None or params.forbid_early:
        return 0
    return max(0, cohort.target_week - params.max_early_gap - finish_week)


def unscheduled_cost(instance: Instance, cohort: Cohort, params: Parameters) -> int:
    """Cost of leaving a cohort untrained; larger than any finish cost it could have."""
    worst_weeks = max(instance.horizon_weeks, cohort.target_week) * max(1, params.early_weight)
    return cohort.weight * (worst_weeks + params.unscheduled_extra_weeks)
