"""Large-neighbourhood search for components too big to solve as one CP-SAT model.

One step: pick (seeded, deterministic) a cohort that costs more than its best case, free it and
the cohorts related to it (booked on, or able to use, the sessions it could use, transitively, up
to a size target), keep every other booking fixed, and re-book the freed cohorts optimally with
CP-SAT.  A step is accepted only if it lowers the cost, so the search never gets worse than its
start.  The neighbourhood grows after steps solved to optimality and shrinks after the others.
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from ortools.sat.python import cp_model

from coordcell.training.scheduler.components import Component
from coordcell.training.scheduler.cpsat import (
    LNS_DTIME_PER_SECOND,
    WALL_SAFETY_FACTOR,
    Built,
    Choice,
    build_model,
    make_solver,
    stopped_by_wall,
)
from coordcell.training.scheduler.loads import Loads
from coordcell.training.scheduler.model import Instance, Parameters, Session
from coordcell.training.scheduler.options import CohortOptions, finish_cost, unscheduled_cost

STEP_SECONDS = 3.0
START_VARIABLES = 2500
MIN_VARIABLES, MAX_VARIABLES = 600, 8000
# Python-side work (model building), charged by counting, so the budget stays reproducible.
ROUND_OVERHEAD_SECONDS = 0.05
OVERHEAD_SECONDS_PER_VARIABLE = 4e-5


@dataclass
class Outcome:
    choice: Choice
    seconds: float
    deterministic: bool
    steps: int
    improvements: int


def cohort_cost(
    instance: Instance, params: Parameters, cid: str, choice: Mapping[str, tuple[Session, ...]]
) -> int:
    cohort = instance.cohort_by_id[cid]
    booked = choice.get(cid)
    if not booked:
        return unscheduled_cost(instance, cohort, params)
    return finish_cost(cohort, instance.end_week(booked[-1]), params)


def best_case(instance: Instance, params: Parameters, opt: CohortOptions) -> int:
    """The cohort's cost with every seat free (its share of the lower bound)."""
    cohort = opt.cohort
    costs = [finish_cost(cohort, instance.end_week(s), params) for s in opt.positions[-1]]
    if params.allow_unscheduled:
        costs.append(unscheduled_cost(instance, cohort, params))
    return min(costs)


def lower_bound(
    instance: Instance, params: Parameters, comp: Component, options: Mapping[str, CohortOptions]
) -> int:
    """Sum of best cases: a valid (if weak) lower bound for the component."""
    return sum(best_case(instance, params, options[cid]) for cid in comp.cohort_ids)


def improve(
    instance: Instance,
    params: Parameters,
    comp: Component,
    options: Mapping[str, CohortOptions],
    start: Mapping[str, tuple[Session, ...]],
    budget: float,
) -> Outcome:
    """Improve ``start`` (a valid booking of the component) within ``budget`` reference seconds."""
    rng = random.Random(params.seed)
    order = {cid: i for i, cid in enumerate(comp.cohort_ids)}
    current: Choice = dict(start)
    best = {cid: best_case(instance, params, options[cid]) for cid in comp.cohort_ids}
    cost = {cid: cohort_cost(instance, params, cid, current) for cid in comp.cohort_ids}
    can_use: dict[str, list[str]] = defaultdict(list)
    for cid in comp.cohort_ids:
        for pos in options[cid].positions:
            for s in pos:
                can_use[s.id].append(cid)
    booked_on: dict[str, set[str]] = defaultdict(set)

    started = time.perf_counter()
    wall_limit = WALL_SAFETY_FACTOR * budget + 1.0
    used = 0.0
    steps = improvements = 0
    target = START_VARIABLES
    deterministic = params.deterministic
    workers = max(1, params.num_workers)
    loads = Loads(instance)
    for cid, sessions in current.items():
        for s in sessions:
            loads.add(s, instance.cohort_by_id[cid].trainees)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        while used < budget:
            bad = [cid for cid in comp.cohort_ids if cost[cid] > best[cid]]
            if not bad:
                break
            if time.perf_counter() - started > wall_limit:
                deterministic = False
                break
            booked_on.clear()
            for cid, sessions in current.items():
                for s in sessions:
                    booked_on[s.id].add(cid)
            # One neighbourhood per worker, disjoint, each solved with everyone else fixed.
            taken: set[str] = set()
            jobs: list[tuple[list[str], Built]] = []
            for _ in range(workers):
                candidates = [cid for cid in bad if cid not in taken]
                if not candidates:
                    break
                seed = candidates[rng.randrange(len(candidates))]
                free = _neighbourhood(
                    seed, options, can_use, booked_on, set(bad), target, rng, taken
                )
                free.sort(key=order.__getitem__)
                taken |= set(free)
                free_set = set(free)
                fixed = {cid: s for cid, s in current.items() if cid not in free_set}
                built = build_model(
                    instance,
                    params,
                    comp,
                    options,
                    current,
                    allow_unscheduled=True,
                    free=free,
                    fixed=fixed,
                )
                jobs.append((free, built))
            step = min(STEP_SECONDS, max(0.05, budget - used))
            solvers = [make_solver(params, step, 1, LNS_DTIME_PER_SECOND) for _ in jobs]
            codes = list(
                pool.map(lambda js: js[1].solve(js[0][1].model), zip(jobs, solvers, strict=True))
            )
            dtime = max(s.response_proto.deterministic_time for s in solvers)
            used += dtime / LNS_DTIME_PER_SECOND + ROUND_OVERHEAD_SECONDS
            used += OVERHEAD_SECONDS_PER_VARIABLE * sum(len(b.x) for _, b in jobs)
            steps += len(jobs)
            all_optimal = all(code == cp_model.OPTIMAL for code in codes)
            target = int(target * 1.25) if all_optimal else int(target * 0.8)
            target = max(MIN_VARIABLES, min(MAX_VARIABLES, target))
            for (free, built), solver, code in zip(jobs, solvers, codes, strict=True):
                if params.deterministic and stopped_by_wall(solver, code):
                    deterministic = False
                if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                    continue
                new = built.extract(solver)
                before = sum(cost[cid] for cid in free)
                after = sum(cohort_cost(instance, params, cid, new) for cid in free)
                if after >= before or not _apply(instance, loads, current, new, free):
                    continue
                improvements += 1
                for cid in free:
                    cost[cid] = cohort_cost(instance, params, cid, current)
    return Outcome(current, used, deterministic, steps, improvements)


