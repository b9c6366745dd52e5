"""Allocation runs: create, execute (load -> solve -> save), review, edit, commit.

Every change is validated and audited in its transaction. A run solves the situation as it is when
it starts; committing it allocates pledge quantities, and concurrent commits can never allocate
more of a pledge than it has: the pledges are locked and re-checked inside the commit.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import gzip
import hashlib
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from coordcell.audit.services import StaleEditError, record
from coordcell.db import insert_many
from coordcell.logistics.changes import shipment_cancel
from coordcell.logistics.ledger import replan_releases, requirement_ledgers
from coordcell.logistics.models import Shipment
from coordcell.logistics.services import (
    LOAD_REFERENCES,
    SHIPMENT_REFERENCES,
    shipments_create_for_lines,
)
from coordcell.notifications.services import shipment_cancellations_told_together
from coordcell.numbering.services import Numbering
from coordcell.pledges.models import Pledge
from coordcell.pledges.services import pledges_check_free, pledges_refresh_allocated
from coordcell.readiness.facts import Cause
from coordcell.readiness.services import recompute_for_requirements_after_commit
from coordcell.registry.models import Location, User
from coordcell.requirements.models import Requirement
from coordcell.requirements.services import requirements_refresh_status

from . import selectors, solver
from .instance import build_instance, undisclosed_left_out
from .models import AllocationLine, AllocationRun, Shortfall
from .resilience import N_MINUS_ONE_KEY, analyse, solve_for_run
from .scenarios import ChangeError, apply_changes, check_changes

RUN_REFERENCES = Numbering("A", 5, AllocationRun)


@functools.cache
def _solved_parts() -> solver.SolveCache:
    """The parts (domains) solved by this worker process, by a digest of their input: a what-if
    that changes one pledge re-solves only its domain, the others are taken as solved. Exact
    reuse only (no warm start), so every run's plan is the one its stored instance gives when
    solved afresh; each part's LP is kept beside it as the start of the run's N-1 table
    (``keep_lps``). Made on the first solve: web processes never import the solver's
    libraries."""
    return solver.SolveCache(max_parts=21, keep_lps=True)


def _refuse(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied("Only coordinators run and commit allocations.")


def default_planning_start(today: dt.date | None = None) -> dt.date:
    """The Monday of the current week."""
    today = today or timezone.now().date()
    return today - dt.timedelta(days=today.weekday())


def run_create(
    *,
    actor: User,
    planning_start: dt.date | None = None,
    horizon_weeks: int = 26,
    parameters: Mapping[str, Any] | None = None,
    changes: Sequence[Mapping[str, Any]] = (),
    base_run: AllocationRun | None = None,
    method: str = AllocationRun.Method.OPTIMISER,
    enqueue: bool = True,
    replan_from: dt.date | None = None,
) -> AllocationRun:
    """Queue a run (a what-if when it has changes) and, after commit, its background job.

    ``replan_from``: re-plan the planned shipments leaving on or after that Monday (committing
    the run cancels them), keeping what already moved."""
    _refuse(selectors.can_create_run(actor))
    start = planning_start or default_planning_start()
    if start.weekday() != 0:
        raise ValidationError({"planning_start": "Planning weeks start on a Monday."})
    if not 4 <= horizon_weeks <= 104:
        raise ValidationError({"horizon_weeks": "The horizon is 4 to 104 weeks."})
    if replan_from is not None and replan_from.weekday() != 0:
        raise ValidationError({"replan_from": "A re-plan starts on a Monday."})
    try:
        changes = check_changes(list(changes))
    except ChangeError as exc:
        raise ValidationError({"changes": str(exc)}) from None
    with transaction.atomic():
        run = AllocationRun(
            reference=RUN_REFERENCES.next(),
            kind=AllocationRun.Kind.WHAT_IF if changes else AllocationRun.Kind.PLAN,
            planning_start=start,
            horizon_weeks=horizon_weeks,
            parameters=dict(parameters or {}),
            changes=list(changes),
            base_run=base_run,
            method=method,
            replan_from=replan_from,
            created_by=actor,
        )
        run.full_clean()
        run.save()
        record(
            actor=actor,
            verb="allocation-run-create",
            target=run,
            data={
                "parameters": run.parameters,
                "changes": run.changes,
                "planning_start": start.isoformat(),
                "horizon_weeks": horizon_weeks,
                "replan_from": replan_from.isoformat() if replan_from else None,
            },
        )
        if enqueue:
            from .tasks import execute_allocation_run

            transaction.on_commit(lambda: execute_allocation_run.enqueue(run.pk))
    return run


def whatif_create(
    *, actor: User, base: AllocationRun, changes: Sequence[Mapping[str, Any]]
) -> AllocationRun:
    """A what-if on ``base``: its weeks, parameters and re-plan day, its changes and these."""
    return run_create(
        actor=actor,
        planning_start=base.planning_start,
        horizon_weeks=base.horizon_weeks,
        parameters=base.parameters,
        changes=[*base.changes, *changes],
        base_run=base,
        replan_from=base.replan_from,
    )


def _n_minus_one_weeks(value: Any) -> tuple[int, int] | None:
    """The run's N-1 window (first, last week, inclusive), or ``None`` for the whole horizon."""
    if isinstance(value, list | tuple) and len(value) == 2:
        return int(value[0]), int(value[1])
    return None


