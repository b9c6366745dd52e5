"""A lower bound for large components: the LP relaxation of the model, solved with GLOP.

It is a relaxation in three ways: bookings may be fractional (half a cohort in a session),
instructors and the minimum class of candidate sessions are left out.  Because cohorts cannot be
split, the true optimum can be well above it, so the reported gap may overstate how far the
schedule is from optimal.

The neighbourhood search finds good schedules but proves nothing; this bound is what the reported
optimality gap is measured against.  The relaxation uses the tight ("cumulative") form of the
course-order constraint: for every week t, "course k ends in week t or later" implies "course
k+1 starts in week t or later".  GLOP is OR-Tools' simplex solver and is deterministic.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping

from ortools.linear_solver import pywraplp

from coordcell.training.scheduler.components import Component
from coordcell.training.scheduler.model import Instance, Parameters, Session
from coordcell.training.scheduler.options import CohortOptions, finish_cost, unscheduled_cost


def lp_bound(
    instance: Instance,
    params: Parameters,
    comp: Component,
    options: Mapping[str, CohortOptions],
    time_limit_s: float = 120.0,
) -> int | None:
    """Ceiling of the LP optimum, or None if GLOP did not finish (then use a weaker bound)."""
    lp = pywraplp.Solver.CreateSolver("GLOP")
    if lp is None:
        return None
    lp.SetTimeLimit(int(time_limit_s * 1000))
    objective = lp.Objective()
    attendees: dict[str, list[tuple[pywraplp.Variable, int]]] = defaultdict(list)
    for cid in comp.cohort_ids:
        cohort = instance.cohort_by_id[cid]
        positions = options[cid].positions
        u = lp.NumVar(0.0, 1.0 if params.allow_unscheduled else 0.0, "")
        objective.SetCoefficient(u, unscheduled_cost(instance, cohort, params))
        rows: list[list[tuple[pywraplp.Variable, Session]]] = []
        for k, pos in enumerate(positions):
            row: list[tuple[pywraplp.Variable, Session]] = []
            one = lp.Constraint(1.0, 1.0)
            one.SetCoefficient(u, 1.0)
            for s in pos:
                v = lp.NumVar(0.0, 1.0, "")
                one.SetCoefficient(v, 1.0)
                attendees[s.id].append((v, cohort.trainees))
                row.append((v, s))
                if k == len(positions) - 1:
                    objective.SetCoefficient(v, finish_cost(cohort, instance.end_week(s), params))
            rows.append(row)
        for before, after in zip(rows, rows[1:], strict=False):
            _order(lp, instance, before, after)
    sessions = {s.id: s for s in instance.sessions}
    for sid, terms in attendees.items():
        capacity = instance.capacity(sessions[sid])
        cap = lp.Constraint(-lp.infinity(), float(capacity))
        for v, t in terms:
            cap.SetCoefficient(v, float(t))
        _cardinality_cuts(lp, capacity, terms)
    for site_id, active in comp.seat_groups:
        c = lp.Constraint(-lp.infinity(), float(instance.site_by_id[site_id].seats_per_week))
        for sid in active:
            for v, t in attendees.get(sid, []):
                c.SetCoefficient(v, float(t))
    objective.SetMinimization()
    if lp.Solve() != pywraplp.Solver.OPTIMAL:
        return None
    value: float = objective.Value()
    return math.ceil(value - 1e-6)


def _order(
    lp: pywraplp.Solver,
    instance: Instance,
    before: list[tuple[pywraplp.Variable, Session]],
    after: list[tuple[pywraplp.Variable, Session]],
) -> None:
    """For each week t: share of 'course k ends >= t' <= share of 'course k+1 starts >= t'.

    Written with running sums (a_t, b_t) so the LP stays linear in size."""
    first_start = min(s.start_week for _, s in after)
    weeks = sorted({instance.end_week(s) for _, s in before if instance.end_week(s) > first_start})
    if not weeks:
        return
    ends: dict[int, list[pywraplp.Variable]] = defaultdict(list)
    starts: dict[int, list[pywraplp.Variable]] = defaultdict(list)
    for v, s in before:
        ends[instance.end_week(s)].append(v)
    for v, s in after:
        starts[s.start_week].append(v)
    prev_a: pywraplp.Variable | None = None
    prev_b: pywraplp.Variable | None = None
    for i in range(len(weeks) - 1, -1, -1):
        t = weeks[i]
        upper = weeks[i + 1] if i + 1 < len(weeks) else None
        a = lp.NumVar(0.0, 1.0, "")
        b = lp.NumVar(0.0, 1.0, "")
        for var, prev, bucket in ((a, prev_a, ends), (b, prev_b, starts)):
            # var = prev + sum of x whose week lies in [t, upper)  (upper = None: no upper end)
            row = lp.Constraint(0.0, 0.0)
            row.SetCoefficient(var, 1.0)
            if prev is not None:
                row.SetCoefficient(prev, -1.0)
            for week, xs in bucket.items():
                if week >= t and (upper is None or week < upper):
                    for x in xs:
                        row.SetCoefficient(x, -1.0)
        le = lp.Constraint(-lp.infinity(), 0.0)
        le.SetCoefficient(a, 1.0)
        le.SetCoefficient(b, -1.0)
        prev_a, prev_b = a, b


def _cardinality_cuts(
    lp: pywraplp.Solver, capacity: int, terms: list[tuple[pywraplp.Variable, int]]
) -> None:
    """Cohorts are never split, so two cohorts larger than half a session never share it.

    The plain seat constraint lets the LP book half of each; this cut does not.  (The analogous
    cuts for three or four cohorts did not move the bound on the benchmark instances.)"""
    big = [v for v, t in terms if t * 2 > capacity]
    if len(big) > 1:
        row = lp.Constraint(-lp.infinity(), 1.0)
        for v in big:
            row.SetCoefficient(v, 1.0)
