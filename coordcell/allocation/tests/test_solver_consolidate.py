"""Consolidation: a depot's week through as few hubs as ties allow, the plan's value unchanged."""

from __future__ import annotations

import dataclasses
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coordcell.allocation.solver import (
    Category,
    Demand,
    Flow,
    Hub,
    Instance,
    Parameters,
    Plan,
    PlanStatus,
    Supply,
    check_plan,
    evaluate,
    generate_instance,
    greedy,
    optimise,
    solve,
)
from coordcell.allocation.solver.consolidate import consolidate, hub_groups, load_groups

from .test_solver_properties import tiny_instances

SETTINGS = settings(
    max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)


def _instance(
    caps: dict[str, int],
    supplies: tuple[Supply, ...],
    demands: tuple[Demand, ...],
    o2h: dict[tuple[str, str], int] | None = None,
    closed: dict[str, frozenset[int]] | None = None,
) -> Instance:
    hubs = tuple(
        Hub(h, f"Hub {h}", {"artillery": c}, closed_periods=(closed or {}).get(h, frozenset()))
        for h, c in caps.items()
    )
    origins = sorted({s.origin for s in supplies})
    return Instance(
        horizon=8,
        categories=(Category("155", "artillery"),),
        compatibility={},
        supplies=supplies,
        demands=demands,
        hubs=hubs,
        origin_to_hub=o2h or {(o, h): 1 for o in origins for h in caps},
        hub_to_point={(h, "P"): 1 for h in caps},
    )


def _plan(inst: Instance, flows: tuple[Flow, ...]) -> Plan:
    value, results = evaluate(inst, flows)
    return Plan(PlanStatus.FEASIBLE, flows, value, None, None, results)


def _flow(s: str, hub: str, d: str, q: int) -> Flow:
    return Flow(s, hub, d, q, 0, 1, 2)


def _hubs_of(flows: tuple[Flow, ...], supply: str) -> set[str]:
    return {f.hub_id for f in flows if f.supply_id == supply}


def test_two_tied_hubs_splitting_a_donors_week_become_one_with_the_same_objective() -> None:
    inst = _instance(
        {"H1": 10, "H2": 10},
        (Supply("S1", "155", 8, 0, "DEPOT-A"),),
        (Demand("R1", "155", 4, 2, "P", 1), Demand("R2", "155", 4, 2, "P", 2)),
    )
    split = (_flow("S1", "H1", "R1", 4), _flow("S1", "H2", "R2", 4))
    assert check_plan(inst, _plan(inst, split)) == []

    merged = consolidate(inst, split)

    assert _hubs_of(merged, "S1") == {"H1"}
    assert sum(f.quantity for f in merged) == 8
    assert evaluate(inst, merged)[0] == evaluate(inst, split)[0]
    assert check_plan(inst, _plan(inst, merged)) == []
    # one shipment (load) instead of two
    assert (load_groups(inst, split), load_groups(inst, merged)) == (2, 1)


def test_the_solver_itself_ships_a_tied_week_through_one_hub() -> None:
    inst = _instance(
        {"H1": 10, "H2": 10, "H3": 10},
        (Supply("S1", "155", 9, 0, "DEPOT-A"),),
        tuple(Demand(f"R{i}", "155", 3, 2, "P", i) for i in (1, 2, 3)),
    )
    plan = solve(inst)
    assert sum(f.quantity for f in plan.flows) == 9
    assert len(_hubs_of(plan.flows, "S1")) == 1
    assert check_plan(inst, plan) == []


def test_a_full_hub_takes_the_week_by_swapping_with_another_depots_tied_flow() -> None:
    # H1 is full: 6 of DEPOT-B's units pass it, DEPOT-B also ships through H2 (tied there too).
    inst = _instance(
        {"H1": 10, "H2": 10},
        (Supply("S1", "155", 8, 0, "DEPOT-A"), Supply("S2", "155", 10, 0, "DEPOT-B")),
        (Demand("R1", "155", 8, 2, "P", 1), Demand("R2", "155", 10, 2, "P", 1)),
    )
    plan = (
        _flow("S1", "H1", "R1", 4),
        _flow("S1", "H2", "R1", 4),
        _flow("S2", "H1", "R2", 6),
        _flow("S2", "H2", "R2", 4),
    )
    assert check_plan(inst, _plan(inst, plan)) == []

    merged = consolidate(inst, plan)

    assert len(_hubs_of(merged, "S1")) == 1
    assert hub_groups(inst, merged) < hub_groups(inst, plan)
    assert check_plan(inst, _plan(inst, merged)) == []
    assert evaluate(inst, merged)[0] == evaluate(inst, plan)[0]