def _progress(run: AllocationRun, percent: int, message: str, **fields: Any) -> None:
    run.progress, run.progress_message = percent, message
    for name, value in fields.items():
        setattr(run, name, value)
    AllocationRun.objects.filter(pk=run.pk).update(
        progress=percent, progress_message=message, **fields
    )


def replan_start(run: AllocationRun) -> dt.date | None:
    """The day from which a run re-plans what has not moved: its own ``replan_from``; for a
    what-if on a committed plan, the plan's first week (it asks what the change would do to
    everything not yet under way)."""
    if run.replan_from:
        return run.replan_from
    if (
        run.kind == AllocationRun.Kind.WHAT_IF
        and run.base_run is not None
        and run.base_run.status == AllocationRun.Status.COMMITTED
    ):
        return run.planning_start
    return None


def instance_for(run: AllocationRun) -> solver.Instance:
    """The solver input of a run: the situation now, with the run's what-if changes."""
    instance = build_instance(
        start=run.planning_start,
        horizon=run.horizon_weeks,
        parameters=run.parameters,
        replan_from=replan_start(run),
    )
    return apply_changes(instance, run.changes)


def run_execute(run_id: int) -> AllocationRun:
    """Load -> solve -> explain -> save. Progress is visible to the page while it works."""
    run = AllocationRun.objects.get(pk=run_id)
    if run.status != AllocationRun.Status.QUEUED:
        return run  # already taken by another worker, or done
    _progress(
        run,
        5,
        "Loading requirements and pledges",
        status=AllocationRun.Status.RUNNING,
        started_at=timezone.now(),
    )
    try:
        instance = instance_for(run)
        instance_text = solver.instance_to_json(instance)
        _progress(
            run,
            20,
            f"Solving {len(instance.supplies):,} pledges × {len(instance.demands):,} requirements",
            input_hash=hashlib.sha256(instance_text.encode()).hexdigest(),
            instance_json=gzip.compress(instance_text.encode(), mtime=0),
        )
        began = time.perf_counter()
        if run.method == AllocationRun.Method.GREEDY:
            plan = solver.greedy(instance)
            greedy_plan = plan
            analysis = analyse(instance, plan, None, False)
        else:
            plan, resilient = solve_for_run(instance, _solved_parts())
            _progress(run, 60, "Exposure to the loss of a hub")
            analysis = analyse(
                instance,
                plan,
                resilient,
                bool(run.parameters.get(N_MINUS_ONE_KEY)),
                _solved_parts(),
                _n_minus_one_weeks(run.parameters.get("n_minus_one_weeks")),
            )
            _progress(run, 70, "Comparing with the greedy hand method")
            greedy_plan = solver.greedy(instance)
        solve_seconds = time.perf_counter() - began
        problems = solver.check_plan(instance, plan)
        if problems:
            raise RuntimeError("the solver returned an infeasible plan: " + "; ".join(problems[:5]))
        _progress(run, 80, "Explaining shortfalls")
        reasons = solver.explain(instance, plan)
        _progress(run, 90, "Saving the plan")
        with transaction.atomic():
            _save_plan(run, instance, plan, reasons)
            stats = dataclasses.asdict(plan.stats)
            stats["end_to_end_seconds"] = round(solve_seconds, 3)
            stats["greedy_p1_on_time"] = _p1_on_time_share(instance, greedy_plan)
            stats["plan_p1_on_time"] = _p1_on_time_share(instance, plan)
            stats["supplies"], stats["demands"] = len(instance.supplies), len(instance.demands)
            left_out = undisclosed_left_out()  # the run page says what it could not plan with
            stats["undisclosed_pledges"] = left_out["pledges"]
            stats["undisclosed_requirements"] = left_out["requirements"]
            _progress(
                run,
                100,
                "Solved",
                status=AllocationRun.Status.SOLVED,
                objective=plan.objective,
                lp_bound=plan.lp_bound,
                gap=plan.gap,
                greedy_objective=greedy_plan.objective,
                stats=stats,
                resilience=analysis,
                finished_at=timezone.now(),
            )
            record(
                actor=None,
                verb="allocation-run-solved",
                target=run,
                data={
                    "objective": plan.objective,
                    "lp_bound": plan.lp_bound,
                    "gap": plan.gap,
                    "lines": len(plan.flows),
                    "input_hash": run.input_hash,
                    "bound_kind": plan.stats.bound_kind,
                    "resilient": analysis.get("resilient"),
                },
            )
    except ChangeError as exc:
        _fail(run, f"The what-if changes cannot be applied: {exc}")
    except Exception as exc:  # noqa: BLE001  # a failed run must say why, never vanish
        _fail(run, f"{type(exc).__name__}: {exc}")
        raise
    run.refresh_from_db()
    return run


