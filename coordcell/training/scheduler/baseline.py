"""First-come-first-served: what a cell booking by hand would get, to compare the optimiser with."""

from __future__ import annotations

import time

from coordcell.training.scheduler.explain import explain_schedule
from coordcell.training.scheduler.loads import Loads
from coordcell.training.scheduler.model import Instance, Parameters, Schedule, Session, Status
from coordcell.training.scheduler.options import CohortOptions, compute_options
from coordcell.training.scheduler.results import build_schedule


def fcfs_choice(
    instance: Instance, options: dict[str, CohortOptions]
) -> dict[str, tuple[Session, ...]]:
    """Cohorts in release order (ties by id) each take, course by course, the earliest planned
    session with room; a cohort that cannot complete its path books nothing."""
    loads = Loads(instance)
    chosen: dict[str, tuple[Session, ...]] = {}
    for cohort in sorted(instance.cohorts, key=lambda c: (c.release_week, c.id)):
        opt = options[cohort.id]
        if not opt.schedulable:
            continue
        ready = cohort.release_week
        booked: list[Session] = []
        for sessions in opt.positions:
            pick = next(
                (
                    s
                    for s in sessions
                    if not s.candidate
                    and s.start_week >= ready
                    and loads.blocker(s, cohort.trainees) is None
                ),
                None,
            )
            if pick is None:
                break
            loads.add(pick, cohort.trainees)
            booked.append(pick)
            ready = instance.end_week(pick)
        if len(booked) == len(opt.positions):
            chosen[cohort.id] = tuple(booked)
        else:
            for s in booked:
                loads.remove(s, cohort.trainees)
    return chosen


def fcfs_baseline(instance: Instance, params: Parameters | None = None) -> Schedule:
    """Schedule by first-come-first-served over planned sessions only (no candidate sessions).

    The result is scored with the same objective as the optimiser; it carries no proven bound
    (``best_bound`` = 0) and its status is FEASIBLE, or INFEASIBLE if ``allow_unscheduled`` is
    off and some cohort got no place.
    """
    params = params or Parameters()
    started = time.perf_counter()
    options = compute_options(instance, params, include_candidates=False)
    chosen = fcfs_choice(instance, options)
    seconds = time.perf_counter() - started
    complete = len(chosen) == len(instance.cohorts)
    status = Status.FEASIBLE if complete or params.allow_unscheduled else Status.INFEASIBLE
    reasons = explain_schedule(instance, params, chosen, solver="fcfs") if params.explain else {}
    return build_schedule(
        instance,
        params,
        chosen,
        status=status,
        best_bound=0,
        solve_seconds=seconds,
        solver="fcfs",
        reasons=reasons,
    )