def test_no_move_without_a_tie_room_or_permission() -> None:
    supplies = (
        Supply("S1", "155", 8, 0, "DEPOT-A"),
        Supply("S2", "155", 4, 0, "DEPOT-A", allowed_hubs=frozenset({"H2"})),
    )
    demands = (Demand("R1", "155", 12, 3, "P", 1),)
    # H1 is one week further from the depot: different weeks, never a tie
    far = _instance(
        {"H1": 10, "H2": 10}, supplies, demands, o2h={("DEPOT-A", "H1"): 2, ("DEPOT-A", "H2"): 1}
    )
    flows = (Flow("S1", "H1", "R1", 4, 0, 2, 3), Flow("S1", "H2", "R1", 4, 0, 1, 2))
    assert consolidate(far, flows) == flows
    # the same week, but H1 is full and nobody can swap: nothing moves
    full = _instance({"H1": 4, "H2": 4}, supplies, demands)
    flows = (_flow("S1", "H1", "R1", 4), _flow("S1", "H2", "R1", 4))
    assert consolidate(full, flows) == flows
    # S2 may only pass H2; S1 then follows it to H2 (room there), not the other way round
    allowed = _instance({"H1": 20, "H2": 20}, supplies, demands)
    flows = (_flow("S1", "H1", "R1", 8), _flow("S2", "H2", "R1", 4))
    merged = consolidate(allowed, flows)
    assert {f.hub_id for f in merged} == {"H2"}
    assert check_plan(allowed, _plan(allowed, merged)) == []
    # a hub closed in the hub week takes nothing
    closed = _instance({"H1": 20, "H2": 20}, supplies, demands, closed={"H1": frozenset({1})})
    flows = (_flow("S1", "H2", "R1", 4), _flow("S2", "H2", "R1", 4))
    assert consolidate(closed, flows) == flows


def test_the_resilient_plan_is_not_consolidated_and_keeps_its_cap() -> None:
    inst = _instance(
        {"H1": 10, "H2": 10},
        (Supply("S1", "155", 10, 0, "DEPOT-A"),),
        (Demand("R1", "155", 10, 2, "P", 1),),
    )
    capped = dataclasses.replace(inst, parameters=Parameters(hub_share_cap=0.5))
    plan = solve(capped)
    assert check_plan(capped, plan) == []
    by_hub = {h: sum(f.quantity for f in plan.flows if f.hub_id == h) for h in ("H1", "H2")}
    assert by_hub == {"H1": 5, "H2": 5}


def _unconsolidated(inst: Instance) -> Plan:
    with mock.patch.object(optimise, "consolidate", lambda _inst, flows: flows):
        return solve(inst)


def _holds(inst: Instance, plan: Plan) -> None:
    merged = consolidate(inst, plan.flows)
    after = dataclasses.replace(plan, flows=merged)
    assert check_plan(inst, after) == []
    before_value = evaluate(inst, plan.flows)[0]
    assert abs(evaluate(inst, merged)[0] - before_value) <= 1e-9 * max(1.0, abs(before_value))
    assert hub_groups(inst, merged) <= hub_groups(inst, plan.flows)
    assert load_groups(inst, merged) <= load_groups(inst, plan.flows)

    # every pledge sends as much to every requirement in the same weeks as before
    def totals(fs: tuple[Flow, ...]) -> dict[tuple[str, str, int, int, int], int]:
        out: dict[tuple[str, str, int, int, int], int] = {}
        for f in fs:
            k = (f.supply_id, f.demand_id, f.dispatch_period, f.hub_period, f.arrival_period)
            out[k] = out.get(k, 0) + f.quantity
        return out

    assert totals(merged) == totals(plan.flows)
    assert consolidate(inst, plan.flows) == merged  # deterministic


@SETTINGS
@given(n=st.integers(20, 120), seed=st.integers(0, 10_000), shared=st.booleans())
def test_generated_instances_keep_objective_rules_and_never_gain_hubs(
    n: int, seed: int, shared: bool
) -> None:
    inst = generate_instance(n, seed, shared_capacity=shared)
    plan = _unconsolidated(inst)
    _holds(inst, plan)


@SETTINGS
@given(inst=tiny_instances())
def test_tiny_instances_greedy_and_optimal_plans_stay_valid(inst: Instance) -> None:
    _holds(inst, greedy(inst))
    _holds(inst, _unconsolidated(inst))