def _fail(run: AllocationRun, message: str) -> None:
    with transaction.atomic():
        _progress(
            run,
            run.progress,
            "Failed",
            status=AllocationRun.Status.FAILED,
            error=message,
            finished_at=timezone.now(),
        )
        record(actor=None, verb="allocation-run-failed", target=run, data={"error": message})


def run_mark_failed(*, run_id: int, message: str) -> bool:
    """Fail a run whose background job was lost (its worker stopped in the middle), saying why.

    Called by the worker's recovery sweep (coordcell/jobs). Only a queued or running run changes:
    a solved run saved its plan in the same transaction as its status, so it stands. Returns
    whether the run changed.
    """
    with transaction.atomic():
        run = AllocationRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.status not in {
            AllocationRun.Status.QUEUED,
            AllocationRun.Status.RUNNING,
        }:
            return False
        _fail(run, message)
    return True


def _p1_on_time_share(instance: solver.Instance, plan: solver.Plan) -> float | None:
    wanted = {d.id: d.quantity for d in instance.demands if d.priority == 1}
    if not wanted:
        return None
    on_time = sum(r.on_time for r in plan.demand_results if r.demand_id in wanted)
    return on_time / sum(wanted.values())


def _save_plan(
    run: AllocationRun,
    instance: solver.Instance,
    plan: solver.Plan,
    reasons: Mapping[str, Sequence[solver.Reason]],
) -> None:
    pledge_ids = dict(
        Pledge.objects.filter(reference__in={f.supply_id for f in plan.flows}).values_list(
            "reference", "id"
        )
    )
    demand_refs = {d.id for d in instance.demands}
    requirement_ids = dict(
        Requirement.objects.filter(reference__in=demand_refs).values_list("reference", "id")
    )
    hub_ids = dict(Location.objects.filter(kind=Location.Kind.HUB).values_list("code", "id"))
    need_by = {d.id: d.need_by_period for d in instance.demands}
    insert_many(
        AllocationLine,
        [
            "run_id",
            "pledge_id",
            "requirement_id",
            "hub_id",
            "quantity",
            "dispatch_week",
            "hub_week",
            "arrival_week",
            "weeks_late",
            "edited",
        ],
        (
            (
                run.pk,
                pledge_ids[f.supply_id],
                requirement_ids[f.demand_id],
                hub_ids[f.hub_id],
                f.quantity,
                f.dispatch_period,
                f.hub_period,
                f.arrival_period,
                max(0, f.arrival_period - need_by[f.demand_id]),
                False,
            )
            for f in plan.flows
        ),
    )
    requested = {d.id: d.quantity for d in instance.demands}
    insert_many(
        Shortfall,
        [
            "run_id",
            "requirement_id",
            "requested",
            "on_time",
            "late",
            "missing",
            "reasons",
        ],
        (
            (
                run.pk,
                requirement_ids[r.demand_id],
                requested[r.demand_id],
                r.on_time,
                r.late,
                r.missing,
                [_reason_json(x) for x in reasons.get(r.demand_id, ())],
            )
            for r in plan.demand_results
            if r.late or r.missing
        ),
    )


