"""Turn a choice of sessions per cohort into a :class:`Schedule` (shared by all solvers)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from coordcell.training.scheduler.model import (
    Assignment,
    CohortResult,
    Instance,
    Parameters,
    Reason,
    Schedule,
    Session,
    Status,
)
from coordcell.training.scheduler.options import early_beyond_gap, finish_cost, unscheduled_cost

Choice = Mapping[str, tuple[Session, ...]]


def objective_of(instance: Instance, params: Parameters, chosen: Choice) -> int:
    """Objective of a choice: finish cost of each scheduled cohort + cost of untrained ones."""
    return sum(_cohort_cost(instance, params, c.id, chosen) for c in instance.cohorts)


def choice_cost(
    instance: Instance, params: Parameters, cohort_ids: Iterable[str], chosen: Choice
) -> int:
    """Objective restricted to some cohorts."""
    return sum(_cohort_cost(instance, params, cid, chosen) for cid in cohort_ids)


def _cohort_cost(instance: Instance, params: Parameters, cohort_id: str, chosen: Choice) -> int:
    cohort = instance.cohort_by_id[cohort_id]
    sessions = chosen.get(cohort_id)
    if not sessions:
        return unscheduled_cost(instance, cohort, params)
    return finish_cost(cohort, instance.end_week(sessions[-1]), params)


def build_schedule(
    instance: Instance,
    params: Parameters,
    chosen: Choice,
    *,
    status: Status,
    best_bound: int,
    solve_seconds: float,
    solver: str,
    reasons: Mapping[str, tuple[Reason, ...]] | None = None,
    messages: tuple[str, ...] = (),
    deterministic: bool = True,
    stats: dict[str, int] | None = None,
) -> Schedule:
    """Assemble the schedule; cohorts keep instance order, assignments follow each path."""
    reasons = reasons or {}
    assignments: list[Assignment] = []
    results: list[CohortResult] = []
    opened: set[str] = set()
    for cohort in instance.cohorts:
        sessions = chosen.get(cohort.id, ())
        cost = _cohort_cost(instance, params, cohort.id, chosen)
        if not sessions:
            results.append(
                CohortResult(cohort.id, False, None, None, 0, cost, reasons.get(cohort.id, ()))
            )
            continue
        for cid, s in zip(cohort.path, sessions, strict=True):
            assignments.append(
                Assignment(cohort.id, cid, s.id, s.site_id, s.start_week, instance.end_week(s))
            )
            if s.candidate:
                opened.add(s.id)
        finish = instance.end_week(sessions[-1])
        results.append(
            CohortResult(
                cohort.id,
                True,
                finish,
                max(0, finish - cohort.target_week),
                early_beyond_gap(cohort, finish, params),
                cost,
                reasons.get(cohort.id, ()),
            )
        )
    objective = sum(r.cost for r in results)
    bound = min(best_bound, objective)
    gap = (objective - bound) / max(1, objective)
    return Schedule(
        status=status,
        assignments=tuple(assignments),
        cohorts=tuple(results),
        objective=objective,
        best_bound=bound,
        gap=gap,
        solve_seconds=solve_seconds,
        solver=solver,
        opened_sessions=tuple(sorted(opened)),
        messages=messages,
        deterministic=deterministic,
        stats=stats or {},
    )
