"""Same input, same schedule; synthetic instances are reproducible; big ones honour the limit."""

from __future__ import annotations

from dataclasses import replace

import pytest

from coordcell.training.scheduler import (
    Parameters,
    Status,
    check_schedule,
    fcfs_baseline,
    generate_instance,
    schedule_training,
)
from coordcell.training.scheduler import solve as solve_module


def test_generated_instance_is_the_same_for_the_same_seed() -> None:
    assert generate_instance(500, seed=1) == generate_instance(500, seed=1)
    assert generate_instance(500, seed=1) != generate_instance(500, seed=2)


def test_generated_instance_has_the_requested_trainees_in_plausible_cohorts() -> None:
    inst = generate_instance(2000, seed=0)
    assert inst.trainees == 2000
    assert all(1 <= c.trainees <= 30 and 1 <= len(c.path) <= 3 for c in inst.cohorts)
    assert {"Grafenwöhr", "Żagań", "Salisbury Plain"} <= {s.name for s in inst.sites}


def test_same_input_gives_the_same_schedule() -> None:
    inst = generate_instance(600, seed=5)
    params = Parameters(time_limit_s=4)
    first = schedule_training(inst, params)
    second = schedule_training(inst, params)
    assert first.assignments == second.assignments
    assert first.objective == second.objective and first.cohorts == second.cohorts
    assert first.deterministic


@pytest.mark.slow
def test_neighbourhood_search_is_deterministic_and_beats_the_baseline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Force the large-instance path on a mid-sized instance.
    monkeypatch.setattr(solve_module, "DIRECT_VARIABLES", 200)
    inst = generate_instance(2000, seed=2)
    params = Parameters(time_limit_s=6)
    first = schedule_training(inst, params)
    second = schedule_training(inst, params)
    assert first.stats["lns_steps"] > 0
    assert first.assignments == second.assignments
    assert check_schedule(inst, first, params) == []
    assert first.objective < fcfs_baseline(inst, params).objective
    assert first.best_bound <= first.objective


@pytest.mark.slow
def test_large_instance_stops_at_the_time_limit_with_a_gap() -> None:
    inst = generate_instance(10_000, seed=0)
    params = Parameters(time_limit_s=20)
    schedule = schedule_training(inst, params)
    # Work is counted in reference seconds, so this holds however busy the machine is.
    assert schedule.stats["work_ms"] <= params.time_limit_s * 1000
    assert schedule.status in (Status.FEASIBLE, Status.OPTIMAL)
    assert 0 <= schedule.gap < 1 and schedule.best_bound <= schedule.objective
    assert check_schedule(inst, schedule, params) == []
    assert schedule.objective < fcfs_baseline(inst, params).objective


def test_non_deterministic_mode_still_gives_a_valid_schedule() -> None:
    inst = generate_instance(300, seed=6)
    params = replace(Parameters(time_limit_s=3), deterministic=False)
    schedule = schedule_training(inst, params)
    assert check_schedule(inst, schedule, params) == []
