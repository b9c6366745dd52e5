"""Behaviour of the allocation solver and its explanations on hand-made instances."""

from __future__ import annotations

import dataclasses

import pytest

from coordcell.allocation.solver import (
    Category,
    Demand,
    Flow,
    Hub,
    Instance,
    InstanceError,
    Parameters,
    ReasonCode,
    SolveCache,
    Supply,
    check_plan,
    explain,
    generate_instance,
    greedy,
    solve,
)

ART = Category("155-A", "artillery")
ART_B = Category("155-B", "artillery")
MED = Category("MED-1", "medical")


def make(
    supplies: list[Supply],
    demands: list[Demand],
    *,
    cap: int = 100,
    hubs: tuple[Hub, ...] | None = None,
    o2h: dict[tuple[str, str], int] | None = None,
    h2p: dict[tuple[str, str], int] | None = None,
    **params: object,
) -> Instance:
    hubs = hubs or (Hub("RZE", "Rzeszów", {"artillery": cap, "medical": cap}),)
    return Instance(
        horizon=12,
        categories=(ART, ART_B, MED),
        compatibility={"155-A": frozenset({"155-B"})},
        supplies=tuple(supplies),
        demands=tuple(demands),
        hubs=hubs,
        origin_to_hub=o2h if o2h is not None else {("DE", h.id): 1 for h in hubs},
        hub_to_point=h2p if h2p is not None else {(h.id, "LV"): 1 for h in hubs},
        parameters=Parameters(**params),  # type: ignore[arg-type]
    )


def codes(reasons: list) -> list[str]:  # type: ignore[type-arg]
    return [r.code for r in reasons]


def test_only_incompatible_supply_gives_no_compatible_supply_reason() -> None:
    inst = make([Supply("P-1", "MED-1", 5, 0, "DE")], [Demand("R-1", "155-A", 10, 5, "LV", 1)])
    plan = solve(inst)
    assert plan.flows == ()
    reasons = explain(inst, plan)["R-1"]
    assert codes(reasons) == [ReasonCode.NO_COMPATIBLE_SUPPLY]
    assert "no compatible supply" in reasons[0].text


def test_compatible_category_serves_the_requirement() -> None:
    inst = make([Supply("P-1", "155-B", 10, 0, "DE")], [Demand("R-1", "155-A", 10, 5, "LV", 1)])
    plan = solve(inst)
    assert plan.demand_results[0].on_time == 10
    assert "R-1" not in explain(inst, plan)


def test_late_supply_gives_available_only_from_week_reason() -> None:
    inst = make([Supply("P-1", "155-A", 10, 5, "DE")], [Demand("R-1", "155-A", 10, 5, "LV", 1)])
    plan = solve(inst)
    assert plan.demand_results[0].late == 10  # ready week 5, one week to the hub, one to LV
    reasons = explain(inst, plan)["R-1"]
    late = [r for r in reasons if r.code == ReasonCode.LATE_SUPPLY]
    assert late and late[0].week == 7
    assert "available only from week 7" in late[0].text


def test_supply_beyond_max_lateness_gives_too_late_reason() -> None:
    inst = make([Supply("P-1", "155-A", 10, 5, "DE")], [Demand("R-1", "155-A", 10, 3, "LV", 1)])
    plan = solve(inst)
    assert plan.flows == ()
    assert codes(explain(inst, plan)["R-1"]) == [ReasonCode.TOO_LATE]


def test_full_hub_gives_capacity_reason_with_the_weeks() -> None:
    inst = make(
        [Supply("P-1", "155-A", 20, 0, "DE")], [Demand("R-1", "155-A", 20, 4, "LV", 1)], cap=5
    )
    plan = solve(inst)
    assert check_plan(inst, plan) == []
    assert plan.demand_results[0].on_time == 15  # hub weeks 1, 2, 3 at 5 a week
    reasons = explain(inst, plan)["R-1"]
    full = [r for r in reasons if r.code == ReasonCode.HUB_CAPACITY_FULL]
    assert full and full[0].hub_id == "RZE" and full[0].weeks == (1, 2, 3)
    assert "Rzeszów capacity for artillery full in weeks 1-3" in full[0].text