def _apply(
    instance: Instance,
    loads: Loads,
    current: Choice,
    new: Mapping[str, tuple[Session, ...]],
    free: list[str],
) -> bool:
    """Re-book ``free`` cohorts as in ``new`` if every resource still holds, else change nothing.

    Neighbourhoods solved side by side each saw the other's cohorts at their old bookings, so the
    second one applied is re-checked against the first one's changes.
    """
    old = {cid: current.get(cid, ()) for cid in free}
    touched = {s.id: s for cid in free for s in old[cid] + new.get(cid, ())}
    for cid in free:
        for s in old[cid]:
            loads.remove(s, instance.cohort_by_id[cid].trainees)
        for s in new.get(cid, ()):
            loads.add(s, instance.cohort_by_id[cid].trainees)
    if all(_holds(instance, loads, s) for s in touched.values()):
        for cid in free:
            current.pop(cid, None)
            if new.get(cid):
                current[cid] = new[cid]
        return True
    for cid in free:
        for s in new.get(cid, ()):
            loads.remove(s, instance.cohort_by_id[cid].trainees)
        for s in old[cid]:
            loads.add(s, instance.cohort_by_id[cid].trainees)
    return False


def _holds(instance: Instance, loads: Loads, s: Session) -> bool:
    trainees = loads.session_trainees[s.id]
    if trainees > instance.capacity(s):
        return False
    if (
        s.candidate
        and loads.running(s)
        and trainees < instance.course_by_id[s.course_id].min_class_size
    ):
        return False
    site = instance.site_by_id[s.site_id]
    for w in range(s.start_week, instance.end_week(s)):
        if loads.site_week_trainees[(site.id, w)] > site.seats_per_week:
            return False
        if loads.site_week_instructors[(site.id, w)] > site.instructors:
            return False
    return True


def _neighbourhood(
    seed: str,
    options: Mapping[str, CohortOptions],
    can_use: Mapping[str, list[str]],
    booked_on: Mapping[str, set[str]],
    bad: set[str],
    target: int,
    rng: random.Random,
    exclude: set[str],
) -> list[str]:
    """Cohorts related to ``seed`` through the sessions they could use, up to ``target``
    booleans, leaving out ``exclude`` (taken by another neighbourhood of the same round)."""
    chosen: set[str] = set()
    queue = [seed]
    size = 0
    while queue and size < target:
        cid = queue.pop(0)
        if cid in chosen or cid in exclude:
            continue
        chosen.add(cid)
        size += options[cid].variables
        related: set[str] = set()
        for pos in options[cid].positions:
            for s in pos:
                related |= booked_on.get(s.id, set())
                related |= {c for c in can_use.get(s.id, ()) if c in bad}
        fresh = sorted(related - chosen)
        rng.shuffle(fresh)
        queue.extend(fresh)
    return sorted(chosen)
