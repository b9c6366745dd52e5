"""Plans that survive the loss of a hub: exposure, N-1, the resilient option, the honest bound,
and the rules docs/allocation.md settles (solver only, no database)."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coordcell.allocation.solver import (
    Category,
    Demand,
    Flow,
    Hub,
    Instance,
    InstanceError,
    Parameters,
    Plan,
    PlanStatus,
    Supply,
    check_plan,
    evaluate,
    generate_instance,
    plan_from_json,
    plan_to_json,
    solve,
)
from coordcell.allocation.solver.aggregate import build_groups
from coordcell.allocation.solver.lp import solve_lp
from coordcell.allocation.solver.network import build_network
from coordcell.allocation.solver.optimise import split_instance
from coordcell.allocation.solver.resilience import (
    close_hub,
    exposure,
    n_minus_one,
    plan_resilient,
    worst_single_hub_loss,
)

ART = Category("155-A", "artillery")
MED = Category("MED-1", "medical")


def two_hubs(**params: object) -> Instance:
    """100 priority-1 rounds from Germany to Lviv by week 6.  Through Mielec (MIE) the trip
    takes 1 + 1 weeks, through Rzeszów (RZE) 2 + 1: the plain plan takes Mielec for all of it
    (0.001 cheaper a unit and week)."""
    hubs = (
        Hub("MIE", "Mielec", {"artillery": 100}),
        Hub("RZE", "Rzeszów", {"artillery": 100}),
    )
    return Instance(
        horizon=10,
        categories=(ART,),
        compatibility={},
        supplies=(Supply("P-1", "155-A", 100, 0, "DE"),),
        demands=(Demand("R-1", "155-A", 100, 6, "LV", 1, "BDE-1"),),
        hubs=hubs,
        origin_to_hub={("DE", "MIE"): 1, ("DE", "RZE"): 2},
        hub_to_point={("MIE", "LV"): 1, ("RZE", "LV"): 1},
        parameters=Parameters(method="simplex", **params),  # type: ignore[arg-type]
    )


def units_by_hub(plan: Plan) -> dict[str, int]:
    out: dict[str, int] = {}
    for f in plan.flows:
        out[f.hub_id] = out.get(f.hub_id, 0) + f.quantity
    return out


# --- exposure -------------------------------------------------------------------------------


def test_exposure_names_the_hub_carrying_all_priority_1_as_the_single_point_of_failure() -> None:
    inst = two_hubs()
    plan = solve(inst)
    ex = exposure(inst, plan)
    assert units_by_hub(plan) == {"MIE": 100}
    assert ex.hubs[0].hub_id == "MIE"
    assert ex.hubs[0].p1_on_time == 100 and ex.hubs[0].p1_on_time_share == 1.0
    assert ex.hubs[1].hub_id == "RZE" and ex.hubs[1].p1_on_time == 0
    (week,) = ex.weeks
    assert (week.hub_id, week.p1_units, week.p1_share, week.all_share) == ("MIE", 100, 1.0, 1.0)
    assert worst_single_hub_loss(inst, plan) == 100


def test_exposure_shares_split_a_week_between_hubs() -> None:
    inst = two_hubs()
    flows = (
        Flow("P-1", "MIE", "R-1", 30, 1, 2, 3),
        Flow("P-1", "RZE", "R-1", 70, 0, 2, 3),
    )
    value, results = evaluate(inst, flows)
    plan = Plan(PlanStatus.FEASIBLE, flows, value, None, None, results)
    ex = exposure(inst, plan)
    shares = {(w.hub_id, w.period): w.p1_share for w in ex.weeks}
    assert shares == {("MIE", 2): 0.3, ("RZE", 2): 0.7}
    assert [e.hub_id for e in ex.hubs] == ["RZE", "MIE"]


# --- N-1 --------------------------------------------------------------------------------------


def test_n_minus_one_reroutes_through_the_other_hub() -> None:
    inst = two_hubs()
    plan = solve(inst)
    table = n_minus_one(inst, plan)
    by_hub = {loss.hub_id: loss for loss in table.losses}
    # without Mielec all 100 go through Rzeszów, still on time: a week longer in transit
    assert by_hub["MIE"].p1_on_time == 100
    assert by_hub["MIE"].objective == pytest.approx(plan.objective - 100 * 0.001)
    assert by_hub["MIE"].parts_resolved == 1
    # Rzeszów carries nothing: nothing to re-plan
    assert by_hub["RZE"].p1_lost == 0 and by_hub["RZE"].parts_resolved == 0
    assert table.worst_p1_on_time == 100


def test_n_minus_one_counts_what_is_lost_and_the_readiness_that_moves() -> None:
    inst = two_hubs()
    inst = dataclasses.replace(
        inst,
        hubs=(inst.hubs[0], dataclasses.replace(inst.hubs[1], capacity={"artillery": 40})),
    )
    plan = solve(inst)
    assert plan.demand_results[0].on_time == 100
    loss = {x.hub_id: x for x in n_minus_one(inst, plan).losses}["MIE"]
    # Rzeszów passes 40 a week: weeks 2..4 reach Lviv by week 6 on time (120 > 100)
    assert loss.p1_on_time == 100
    late = {x.hub_id: x for x in n_minus_one(inst, plan, weeks=(0, 9)).losses}["MIE"]
    assert late.p1_lost == 0
    # over a window only the flows passing Mielec in those weeks are re-planned
    last_pass = max(f.hub_period for f in plan.flows)
    window = n_minus_one(inst, plan, hubs=("MIE",), weeks=(last_pass + 1, 9))
    assert window.losses[0].parts_resolved == 0 and window.losses[0].moves == ()
    # a tight Rzeszów: only 40 a week and the requirement due by week 3
    tight = dataclasses.replace(
        inst, demands=(dataclasses.replace(inst.demands[0], need_by_period=3),)
    )
    plan = solve(tight)
    loss = {x.hub_id: x for x in n_minus_one(tight, plan).losses}["MIE"]
    assert loss.p1_on_time == 40  # through Rzeszów in week 2 only (dispatch 0)
    assert loss.p1_lost == 60 and loss.delivered == 100  # the rest arrives late
    (move,) = loss.moves
    assert (move.capability, move.before, move.after, move.weeks) == ("BDE-1", 3, 5, 2)


def test_the_immediate_recourse_keeps_the_rest_and_replans_only_the_displaced_units() -> None:
    inst = two_hubs()
    inst = dataclasses.replace(
        inst,
        supplies=(*inst.supplies, Supply("P-2", "155-A", 50, 0, "DE")),
        demands=(*inst.demands, Demand("R-2", "155-A", 50, 6, "LV", 3)),
        hubs=(inst.hubs[0], dataclasses.replace(inst.hubs[1], capacity={"artillery": 60})),
    )
    plan = solve(inst)
    assert units_by_hub(plan) == {"MIE": 150}
    loss = {x.hub_id: x for x in n_minus_one(inst, plan, keep_rest=True).losses}["MIE"]
    # everything passed Mielec: all of it is re-planned through Rzeszów (60 a week, on time)
    assert loss.p1_on_time == 100 and loss.delivered == 150
    assert loss.objective == pytest.approx(plan.objective - 150 * 0.001)


def test_n_minus_one_of_a_generated_instance_is_feasible_and_no_better() -> None:
    inst = generate_instance(150, seed=3)
    plan = solve(inst)
    table = n_minus_one(inst, plan)
    assert len(table.losses) == len(inst.hubs)
    for loss in table.losses:
        assert loss.objective <= plan.objective + 1e-6 * max(1.0, abs(plan.objective)) + 1.0


# --- resilient planning ---------------------------------------------------------------------


def test_resilient_plan_splits_the_flow_and_halves_the_worst_loss() -> None:
    inst = two_hubs()
    res = plan_resilient(inst, 0.5)
    assert not res.kept_plain
    assert units_by_hub(res.plain) == {"MIE": 100}
    assert units_by_hub(res.plan) == {"MIE": 50, "RZE": 50}
    assert check_plan(inst, res.plan) == []
    # by hand: the worst single-hub loss halves, 50 units spend one more week in transit
    assert (res.worst_plain, res.worst) == (100, 50)
    assert res.plain.objective == pytest.approx(100 * (16 - 0.002))
    assert res.plan.objective == pytest.approx(50 * (16 - 0.002) + 50 * (16 - 0.003))
    assert res.price == pytest.approx(0.05)


def test_share_cap_out_of_range_is_refused() -> None:
    with pytest.raises(InstanceError, match="hub_share_cap"):
        solve(two_hubs(hub_share_cap=1.5))
    with pytest.raises(InstanceError, match="not lexicographic"):
        solve(two_hubs(hub_share_cap=0.5, lexicographic=True))


def test_share_cap_survives_the_instance_file() -> None:
    from coordcell.allocation.solver import instance_from_json, instance_to_json

    inst = two_hubs(hub_share_cap=0.6)
    assert instance_from_json(instance_to_json(inst)).parameters.hub_share_cap == 0.6
    assert '"hub_share_cap"' not in instance_to_json(two_hubs())


@st.composite
def hub_instances(draw: st.DrawFn) -> Instance:
    n_hubs = draw(st.integers(2, 3))
    hubs = tuple(
        Hub(f"H{i}", f"Hub {i}", {"artillery": draw(st.integers(0, 30))}) for i in range(n_hubs)
    )
    o2h = {("O", h.id): draw(st.integers(0, 2)) for h in hubs}
    h2p = {(h.id, p): draw(st.integers(0, 2)) for h in hubs for p in ("P0", "P1")}
    supplies = tuple(
        Supply(f"S{i}", "155-A", draw(st.integers(1, 30)), draw(st.integers(0, 3)), "O")
        for i in range(draw(st.integers(1, 3)))
    )
    demands = tuple(
        Demand(
            f"D{i}",
            "155-A",
            draw(st.integers(1, 30)),
            draw(st.integers(0, 7)),
            draw(st.sampled_from(["P0", "P1"])),
            draw(st.integers(1, 3)),
        )
        for i in range(draw(st.integers(1, 4)))
    )
    return Instance(
        horizon=8,
        categories=(ART,),
        compatibility={},
        supplies=supplies,
        demands=demands,
        hubs=hubs,
        origin_to_hub=o2h,
        hub_to_point=h2p,
        parameters=Parameters(method="simplex", threads=1),
    )


@settings(
    max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(hub_instances(), st.sampled_from([0.4, 0.5, 0.6, 0.75, 0.9]))
def test_resilient_plan_never_loses_more_to_one_hub_nor_gains_value(
    inst: Instance, cap: float
) -> None:
    res = plan_resilient(inst, cap)
    assert check_plan(inst, res.plan) == []
    assert res.worst <= res.worst_plain
    assert res.plan.objective <= res.plain.objective + 1e-6


# --- the honest bound -----------------------------------------------------------------------


def lp_optimum(inst: Instance) -> float:
    total = 0.0
    for sub in split_instance(inst):
        g = build_groups(sub)
        net = build_network(sub, g, tuple(range(len(g.domains))))
        if net.n_cols:
            lp = solve_lp(net.matrix, net.row_lower, net.row_upper, net.cost, "simplex")
            total += lp.objective
    return total


def test_first_order_bound_is_within_five_hundredths_of_a_percent_of_the_lp_optimum() -> None:
    inst = generate_instance(400, seed=2)
    inst = dataclasses.replace(
        inst, parameters=dataclasses.replace(inst.parameters, method="pdlp", threads=1)
    )
    plan = solve(inst)
    optimum = lp_optimum(inst)
    assert plan.lp_bound is not None
    assert plan.lp_bound >= optimum - 1e-6 * abs(optimum)
    assert (plan.lp_bound - optimum) / optimum <= 5e-4
    assert set(plan.stats.bound_kind.split(",")) <= {"lagrangian", "repaired-duals", "lp-duals"}


def test_the_plan_file_says_which_bound_it_is() -> None:
    plan = solve(two_hubs())
    assert plan.stats.bound_kind == "lp-duals"
    assert plan_from_json(plan_to_json(plan)).stats.bound_kind == "lp-duals"
    assert '"bound_kind": "lp-duals"' in plan_to_json(plan)


# --- the rules docs/allocation.md settles -------------------------------------------------


def test_a_compatible_category_of_another_domain_uses_its_own_domains_hub_capacity() -> None:
    # a medical requirement a 155 mm pledge may serve (as if compatible): the units pass the
    # hub under the pledged category's domain (artillery), whatever the requirement's domain
    inst = dataclasses.replace(
        two_hubs(),
        categories=(ART, MED),
        compatibility={"MED-1": frozenset({"155-A"})},
        demands=(Demand("R-1", "MED-1", 100, 6, "LV", 1),),
    )
    only_medical = dataclasses.replace(
        inst, hubs=tuple(dataclasses.replace(h, capacity={"medical": 100}) for h in inst.hubs)
    )
    assert solve(inst).demand_results[0].on_time == 100
    assert solve(only_medical).flows == ()


def test_goods_pass_the_hub_and_arrive_early_in_the_plan_file_waiting_costs_nothing() -> None:
    # ready week 0, due week 6: the plan dispatches so as to pass the hub and arrive early
    plan = solve(two_hubs())
    (f,) = plan.flows
    assert f.arrival_period == f.hub_period + 1 and f.hub_period == f.dispatch_period + 1
    assert f.arrival_period <= 6
    # value: 2 weeks of transit (the routes), never the weeks before or after
    assert plan.objective == pytest.approx(100 * (16 - 0.002))


def test_a_closed_week_blocks_passing_through_the_hub_not_arriving_there() -> None:
    inst = two_hubs()
    inst = dataclasses.replace(
        inst,
        hubs=(inst.hubs[0],),
        demands=(dataclasses.replace(inst.demands[0], need_by_period=5),),
    )
    closed = close_hub(inst, "MIE", (1, 3))
    plan = solve(closed)
    (f,) = plan.flows
    # ready week 0, at Mielec from week 1, due week 5: it waits and passes in week 4
    assert f.hub_period == 4 and f.arrival_period == 5
    assert check_plan(closed, plan) == []


def test_value_is_not_floored_and_a_unit_worth_nothing_or_less_is_never_planned() -> None:
    # penalty 0.5 a week: two weeks late is worth 0, three weeks late -8 (not floored)
    inst = two_hubs(lateness_penalty=0.5, max_lateness=3)
    inst = dataclasses.replace(
        inst, demands=(dataclasses.replace(inst.demands[0], need_by_period=0),)
    )
    assert solve(inst).flows == ()  # the earliest arrival (week 2) is 2 weeks late: worth 0
    late = (Flow("P-1", "MIE", "R-1", 10, 1, 2, 3),)
    value, _ = evaluate(inst, late)
    assert value == pytest.approx(10 * (16 * (1 - 0.5 * 3) - 0.001 * 2))