def test_priority_one_competitor_gets_the_supply() -> None:
    inst = make(
        [Supply("P-1", "155-A", 10, 0, "DE")],
        [Demand("R-LOW", "155-A", 10, 5, "LV", 3), Demand("R-TOP", "155-A", 10, 5, "LV", 1)],
    )
    plan = solve(inst)
    assert {f.demand_id for f in plan.flows} == {"R-TOP"}
    reasons = explain(inst, plan)["R-LOW"]
    other = [r for r in reasons if r.code == ReasonCode.SUPPLY_TO_OTHER]
    assert other[0].competing_demand_id == "R-TOP" and other[0].competing_priority == 1
    assert "priority-1 requirement R-TOP" in other[0].text


def test_allowed_hubs_are_respected() -> None:
    hubs = (Hub("FAST", "Fast", {"artillery": 100}), Hub("SLOW", "Slow", {"artillery": 100}))
    o2h = {("DE", "FAST"): 1, ("DE", "SLOW"): 2}
    inst = make(
        [Supply("P-1", "155-A", 10, 0, "DE", allowed_hubs=frozenset({"SLOW"}))],
        [Demand("R-1", "155-A", 10, 5, "LV", 1)],
        hubs=hubs,
        o2h=o2h,
    )
    plan = solve(inst)
    assert plan.flows and all(f.hub_id == "SLOW" for f in plan.flows)
    assert check_plan(inst, plan) == []


def test_allowed_capabilities_are_respected() -> None:
    inst = make(
        [Supply("P-1", "155-A", 10, 0, "DE", allowed_capabilities=frozenset({"BDE-1"}))],
        [
            Demand("R-2", "155-A", 10, 5, "LV", 1, "BDE-2"),
            Demand("R-1", "155-A", 10, 5, "LV", 5, "BDE-1"),
        ],
    )
    plan = solve(inst)
    assert {f.demand_id for f in plan.flows} == {"R-1"}
    assert codes(explain(inst, plan)["R-2"]) == [ReasonCode.RESTRICTED_CAPABILITY]


def test_check_plan_reports_hand_edit_violations() -> None:
    inst = make(
        [Supply("P-1", "155-A", 10, 2, "DE")], [Demand("R-1", "MED-1", 5, 5, "LV", 1)], cap=3
    )
    bad = dataclasses.replace(solve(inst), flows=(Flow("P-1", "RZE", "R-1", 8, 1, 3, 4),))
    problems = "\n".join(check_plan(inst, bad))
    for expected in (
        "cannot serve",
        "available only from week 2",
        "inconsistent with transit",
        "only 5 required",
        "capacity 3",
    ):
        assert expected in problems


def test_lexicographic_mode_meets_priority_one_first() -> None:
    # One unit: priority 1 can only get it 3 weeks late (worth 16 * 0.25 = 4), priority 2 on
    # time (worth 8).  Weighted prefers priority 2; "priority 1 first" must not.
    h2p = {("RZE", "FAR"): 4, ("RZE", "NEAR"): 1}
    demands = [Demand("R-P1", "155-A", 1, 2, "FAR", 1), Demand("R-P2", "155-A", 1, 2, "NEAR", 2)]
    supplies = [Supply("P-1", "155-A", 1, 0, "DE")]
    weighted = solve(make(supplies, demands, h2p=h2p))
    assert [f.demand_id for f in weighted.flows] == ["R-P2"]
    lex_inst = make(supplies, demands, h2p=h2p, lexicographic=True)
    lex = solve(lex_inst)
    assert [f.demand_id for f in lex.flows] == ["R-P1"]
    assert check_plan(lex_inst, lex) == []


def test_plan_beats_greedy_on_a_generated_instance() -> None:
    inst = generate_instance(400, seed=3)
    plan, hand = solve(inst), greedy(inst)
    assert check_plan(inst, plan) == [] and check_plan(inst, hand) == []
    assert plan.objective > hand.objective
    assert plan.gap is not None and plan.gap < 0.005


def test_shared_hub_capacity_is_solved_as_one_part() -> None:
    inst = generate_instance(300, seed=4, shared_capacity=True)
    plan = solve(inst)
    assert plan.stats.parts == 1
    assert check_plan(inst, plan) == []


def test_per_domain_capacities_split_the_problem_by_domain() -> None:
    plan = solve(generate_instance(300, seed=4))
    assert plan.stats.parts == 7


def test_what_if_re_solve_reuses_unchanged_parts() -> None:
    inst = generate_instance(300, seed=5)
    cache = SolveCache()
    solve(inst, cache)
    slipped = inst.supplies[0]
    what_if = dataclasses.replace(
        inst,
        supplies=(
            dataclasses.replace(slipped, available_period=slipped.available_period + 4),
            *inst.supplies[1:],
        ),
    )
    hits = cache.hits
    again = solve(what_if, cache)
    assert cache.hits - hits == again.stats.parts - 1
    assert again == solve(what_if)


