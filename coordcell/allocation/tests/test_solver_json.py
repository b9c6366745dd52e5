"""JSON instance and plan files: versioned, deterministic, exact round trip."""

from __future__ import annotations

import dataclasses
import json

import pytest

from coordcell.allocation.solver import (
    Hub,
    Parameters,
    SchemaError,
    generate_instance,
    greedy,
    instance_from_json,
    instance_to_json,
    plan_from_json,
    plan_to_json,
    solve,
)


def test_instance_json_round_trip_is_exact() -> None:
    inst = generate_instance(150, seed=7)
    inst = dataclasses.replace(
        inst,
        hubs=(
            dataclasses.replace(inst.hubs[0], closed_periods=frozenset({3, 4, 5, 6})),
            Hub("SH", "Shared", {}, 40),
            *inst.hubs[1:],
        ),
        parameters=Parameters(lexicographic=True, time_limit=30.0, method="ipm"),
    )
    text = instance_to_json(inst)
    assert instance_from_json(text) == inst
    assert instance_to_json(instance_from_json(text)) == text


def test_plan_json_round_trip_is_exact_for_solver_and_greedy_plans() -> None:
    inst = generate_instance(150, seed=7)
    for plan in (solve(inst), greedy(inst)):
        text = plan_to_json(plan)
        back = plan_from_json(text)
        assert back == plan and back.stats == plan.stats
        assert plan_to_json(back) == text


def test_instance_json_is_versioned() -> None:
    data = json.loads(instance_to_json(generate_instance(20, seed=1)))
    assert data["schema"] == "coordcell.allocation.instance" and data["version"] == 1


def test_wrong_version_or_missing_field_names_the_problem() -> None:
    data = json.loads(instance_to_json(generate_instance(20, seed=1)))
    with pytest.raises(SchemaError, match="version"):
        instance_from_json(json.dumps({**data, "version": 99}))
    del data["supplies"][0]["quantity"]
    with pytest.raises(SchemaError, match="quantity"):
        instance_from_json(json.dumps(data))
