"""The CP-SAT model: book each cohort onto one session per course of its path.

* ``x[c, k, s]`` = cohort ``c`` attends session ``s`` for the k-th course of its path; only created
  for sessions in the cohort's options (``options.py``), which already encode release week, course
  order feasibility, horizon, blackouts and cohort size <= class size.
* ``u[c]`` = cohort left untrained (only if ``Parameters.allow_unscheduled``).
* exactly one session per course, or none at all: ``sum_s x[c, k, s] + u[c] == 1``.
* course order: ``sum start(s) x[c, k+1, s] >= sum end(s) x[c, k, s]``; prerequisites on the path
  come earlier on it, so this also enforces them.
* session seats ``sum trainees x <= capacity``; for sessions whose instructors can run short, and
  for candidate sessions, an ``open[s]`` boolean with ``sum trainees x <= capacity * open``;
  a candidate session also needs ``sum trainees x >= min_class_size * open``.
* site seats per week: ``sum load(s) <= seats_per_week`` over the sessions running that week;
  instructors per week: ``sum instructors_per_session * open[s] <= instructors``.  Only limits that
  can be exceeded at all are added (``components.py``).
* objective: lateness and the early-gap penalty depend only on the end of the last course, so it is
  linear in ``x``: ``sum cost(c, end(s)) x[c, last, s] + sum unscheduled_cost(c) u[c]``.

The model can be built for a subset of a component's cohorts with the others' bookings fixed
(``fixed``): their seats, weekly site load and running sessions become constants.  The search
(``solve.py``) uses that for its large-neighbourhood steps.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ortools.sat.python import cp_model

from coordcell.training.scheduler.components import Component
from coordcell.training.scheduler.model import Instance, Parameters, Session
from coordcell.training.scheduler.options import CohortOptions, finish_cost, unscheduled_cost

Choice = dict[str, tuple[Session, ...]]

# Deterministic time (CP-SAT's count of work) per wall-clock second, measured on the 2-core
# reference machine for one solve at a time (DTIME_PER_SECOND) and for the neighbourhood search's
# parallel sub-solves (LNS_DTIME_PER_SECOND); used to turn ``Parameters.time_limit_s`` into a
# reproducible work limit.
DTIME_PER_SECOND = 0.2
LNS_DTIME_PER_SECOND = 0.13
WALL_SAFETY_FACTOR = 10.0


@dataclass
class Built:
    """A CP-SAT model and what is needed to read a choice of sessions back from it."""

    model: cp_model.CpModel
    x: dict[tuple[str, int, str], cp_model.IntVar]
    sessions: dict[str, Session]
    path_lengths: dict[str, int]

    def extract(self, solver: cp_model.CpSolver) -> Choice:
        picked: dict[str, dict[int, Session]] = {}
        for (cid, k, sid), var in self.x.items():
            if solver.boolean_value(var):
                picked.setdefault(cid, {})[k] = self.sessions[sid]
        return {
            cid: tuple(by_k[k] for k in range(self.path_lengths[cid]))
            for cid, by_k in sorted(picked.items())
            if len(by_k) == self.path_lengths[cid]
        }


def build_model(
    instance: Instance,
    params: Parameters,
    comp: Component,
    options: Mapping[str, CohortOptions],
    hint: Mapping[str, tuple[Session, ...]],
    *,
    allow_unscheduled: bool,
    free: Sequence[str] | None = None,
    fixed: Mapping[str, tuple[Session, ...]] | None = None,
) -> Built:
    """Model for the cohorts ``free`` (default: the whole component), others fixed as ``fixed``."""
    m = cp_model.CpModel()
    free = list(comp.cohort_ids) if free is None else list(free)
    fixed = fixed or {}
    fixed_load: dict[str, int] = defaultdict(int)
    for cid, booked in fixed.items():
        for s in booked:
            fixed_load[s.id] += instance.cohort_by_id[cid].trainees

    x: dict[tuple[str, int, str], cp_model.IntVar] = {}
    sessions: dict[str, Session] = {}
    attendees: dict[str, list[tuple[cp_model.IntVar, int]]] = defaultdict(list)
    objective: list[tuple[cp_model.IntVar, int]] = []
    path_lengths: dict[str, int] = {}
    hinted_sessions: dict[str, int] = defaultdict(int)
    for cid in free:
        cohort = instance.cohort_by_id[cid]
        positions = options[cid].positions
        path_lengths[cid] = len(positions)
        hinted = hint.get(cid, ())
        for s in hinted:
            hinted_sessions[s.id] += cohort.trainees
        unscheduled = None
        if allow_unscheduled:
            unscheduled = m.new_bool_var(f"u[{cid}]")
            m.add_hint(unscheduled, not hinted)
            objective.append((unscheduled, unscheduled_cost(instance, cohort, params)))
        per_pos: list[list[tuple[cp_model.IntVar, Session]]] = []
        for k, pos in enumerate(positions):
            row: list[tuple[cp_model.IntVar, Session]] = []
            for s in pos:
                var = m.new_bool_var(f"x[{cid},{k},{s.id}]")
                x[(cid, k, s.id)] = var
                sessions[s.id] = s
                attendees[s.id].append((var, cohort.trainees))
                m.add_hint(var, bool(hinted) and hinted[k].id == s.id)
                row.append((var, s))
            per_pos.append(row)
            chosen = sum(v for v, _ in row)
            m.add(chosen + unscheduled == 1 if unscheduled is not None else chosen == 1)
        for k in range(len(per_pos) - 1):
            m.add(
                sum(s.start_week * v for v, s in per_pos[k + 1])
                >= sum(instance.end_week(s) * v for v, s in per_pos[k])
            )
        for v, s in per_pos[-1]:
            cost = finish_cost(cohort, instance.end_week(s), params)
            if cost:
                objective.append((v, cost))

    # Sessions: seats, opening (instructors, candidates).
    all_sessions = {s.id: s for s in instance.sessions}
    group_sessions = {sid for _, g in comp.seat_groups + comp.instructor_groups for sid in g}
    needs_open = set(comp.instructor_sessions) | {sid for sid, s in sessions.items() if s.candidate}
    opened: dict[str, cp_model.LinearExprT] = {}
    load: dict[str, cp_model.LinearExprT] = {}
    for sid in sorted(set(attendees) | group_sessions):
        s = all_sessions[sid]
        cap = instance.capacity(s)
        base = fixed_load.get(sid, 0)
        terms = attendees.get(sid, [])
        expr = sum(t * v for v, t in terms) + base
        load[sid] = expr
        if not terms:
            opened[sid] = 1 if base else 0
            continue
        if sid in needs_open:
            o = m.new_bool_var(f"open[{sid}]")
            m.add_hint(o, hinted_sessions[sid] + base > 0)
            if base:
                m.add(o == 1)
            opened[sid] = o
            m.add(expr <= cap * o)
            if s.candidate:
                m.add(expr >= instance.course_by_id[s.course_id].min_class_size * o)
        elif base + sum(t for _, t in terms) > cap:
            m.add(expr <= cap)
    for site_id, active in comp.seat_groups:
        limit = instance.site_by_id[site_id].seats_per_week
        if any(attendees.get(sid) for sid in active):
            m.add(sum(load[sid] for sid in active) <= limit)
    for site_id, active in comp.instructor_groups:
        limit = instance.site_by_id[site_id].instructors
        if any(attendees.get(sid) for sid in active):
            m.add(
                sum(
                    instance.course_by_id[all_sessions[sid].course_id].instructors_per_session
                    * opened[sid]
                    for sid in active
                )
                <= limit
            )
    m.minimize(sum(c * v for v, c in objective))
    return Built(m, x, sessions, path_lengths)


def make_solver(
    params: Parameters, seconds: float, workers: int, dtime_per_second: float = DTIME_PER_SECOND
) -> cp_model.CpSolver:
    """A CP-SAT solver given ``seconds`` of reference-machine time (see ``solve.py``)."""
    solver = cp_model.CpSolver()
    p = solver.parameters
    p.random_seed = params.seed
    p.num_workers = max(1, workers)
    seconds = max(seconds, 0.05)
    if params.deterministic:
        p.interleave_search = p.num_workers > 1
        p.max_deterministic_time = seconds * dtime_per_second
        p.max_time_in_seconds = WALL_SAFETY_FACTOR * seconds + 1.0
    else:
        p.max_time_in_seconds = seconds
    return solver


def stopped_by_wall(solver: cp_model.CpSolver, code: cp_model.CpSolverStatus) -> bool:
    return code not in (cp_model.OPTIMAL, cp_model.INFEASIBLE) and (
        solver.wall_time >= 0.99 * solver.parameters.max_time_in_seconds
    )
