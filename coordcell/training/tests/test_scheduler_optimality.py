"""The optimiser is optimal on small instances and never worse than first-come-first-served."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coordcell.training.scheduler import (
    Instance,
    Parameters,
    Session,
    Status,
    check_schedule,
    fcfs_baseline,
    schedule_training,
)
from coordcell.training.scheduler.examples import random_small_instance
from coordcell.training.scheduler.results import build_schedule

PARAMS = Parameters(time_limit_s=5, max_early_gap=3)


def objective_by_hand(
    inst: Instance, params: Parameters, chosen: dict[str, tuple[Session, ...]]
) -> int:
    """The documented objective, restated independently of the solver's code."""
    total = 0
    for c in inst.cohorts:
        booked = chosen.get(c.id)
        if not booked:
            worst = max(inst.horizon_weeks, c.target_week) * max(1, params.early_weight)
            total += c.weight * (worst + params.unscheduled_extra_weeks)
            continue
        finish = booked[-1].start_week + inst.course_by_id[booked[-1].course_id].duration_weeks
        early = 0
        if params.max_early_gap is not None and not params.forbid_early:
            early = max(0, c.target_week - params.max_early_gap - finish)
        total += c.weight * (max(0, finish - c.target_week) + params.early_weight * early)
    return total


def brute_force(inst: Instance, params: Parameters) -> int:
    """Try every combination of session chains (or no training) for every cohort."""

    def valid(chosen: dict[str, tuple[Session, ...]]) -> bool:
        sched = build_schedule(
            inst,
            params,
            chosen,
            status=Status.FEASIBLE,
            best_bound=0,
            solve_seconds=0.0,
            solver="bf",
        )
        return not check_schedule(inst, sched, params)

    per_cohort: list[list[tuple[Session, ...]]] = []
    for c in inst.cohorts:
        lists = [[s for s in inst.sessions if s.course_id == cid] for cid in c.path]
        chains = [chain for chain in itertools.product(*lists) if valid({c.id: chain})]
        per_cohort.append([(), *chains])
    best: int | None = None
    for pick in itertools.product(*per_cohort):
        chosen = {c.id: chain for c, chain in zip(inst.cohorts, pick, strict=True) if chain}
        if valid(chosen):
            value = objective_by_hand(inst, params, chosen)
            best = value if best is None else min(best, value)
    assert best is not None
    return best


@pytest.mark.parametrize("seed", range(12))
def test_objective_equals_brute_force_optimum_on_small_instances(seed: int) -> None:
    inst = random_small_instance(seed)
    schedule = schedule_training(inst, PARAMS)
    assert schedule.status is Status.OPTIMAL
    assert check_schedule(inst, schedule, PARAMS) == []
    assert schedule.objective == brute_force(inst, PARAMS)
    assert schedule.best_bound == schedule.objective and schedule.gap == 0


@pytest.mark.parametrize("seed", range(4))
def test_objective_equals_brute_force_when_early_finish_is_forbidden(seed: int) -> None:
    inst = random_small_instance(100 + seed)
    params = replace(PARAMS, forbid_early=True)
    schedule = schedule_training(inst, params)
    assert check_schedule(inst, schedule, params) == []
    assert schedule.objective == brute_force(inst, params)


def test_objective_is_the_documented_weighted_lateness() -> None:
    inst = random_small_instance(7)
    schedule = schedule_training(inst, PARAMS)
    chosen = {}
    for c in inst.cohorts:
        rows = schedule.assignments_of(c.id)
        if rows:
            chosen[c.id] = tuple(inst.session_by_id[a.session_id] for a in rows)
    assert schedule.objective == objective_by_hand(inst, PARAMS, chosen)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(min_value=0, max_value=10**6),
    cohorts=st.integers(min_value=1, max_value=8),
    sessions=st.integers(min_value=1, max_value=10),
)
def test_random_schedules_break_no_rule_and_never_lose_to_fcfs(
    seed: int, cohorts: int, sessions: int
) -> None:
    inst = random_small_instance(seed, cohorts=cohorts, sessions=sessions)
    schedule = schedule_training(inst, PARAMS)
    baseline = fcfs_baseline(inst, PARAMS)
    assert check_schedule(inst, schedule, PARAMS) == []
    assert check_schedule(inst, baseline, PARAMS) == []
    assert schedule.objective <= baseline.objective
    assert schedule.best_bound <= schedule.objective
    late_or_untrained = {r.cohort_id for r in schedule.cohorts if not r.scheduled or r.lateness}
    assert late_or_untrained == {r.cohort_id for r in schedule.cohorts if r.reasons}
