"""Invariants of the allocation solver on random tiny instances (hypothesis)."""

from __future__ import annotations

import dataclasses
import random

import highspy
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coordcell.allocation.solver import (
    Category,
    Demand,
    Hub,
    Instance,
    Parameters,
    Supply,
    check_plan,
    greedy,
    solve,
)

SETTINGS = settings(
    max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)


@st.composite
def tiny_instances(draw: st.DrawFn) -> Instance:
    horizon = draw(st.integers(4, 8))
    n_dom = draw(st.integers(1, 2))
    domains = [f"dom{i}" for i in range(n_dom)]
    cats = [Category(f"C{i}", domains[i % n_dom]) for i in range(draw(st.integers(1, 4)))]
    same = {c.code: [x.code for x in cats if x.domain == c.domain] for c in cats}
    compat = {
        c.code: frozenset(draw(st.lists(st.sampled_from(same[c.code]), max_size=2))) for c in cats
    }
    shared = draw(st.booleans())
    hubs = tuple(
        Hub(
            f"H{i}",
            f"Hub {i}",
            {} if shared else {d: draw(st.integers(0, 8)) for d in domains},
            draw(st.integers(0, 12)) if shared else None,
            frozenset(draw(st.lists(st.integers(0, horizon - 1), max_size=2))),
        )
        for i in range(draw(st.integers(1, 3)))
    )
    hub_ids = [h.id for h in hubs]
    origins = [f"O{i}" for i in range(draw(st.integers(1, 2)))]
    points = [f"P{i}" for i in range(draw(st.integers(1, 2)))]
    caps = ["A", "B"]
    o2h = {
        (o, h): draw(st.integers(0, 2))
        for o in origins
        for h in hub_ids
        if draw(st.integers(0, 4)) > 0
    }
    h2p = {
        (h, p): draw(st.integers(0, 2))
        for h in hub_ids
        for p in points
        if draw(st.integers(0, 4)) > 0
    }
    supplies = tuple(
        Supply(
            f"S{i}",
            draw(st.sampled_from(cats)).code,
            draw(st.integers(1, 9)),
            draw(st.integers(0, horizon - 1)),
            draw(st.sampled_from(origins)),
            draw(st.one_of(st.none(), st.frozensets(st.sampled_from(hub_ids), min_size=1))),
            draw(st.one_of(st.none(), st.frozensets(st.sampled_from(caps), min_size=1))),
        )
        for i in range(draw(st.integers(1, 6)))
    )
    demands = tuple(
        Demand(
            f"D{i}",
            draw(st.sampled_from(cats)).code,
            draw(st.integers(1, 9)),
            draw(st.integers(0, horizon - 1)),
            draw(st.sampled_from(points)),
            draw(st.integers(1, 5)),
            draw(st.one_of(st.none(), st.sampled_from(caps))),
        )
        for i in range(draw(st.integers(1, 6)))
    )
    params = Parameters(
        max_lateness=draw(st.integers(0, 2)),
        method=draw(st.sampled_from(["auto", "ipm", "pdlp", "simplex"])),
    )
    return Instance(horizon, tuple(cats), compat, supplies, demands, hubs, o2h, h2p, params)


def mip_optimum(inst: Instance) -> float:
    """Independent path formulation (pledge, hub, requirement, hub week), solved as a MIP."""
    par = inst.parameters
    dom = inst.domain_of()
    hubs = {h.id: h for h in inst.hubs}
    cols: list[tuple[int, str, int, int, float]] = []  # (supply, hub, demand, week, value)
    for si, s in enumerate(inst.supplies):
        for h in sorted(hubs):
            t1 = inst.origin_to_hub.get((s.origin, h))
            if t1 is None or (s.allowed_hubs is not None and h not in s.allowed_hubs):
                continue
            for di, d in enumerate(inst.demands):
                t2 = inst.hub_to_point.get((h, d.delivery_point))
                if t2 is None or s.category not in inst.serving_categories(d.category):
                    continue
                if (
                    s.allowed_capabilities is not None
                    and d.capability not in s.allowed_capabilities
                ):
                    continue
                for t in range(s.available_period + t1, inst.horizon - t2):
                    late = max(0, t + t2 - d.need_by_period)
                    if late > par.max_lateness or hubs[h].capacity_for(dom[s.category], t) <= 0:
                        continue
                    v = par.unit_value(d.priority, late) - par.transport_cost * (t1 + t2)
                    cols.append((si, h, di, t, v))
    if not cols:
        return 0.0
    rows: list[tuple[list[int], float]] = []
    for si, s in enumerate(inst.supplies):
        rows.append(([i for i, c in enumerate(cols) if c[0] == si], s.quantity))
    for di, d in enumerate(inst.demands):
        rows.append(([i for i, c in enumerate(cols) if c[2] == di], d.quantity))
    keys = sorted(
        {
            (
                c[1],
                "*"
                if hubs[c[1]].shared_capacity is not None
                else dom[inst.supplies[c[0]].category],
                c[3],
            )
            for c in cols
        }
    )
    for h, dm, t in keys:
        members = [
            i
            for i, c in enumerate(cols)
            if c[1] == h and c[3] == t and (dm == "*" or dom[inst.supplies[c[0]].category] == dm)
        ]
        rows.append((members, hubs[h].capacity_for(dm, t)))
    m = highspy.Highs()  # type: ignore[no-untyped-call]
    m.setOptionValue("output_flag", False)
    m.setOptionValue("mip_rel_gap", 0.0)
    n = len(cols)
    m.addVars(n, np.zeros(n), np.full(n, highspy.kHighsInf))
    m.changeColsCost(n, np.arange(n, dtype=np.int32), np.array([c[4] for c in cols]))
    m.changeColsIntegrality(
        n, np.arange(n, dtype=np.int32), np.full(n, highspy.HighsVarType.kInteger)
    )
    for members, cap in rows:
        idx = np.array(members, dtype=np.int32)
        m.addRow(-highspy.kHighsInf, float(cap), len(idx), idx, np.ones(len(idx)))
    m.changeObjectiveSense(highspy.ObjSense.kMaximize)
    m.run()
    return float(m.getInfo().objective_function_value)