def _reason_json(reason: solver.Reason) -> dict[str, Any]:
    data = dataclasses.asdict(reason)
    return {
        k: list(v) if isinstance(v, tuple) else v
        for k, v in data.items()
        if v not in (None, (), [])
    }


def run_commit(
    *, actor: User, run: AllocationRun, expected_version: int | None = None
) -> AllocationRun:
    """Allocate the run's lines. Refused when a pledge no longer has the quantity."""
    _refuse(selectors.can_commit_run(actor, run))
    with transaction.atomic():
        # The shipments are numbered after the audited writes: take their counter first.
        SHIPMENT_REFERENCES.hold()
        LOAD_REFERENCES.hold()
        locked = AllocationRun.objects.select_for_update().get(pk=run.pk)
        if expected_version is not None and locked.version != expected_version:
            raise StaleEditError(locked)
        if locked.status != AllocationRun.Status.SOLVED:
            raise ValidationError(
                f"{locked.reference} is {locked.get_status_display().lower()}:"
                " only a solved run can be committed."
            )
        if locked.kind != AllocationRun.Kind.PLAN:
            raise ValidationError("A what-if scenario is for comparison: run a plan to commit.")
        lines = list(locked.lines.select_related("pledge", "requirement"))
        by_pledge: dict[int, int] = defaultdict(int)
        for line in lines:
            by_pledge[line.pledge_id] += line.quantity
        released = _release_for_replan(actor, locked)
        pledges_check_free(by_pledge)
        _refuse_over_allocation(lines)
        locked.status = AllocationRun.Status.COMMITTED
        locked.committed_at, locked.committed_by = timezone.now(), actor
        locked.version += 1
        locked.save(update_fields=["status", "committed_at", "committed_by", "version"])
        record(
            actor=actor,
            verb="allocation-commit",
            target=locked,
            data={
                "lines": len(lines),
                "units": sum(by_pledge.values()),
                "replaced_shipments": released,
            },
        )
        shipments_create_for_lines(actor=actor, lines=lines)
        cause = f"allocation {locked.reference} committed"
        requirements_refresh_status(
            actor=actor, requirement_ids={line.requirement_id for line in lines}, cause=cause
        )
        pledges_refresh_allocated(actor=actor, pledge_ids=by_pledge, cause=cause)
        # After the commit: this transaction holds the audit head (see readiness.services).
        recompute_for_requirements_after_commit(
            {line.requirement_id for line in lines},
            cause=Cause(f"allocation {locked.reference} committed", "allocation"),
            actor=actor,
        )
    return locked


def _release_for_replan(actor: User, run: AllocationRun) -> list[str]:
    """A re-plan replaces the planned shipments leaving on or after its first week: cancel them
    (each audited, its units released), keeping what already moved or is loading."""
    if not run.replan_from:
        return []
    cancelled = []
    reason = f"Replaced by the re-plan {run.reference}."
    with shipment_cancellations_told_together(reason, actor):
        for shipment in Shipment.objects.filter(pk__in=replan_releases(run.replan_from)).order_by(
            "reference"
        ):
            shipment_cancel(actor=actor, shipment=shipment, reason=reason)
            cancelled.append(shipment.reference)
    return cancelled


def _refuse_over_allocation(lines: Sequence[AllocationLine]) -> None:
    """Refuse a commit that would allocate more to a requirement than is still open."""
    this_run: dict[int, int] = defaultdict(int)
    for line in lines:
        this_run[line.requirement_id] += line.quantity
    requirements = list(
        Requirement.objects.select_for_update().filter(pk__in=this_run).order_by("pk")
    )
    ledgers = requirement_ledgers(this_run)
    over = [
        f"{r.reference}: {this_run[r.pk]} planned > {ledgers[r.pk].open} still open"
        for r in requirements
        if this_run[r.pk] > ledgers[r.pk].open
    ]
    if over:
        raise ValidationError(
            "The situation changed since this run was solved: "
            + "; ".join(over[:10])
            + ". Run the allocation again."
        )


