"""Entry point of the optimiser: decompose, solve each part with CP-SAT, explain the result.

Strategy per independent component (``components.py``):

* small components (up to ``DIRECT_VARIABLES`` booleans) are solved as one CP-SAT model, usually
  to proven optimality (its bound is CP-SAT's);
* larger ones by large-neighbourhood search (``lns.py``): starting from first-come-first-served,
  repeatedly free the cohorts around a late or untrained cohort, keep everybody else's bookings
  fixed, and let CP-SAT re-book the freed ones optimally, one neighbourhood per core.  Their
  bound is the LP relaxation of the full model (``bound.py``), or the sum of each cohort's best
  case if the LP does not finish.

Time and determinism.  ``Parameters.time_limit_s`` is spent in *reference seconds*: every CP-SAT
call is limited by deterministic time (``max_deterministic_time``, a count of work, not of
seconds), converted with ``DTIME_PER_SECOND`` / ``LNS_DTIME_PER_SECOND`` as measured on the
2-core reference machine, and Python-side work is charged by counting model size.  So the same
input and parameters give the same schedule on any machine and under any load; only the wall
time changes (about the limit on an idle reference machine, more when the machine is busy).
Seeds are fixed.  With ``deterministic`` set, a whole-component solve uses one worker (measured
faster here than two interleaved workers), and the search runs ``num_workers`` single-worker
sub-solves side by side, whose results are applied in a fixed order (the second re-checked
against the first).  A wall-clock safety net of ``WALL_SAFETY_FACTOR`` x the budget remains; if
it is what stopped a solve, the schedule says ``deterministic=False``.  With ``deterministic``
off, CP-SAT's own parallel portfolio runs under plain wall-clock limits.

The schedule is never worse than first-come-first-served: its booking is the starting point
(and a complete hint for CP-SAT), and a component keeps it if CP-SAT finds nothing better.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass

from ortools.sat.python import cp_model

from coordcell.training.scheduler.baseline import fcfs_choice
from coordcell.training.scheduler.bound import lp_bound
from coordcell.training.scheduler.check import validate_instance
from coordcell.training.scheduler.components import Component, find_components
from coordcell.training.scheduler.cpsat import (
    DTIME_PER_SECOND,
    Choice,
    build_model,
    make_solver,
    stopped_by_wall,
)
from coordcell.training.scheduler.explain import explain_schedule
from coordcell.training.scheduler.lns import improve, lower_bound
from coordcell.training.scheduler.model import Instance, Parameters, Schedule, Session, Status
from coordcell.training.scheduler.options import (
    CohortOptions,
    compute_options,
    unscheduled_cost,
    usable_sessions_by_course,
)
from coordcell.training.scheduler.results import build_schedule, choice_cost

DIRECT_VARIABLES = 6000
RESERVE = 0.15
LP_SECONDS_PER_VARIABLE = 1e-4


@dataclass
class ComponentResult:
    choice: Choice
    status: Status
    bound: int
    deterministic: bool
    used_baseline: bool
    seconds: float
    lns_steps: int = 0


def schedule_training(instance: Instance, params: Parameters | None = None) -> Schedule:
    """Assign cohorts to sessions minimising weighted lateness; see the module docstring.

    Raises ``ValueError`` listing every problem if the instance is inconsistent (duplicate ids,
    unknown courses or sites on sessions, non-positive sizes).  Cohorts that cannot be scheduled
    at all are reported in the result with reasons, never raised.
    """
    params = params or Parameters()
    problems = validate_instance(instance)
    if problems:
        raise ValueError("invalid training instance:\n- " + "\n- ".join(problems))
    started = time.perf_counter()
    by_course = usable_sessions_by_course(instance)
    options = compute_options(instance, params, by_course)
    baseline = fcfs_choice(
        instance, compute_options(instance, params, by_course, include_candidates=False)
    )
    components = find_components(instance, options, split=params.decompose)

    chosen: Choice = {}
    bound = sum(
        unscheduled_cost(instance, instance.cohort_by_id[cid], params)
        for cid, opt in options.items()
        if not opt.schedulable
    )
    statuses: list[Status] = []
    deterministic = True
    used_baseline = 0
    lns_steps = 0
    work = 0.0
    # Keep a share of the limit for preparing, bounding and explaining.
    budget = params.time_limit_s * (1.0 - RESERVE)
    remaining_weight = sum(c.weight for c in components)
    for comp in components:
        share = budget * comp.weight / max(1, remaining_weight)
        remaining_weight -= comp.weight
        result = _solve_component(instance, params, comp, options, baseline, share)
        budget = max(0.0, budget - result.seconds)
        work += result.seconds
        chosen.update(result.choice)
        bound += result.bound
        statuses.append(result.status)
        deterministic &= result.deterministic
        used_baseline += result.used_baseline
        lns_steps += result.lns_steps

    structurally_blocked = any(not o.schedulable for o in options.values())
    if Status.INFEASIBLE in statuses or (structurally_blocked and not params.allow_unscheduled):
        status = Status.INFEASIBLE
    elif Status.UNKNOWN in statuses:
        status = Status.UNKNOWN
    elif all(s is Status.OPTIMAL for s in statuses):
        status = Status.OPTIMAL
    else:
        status = Status.FEASIBLE
    reasons = explain_schedule(instance, params, chosen) if params.explain else {}
    messages: list[str] = []
    if status is Status.INFEASIBLE:
        messages.append(
            "not every cohort can be trained with the sessions offered; the schedule shows the "
            "best booking found, with the untrained cohorts and their reasons"
        )
    if used_baseline:
        messages.append(f"{used_baseline} component(s) kept the first-come-first-served booking")
    stats = {
        "cohorts": len(instance.cohorts),
        "sessions": len(instance.sessions),
        "components": len(components),
        "variables": sum(c.weight for c in components),
        "largest_component": max((c.weight for c in components), default=0),
        "lns_steps": lns_steps,
        # reference-machine milliseconds charged against the time limit (load-independent)
        "work_ms": round(work * 1000),
    }
    return build_schedule(
        instance,
        params,
        chosen,
        status=status,
        best_bound=bound,
        solve_seconds=time.perf_counter() - started,
        solver="cp-sat",
        reasons=reasons,
        messages=tuple(messages),
        deterministic=deterministic,
        stats=stats,
    )


def _solve_component(
    instance: Instance,
    params: Parameters,
    comp: Component,
    options: Mapping[str, CohortOptions],
    baseline: Mapping[str, tuple[Session, ...]],
    budget: float,
) -> ComponentResult:
    base_choice = {cid: baseline[cid] for cid in comp.cohort_ids if cid in baseline}
    base_ok = params.allow_unscheduled or len(base_choice) == len(comp.cohort_ids)
    if comp.weight > DIRECT_VARIABLES and base_ok and params.allow_unscheduled:
        # The LP bound is computed after the search; its time comes out of the same budget.
        search = max(0.1 * budget, budget - LP_SECONDS_PER_VARIABLE * comp.weight)
        outcome = improve(instance, params, comp, options, base_choice, search)
        bound = max(
            lower_bound(instance, params, comp, options),
            lp_bound(instance, params, comp, options) or 0,
        )
        cost = choice_cost(instance, params, comp.cohort_ids, outcome.choice)
        status = Status.OPTIMAL if cost <= bound else Status.FEASIBLE
        return ComponentResult(
            outcome.choice,
            status,
            bound,
            outcome.deterministic,
            False,
            outcome.seconds + LP_SECONDS_PER_VARIABLE * comp.weight,
            outcome.steps,
        )

    built = build_model(
        instance, params, comp, options, baseline, allow_unscheduled=params.allow_unscheduled
    )
    solver = make_solver(params, budget, _direct_workers(params))
    code = solver.solve(built.model)
    seconds = solver.response_proto.deterministic_time / DTIME_PER_SECOND
    deterministic = params.deterministic and not stopped_by_wall(solver, code)
    base_cost = choice_cost(instance, params, comp.cohort_ids, base_choice)

    if code == cp_model.INFEASIBLE:
        # Only reachable when every cohort must be trained: solve again allowing untrained cohorts
        # so the result still shows the best booking and which cohorts cannot fit.
        relaxed = build_model(instance, params, comp, options, baseline, allow_unscheduled=True)
        solver2 = make_solver(params, budget, _direct_workers(params))
        code2 = solver2.solve(relaxed.model)
        ok = code2 in (cp_model.OPTIMAL, cp_model.FEASIBLE)
        choice = relaxed.extract(solver2) if ok else base_choice
        return ComponentResult(choice, Status.INFEASIBLE, 0, deterministic, False, seconds)
    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        choice = built.extract(solver)
        bound = math.ceil(solver.best_objective_bound - 1e-6)
        status = Status.OPTIMAL if code == cp_model.OPTIMAL else Status.FEASIBLE
        if base_ok and base_cost < choice_cost(instance, params, comp.cohort_ids, choice):
            return ComponentResult(base_choice, status, bound, deterministic, True, seconds)
        return ComponentResult(choice, status, bound, deterministic, False, seconds)
    # No solution within the limit: keep the baseline if it is a valid answer.
    status = Status.FEASIBLE if base_ok else Status.UNKNOWN
    bound = lower_bound(instance, params, comp, options)
    return ComponentResult(base_choice, status, bound, deterministic, True, seconds)


def _direct_workers(params: Parameters) -> int:
    """One worker when determinism is asked for: on our instances a single deterministic worker
    solved components faster than two interleaved ones (the second core then helps the
    neighbourhood search, which runs one sub-problem per core)."""
    return 1 if params.deterministic else params.num_workers