@SETTINGS
@given(tiny_instances())
def test_plan_never_exceeds_supply_demand_or_hub_capacity(inst: Instance) -> None:
    plan = solve(inst)
    assert check_plan(inst, plan) == []


@SETTINGS
@given(tiny_instances())
def test_greedy_plan_is_feasible(inst: Instance) -> None:
    assert check_plan(inst, greedy(inst)) == []


@SETTINGS
@given(tiny_instances())
def test_plan_objective_is_never_below_greedy(inst: Instance) -> None:
    assert solve(inst).objective >= greedy(inst).objective - 1e-6


@SETTINGS
@given(tiny_instances())
def test_plan_is_within_reported_gap_of_the_mip_optimum(inst: Instance) -> None:
    plan = solve(inst)
    best = mip_optimum(inst)
    assert plan.lp_bound is not None and plan.gap is not None
    assert best <= plan.lp_bound + 1e-6  # the bound is a bound
    assert plan.objective <= best + 1e-6  # the plan is a plan
    assert plan.objective >= best - plan.gap * max(1.0, abs(plan.lp_bound)) - 1e-6


@SETTINGS
@given(tiny_instances(), st.randoms(use_true_random=False))
def test_same_input_gives_the_same_plan_in_any_order(inst: Instance, rnd: random.Random) -> None:
    first = solve(inst)
    assert solve(inst) == first
    shuffled = dataclasses.replace(
        inst,
        supplies=tuple(rnd.sample(inst.supplies, len(inst.supplies))),
        demands=tuple(rnd.sample(inst.demands, len(inst.demands))),
        hubs=tuple(rnd.sample(inst.hubs, len(inst.hubs))),
    )
    again = solve(shuffled)
    assert again.flows == first.flows
    assert np.isclose(again.objective, first.objective)


@SETTINGS
@given(tiny_instances(), st.randoms(use_true_random=False))
def test_potential_bound_is_a_bound_for_any_duals(inst: Instance, rnd: random.Random) -> None:
    from coordcell.allocation.solver.aggregate import build_groups
    from coordcell.allocation.solver.lp import solve_lp
    from coordcell.allocation.solver.network import build_network
    from coordcell.allocation.solver.rounding import potential_bound

    g = build_groups(inst)
    net = build_network(inst, g, tuple(range(len(g.domains))))
    if net.n_cols == 0:
        return
    lp = solve_lp(net.matrix, net.row_lower, net.row_upper, net.cost, "simplex")
    scale = max(1.0, abs(lp.objective))
    # with optimal duals it is the LP optimum; with any duals at least the LP optimum
    assert abs(potential_bound(net, lp.y) - lp.objective) <= 1e-6 * scale
    y = np.array([rnd.uniform(-2.0, 20.0) for _ in range(net.n_rows)])
    assert potential_bound(net, y) >= lp.objective - 1e-6 * scale


@SETTINGS
@given(tiny_instances())
def test_pdlp_plan_is_feasible_and_its_bound_is_a_bound(inst: Instance) -> None:
    pdlp = dataclasses.replace(inst.parameters, method="pdlp")
    plan = solve(dataclasses.replace(inst, parameters=pdlp))
    assert check_plan(inst, plan) == []
    assert plan.lp_bound is not None
    assert mip_optimum(inst) <= plan.lp_bound + 1e-6