def run_discard(
    *, actor: User, run: AllocationRun, expected_version: int | None = None
) -> AllocationRun:
    """Set a run aside (never a committed one). ``expected_version``: the version the caller
    read; a newer one is a StaleEditError."""
    _refuse(selectors.can_discard_run(actor, run))
    with transaction.atomic():
        locked = AllocationRun.objects.select_for_update().get(pk=run.pk)
        if expected_version is not None and locked.version != expected_version:
            raise StaleEditError(locked)
        if locked.status == AllocationRun.Status.COMMITTED:
            raise ValidationError("A committed plan cannot be discarded.")
        locked.status = AllocationRun.Status.DISCARDED
        locked.version += 1
        locked.save(update_fields=["status", "version"])
        record(actor=actor, verb="allocation-run-discard", target=locked, data={})
    return locked


def line_edit(
    *, actor: User, line: AllocationLine, quantity: int, hub: Location | None = None
) -> AllocationLine:
    """Change a line of a solved run by hand; refused when the plan would become infeasible."""
    _refuse(selectors.can_edit_run_lines(actor, line.run))
    with transaction.atomic():
        run = AllocationRun.objects.select_for_update().get(pk=line.run_id)
        if run.status != AllocationRun.Status.SOLVED:
            raise ValidationError("Only the lines of a solved, uncommitted run can be edited.")
        if quantity < 0:
            raise ValidationError({"quantity": "A quantity cannot be negative."})
        assert run.instance_json is not None  # run_execute saves it before solving
        instance = solver.instance_from_json(gzip.decompress(run.instance_json).decode())
        hub_code = hub.code if hub else line.hub.code
        transit_in = instance.origin_to_hub.get((line.pledge.origin.code, hub_code))
        transit_out = instance.hub_to_point.get((hub_code, line.requirement.delivery_point.code))
        if transit_in is None or transit_out is None:
            raise ValidationError({"hub": f"No route through {hub_code} for this line."})
        before = {"quantity": line.quantity, "hub": line.hub.code}
        edited = dataclasses.replace(
            _as_flow(line),
            hub_id=hub_code,
            quantity=quantity,
            hub_period=line.dispatch_week + transit_in,
            arrival_period=line.dispatch_week + transit_in + transit_out,
        )
        others = [
            _as_flow(other)
            for other in run.lines.exclude(pk=line.pk).select_related(
                "pledge", "requirement", "hub"
            )
        ]
        flows = tuple(
            sorted(
                [*others, *([edited] if quantity else [])],
                key=lambda f: (f.supply_id, f.hub_id, f.demand_id, f.hub_period),
            )
        )
        objective, results = solver.evaluate(instance, flows)
        candidate = solver.Plan(
            solver.PlanStatus.FEASIBLE, flows, objective, run.lp_bound, None, results
        )
        problems = solver.check_plan(instance, candidate)
        if problems:
            raise ValidationError(
                "The edit would make the plan infeasible: " + "; ".join(problems[:5])
            )
        if quantity == 0:
            line.delete()
        else:
            line.quantity, line.edited = quantity, True
            line.hub_id = Location.objects.get(code=hub_code).pk
            line.hub_week, line.arrival_week = edited.hub_period, edited.arrival_period
            line.full_clean()
            line.save()
        bound = run.lp_bound or objective
        AllocationRun.objects.filter(pk=run.pk).update(
            objective=objective,
            gap=(bound - objective) / max(1.0, abs(bound)),
            version=F("version") + 1,
        )
        record(
            actor=actor,
            verb="allocation-line-edit",
            target=run,
            data={
                "line": line.pk,
                "before": before,
                "after": {"quantity": quantity, "hub": hub_code},
                "objective": objective,
            },
        )
    return line


def _as_flow(line: AllocationLine) -> solver.Flow:
    return solver.Flow(
        line.pledge.reference,
        line.hub.code,
        line.requirement.reference,
        line.quantity,
        line.dispatch_week,
        line.hub_week,
        line.arrival_week,
    )