def test_what_if_warm_start_keeps_every_rule_and_the_gap() -> None:
    inst = generate_instance(150, seed=5)
    inst = dataclasses.replace(inst, parameters=dataclasses.replace(inst.parameters, method="pdlp"))
    cache = SolveCache(warm_start=True)
    base = solve(inst, cache)
    hub = inst.hubs[0]
    closed = dataclasses.replace(
        inst,
        hubs=(dataclasses.replace(hub, closed_periods=frozenset({3, 4, 5, 6})), *inst.hubs[1:]),
    )
    warm = solve(closed, cache)
    assert cache.warm_starts == warm.stats.parts  # every part changed: each one warm-started
    assert check_plan(closed, warm) == []
    assert not any(f.hub_id == hub.id and 3 <= f.hub_period <= 6 for f in warm.flows)
    assert warm.gap < 0.01  # (a tiny instance forced onto PDLP: rounding costs relatively more)
    cold = solve(closed)
    # each proven bound holds for the other's plan, and closing a hub never gains
    assert warm.objective <= cold.lp_bound + 1e-6
    assert cold.objective <= warm.lp_bound + 1e-6
    assert warm.objective <= base.lp_bound + 1e-6


def test_cache_without_warm_start_reproduces_a_fresh_solve() -> None:
    inst = generate_instance(150, seed=5)
    inst = dataclasses.replace(inst, parameters=dataclasses.replace(inst.parameters, method="pdlp"))
    cache = SolveCache()
    solve(inst, cache)
    closed = dataclasses.replace(
        inst,
        hubs=(dataclasses.replace(inst.hubs[0], capacity={}), *inst.hubs[1:]),
    )
    assert solve(closed, cache) == solve(closed)
    assert cache.warm_starts == 0


def test_generated_instance_is_deterministic() -> None:
    assert generate_instance(200, seed=9) == generate_instance(200, seed=9)
    assert generate_instance(200, seed=9) != generate_instance(200, seed=10)


def test_invalid_instance_names_the_field_and_value() -> None:
    inst = make([Supply("P-1", "NOPE", 0, 0, "DE")], [Demand("R-1", "155-A", 10, 40, "LV", 7)])
    with pytest.raises(InstanceError) as err:
        solve(inst)
    text = "\n".join(err.value.problems)
    for expected in ("unknown category 'NOPE'", "quantity 0", "need_by_period 40", "priority 7"):
        assert expected in text


def test_pledges_restricted_to_unrouted_hubs_are_explained() -> None:
    hubs = (Hub("A", "Hub A", {"artillery": 100}), Hub("B", "Hub B", {"artillery": 100}))
    inst = make(
        [Supply("P-1", "155-A", 10, 0, "DE", allowed_hubs=frozenset({"B"}))],
        [Demand("R-1", "155-A", 10, 5, "LV", 1)],
        hubs=hubs,
        h2p={("A", "LV"): 1},
    )
    plan = solve(inst)
    assert plan.flows == ()
    assert codes(explain(inst, plan)["R-1"]) == [ReasonCode.RESTRICTED_HUBS]


@pytest.mark.slow
def test_parallel_workers_give_the_same_plan_as_one_process() -> None:
    inst = generate_instance(1000, seed=6)  # large enough for worker processes
    parallel = solve(dataclasses.replace(inst, parameters=Parameters(threads=2)))
    sequential = solve(dataclasses.replace(inst, parameters=Parameters(threads=1)))
    assert parallel == sequential
    assert check_plan(inst, parallel) == []


def test_pledge_reaching_the_hub_after_the_horizon_is_skipped() -> None:
    # available in the last week, two weeks to the hub: at the hub only after the horizon
    inst = make(
        [Supply("P-LATE", "155-A", 10, 11, "DE"), Supply("P-OK", "155-A", 6, 0, "DE")],
        [Demand("R-1", "155-A", 10, 11, "LV", 1)],
        o2h={("DE", "RZE"): 2},
    )
    for plan in (greedy(inst), solve(inst)):
        assert check_plan(inst, plan) == []
        assert {f.supply_id for f in plan.flows} == {"P-OK"}
        assert plan.demand_results[0].on_time == 6
