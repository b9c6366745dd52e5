"""The training scheduler over the registers: DB -> scheduler dataclasses -> bookings.

A run books the cohorts that are *free to plan*: those without a booking by hand and without a
booking on a session that started before the run's week 0. Their earlier scheduler bookings are
replaced; the others' bookings stay and take their seats (the sessions offer only what is left).

The target week of a cohort is the week its capability's end items are expected in full (see
``readiness.compute.equipment_date_by_capability``: receipts, shipment ETAs, committed allocation
lines). A capability with no such date yet gets a target of ``NO_DATE_SLACK`` weeks after the
cohort could finish at the earliest (release + course weeks): trained soon, not needlessly late.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from coordcell.audit.services import AuditEntry, record, record_many
from coordcell.numbering.services import Numbering
from coordcell.registry.access import as_user

from . import scheduler as sch
from .models import (
    Booking,
    Cohort,
    CohortOutcome,
    Course,
    ScheduleRun,
    Session,
    TrainingSite,
    monday,
)
from .services import booking_problems

RUN_REFERENCES = Numbering("TR", 5, ScheduleRun)

NO_DATE_SLACK = 12


@dataclass
class Mapped:
    """The scheduler's instance and the database rows behind its ids."""

    instance: sch.Instance
    sessions: dict[str, Session] = field(default_factory=dict)
    cohorts: dict[str, Cohort] = field(default_factory=dict)
    fixed_cohorts: set[int] = field(default_factory=set)


def _weeks(start: dt.date, a: dt.date, b: dt.date, horizon: int) -> set[int]:
    """Planning weeks touched by the days a..b (inclusive)."""
    first = max(0, (monday(a) - start).days // 7)
    last = min(horizon - 1, (monday(b) - start).days // 7)
    return set(range(first, last + 1))


def build_instance(*, planning_start: dt.date, horizon_weeks: int) -> Mapped:
    from coordcell.readiness.compute import equipment_date_by_capability

    courses = list(Course.objects.prefetch_related("prerequisites").select_related("system"))
    s_courses = tuple(
        sch.Course(
            id=c.code,
            name=c.name,
            duration_weeks=c.duration_weeks,
            min_class_size=c.min_class_size,
            max_class_size=c.max_class_size,
            prerequisites=tuple(sorted(p.code for p in c.prerequisites.all())),
            language=c.language,
            instructors_per_session=c.instructors_per_session,
            capability=c.system.code if c.system else c.skill,
        )
        for c in courses
    )
    sites = list(
        TrainingSite.objects.select_related("location", "location__nation").prefetch_related(
            "courses", "blackouts"
        )
    )
    s_sites = tuple(
        sch.Site(
            id=s.location.code,
            name=s.location.name,
            host_nation=s.location.nation.code,
            course_ids=tuple(sorted(c.code for c in s.courses.all())),
            instructors=s.instructors,
            seats_per_week=s.seats_per_week,
            blackout_weeks=frozenset(
                w
                for b in s.blackouts.all()
                for w in _weeks(planning_start, b.starts, b.ends, horizon_weeks)
            ),
        )
        for s in sites
    )
    # Cohorts whose bookings stay: booked by hand, or already on a session that has begun. A
    # booking the cohort failed or missed does not hold it: the run books it again (a cohort
    # that has begun another course of its path stays, and is booked again by hand).
    live = Booking.objects.exclude(outcome__in=Booking.NEEDS_REBOOKING)
    fixed = set(
        live.filter(source=Booking.Source.MANUAL).values_list("cohort_id", flat=True)
    ) | set(live.filter(session__start_date__lt=planning_start).values_list("cohort_id", flat=True))
    fixed_load: dict[int, int] = defaultdict(int)
    for session_id, trainees in live.filter(cohort_id__in=fixed).values_list(
        "session_id", "cohort__trainees"
    ):
        fixed_load[session_id] += trainees
    session_rows: dict[str, Session] = {}
    cohort_rows: dict[str, Cohort] = {}
    s_sessions = []
    end = planning_start + dt.timedelta(weeks=horizon_weeks)
    for s in Session.objects.filter(
        status=Session.Status.PLANNED, start_date__gte=planning_start, start_date__lt=end
    ).select_related("course", "site__location"):
        if s.end_date > end:
            continue
        seats = s.seats - fixed_load.get(s.pk, 0)
        if seats <= 0:
            continue
        session_rows[s.reference] = s
        s_sessions.append(
            sch.Session(
                id=s.reference,
                course_id=s.course.code,
                site_id=s.site.location.code,
                start_week=(s.start_date - planning_start).days // 7,
                seats=seats,
            )
        )
    cohorts = list(
        Cohort.objects.exclude(pk__in=fixed)
        .select_related("capability")
        .prefetch_related("qualifications", "steps__course")
        .order_by("pk")
    )
    targets = equipment_date_by_capability({c.capability_id for c in cohorts})
    s_cohorts = []
    for c in cohorts:
        path = tuple(st.course.code for st in sorted(c.steps.all(), key=lambda st: st.position))
        if not path:
            continue
        release = max(0, math.ceil((c.earliest_release - planning_start).days / 7))
        target_date = targets.get(c.capability_id)
        if target_date:
            target = max(0, (monday(target_date) - planning_start).days // 7)
        else:
            # No date for the equipment yet: train within NO_DATE_SLACK weeks of release.
            weeks = sum(st.course.duration_weeks for st in c.steps.all())
            target = min(horizon_weeks, release + weeks + NO_DATE_SLACK)
        cohort_rows[c.reference] = c
        s_cohorts.append(
            sch.Cohort(
                id=c.reference,
                unit=c.unit,
                trainees=c.trainees,
                path=path,
                capability=c.capability.code,
                release_week=release,
                target_week=target,
                weight=6 - c.priority,
                qualifications=tuple(sorted(q.code for q in c.qualifications.all())),
            )
        )
    instance = sch.Instance(
        courses=s_courses,
        sites=s_sites,
        sessions=tuple(s_sessions),
        cohorts=tuple(s_cohorts),
        horizon_weeks=horizon_weeks,
        name=f"coordcell {planning_start.isoformat()}",
    )
    return Mapped(
        instance=instance, sessions=session_rows, cohorts=cohort_rows, fixed_cohorts=fixed
    )


# ---- runs ----


def _require_coordinator(actor: Any) -> None:
    u = as_user(actor)
    if u is None or not u.is_coordinator:
        raise PermissionDenied("Only coordinators run the training scheduler.")


def run_create(
    *,
    actor: Any,
    planning_start: dt.date | None = None,
    horizon_weeks: int = 52,
    time_limit_s: float = 10.0,
    enqueue: bool = True,
) -> ScheduleRun:
    """Queue a scheduler run and, after the transaction commits, its background job."""
    _require_coordinator(actor)
    start = planning_start or monday(timezone.now().date())
    if start.weekday() != 0:
        raise ValidationError({"planning_start": "Planning weeks start on a Monday."})
    if not 4 <= horizon_weeks <= 104:
        raise ValidationError({"horizon_weeks": "The horizon is 4 to 104 weeks."})
    if not 0.5 <= time_limit_s <= 600:
        raise ValidationError({"time_limit_s": "The time limit is 0.5 to 600 seconds."})
    with transaction.atomic():
        run = ScheduleRun.objects.create(
            reference=RUN_REFERENCES.next(),
            planning_start=start,
            horizon_weeks=horizon_weeks,
            time_limit_s=time_limit_s,
            created_by=actor,
        )
        record(
            actor=actor,
            verb="training-run-create",
            target=run,
            data={"planning_start": start, "horizon_weeks": horizon_weeks},
        )
        if enqueue:
            from .tasks import execute_schedule_run

            transaction.on_commit(lambda: execute_schedule_run.enqueue(run.pk))
    return run


def _progress(run: ScheduleRun, percent: int, message: str, **fields: Any) -> None:
    run.progress, run.progress_message = percent, message
    for name, value in fields.items():
        setattr(run, name, value)
    ScheduleRun.objects.filter(pk=run.pk).update(
        progress=percent, progress_message=message, **fields
    )


def run_execute(run_id: int) -> ScheduleRun:
    """Load -> schedule -> book -> recompute readiness. Progress is visible while it works."""
    run = ScheduleRun.objects.get(pk=run_id)
    if run.status != ScheduleRun.Status.QUEUED:
        return run
    _progress(
        run,
        5,
        "Loading courses, sites, sessions and cohorts",
        status=ScheduleRun.Status.RUNNING,
        started_at=timezone.now(),
    )
    try:
        mapped = build_instance(planning_start=run.planning_start, horizon_weeks=run.horizon_weeks)
        inst = mapped.instance
        _progress(
            run,
            20,
            f"Scheduling {len(inst.cohorts):,} cohorts on {len(inst.sessions):,} sessions",
        )
        params = sch.Parameters(time_limit_s=run.time_limit_s)
        schedule = sch.schedule_training(inst, params)
        problems = sch.check_schedule(inst, schedule, params)
        if problems:
            raise RuntimeError("the scheduler broke a rule: " + "; ".join(problems[:5]))
        _progress(run, 85, "Saving the bookings")
        with transaction.atomic():
            skipped = save_schedule(run, mapped, schedule)
            messages = list(schedule.messages) + skipped
            _progress(
                run,
                95,
                "Recomputing readiness",
                status=ScheduleRun.Status.DONE,
                solver_status=str(schedule.status),
                objective=schedule.objective,
                best_bound=schedule.best_bound,
                gap=schedule.gap,
                stats={**schedule.stats, "solve_seconds": round(schedule.solve_seconds, 3)},
                messages=messages,
                finished_at=timezone.now(),
            )
            record(
                actor=None,
                verb="training-run-done",
                target=run,
                data={
                    "status": str(schedule.status),
                    "objective": schedule.objective,
                    "gap": schedule.gap,
                    "bookings": len(schedule.assignments),
                    "late": len(schedule.late),
                    "untrained": len(schedule.unscheduled),
                },
            )
            from coordcell.readiness.facts import Cause
            from coordcell.readiness.services import recompute_after_commit

            # After the commit: this transaction holds the audit head (see readiness.services).
            recompute_after_commit(
                {c.capability_id for c in mapped.cohorts.values()},
                cause=Cause(f"training schedule {run.reference}", "training_schedule"),
            )
        _progress(run, 100, "Scheduled")
    except Exception as exc:  # noqa: BLE001  # a failed run must say why, never vanish
        with transaction.atomic():
            _progress(
                run,
                run.progress,
                "Failed",
                status=ScheduleRun.Status.FAILED,
                error=f"{type(exc).__name__}: {exc}",
                finished_at=timezone.now(),
            )
            record(actor=None, verb="training-run-failed", target=run, data={"error": str(exc)})
        raise
    run.refresh_from_db()
    return run


def save_schedule(run: ScheduleRun, mapped: Mapped, schedule: sch.Schedule) -> list[str]:
    """Replace the free cohorts' scheduler bookings with the schedule's, under the sites' locks.

    A booking that no longer fits (someone booked by hand while the run solved) is not made;
    the returned messages say which."""
    list(TrainingSite.objects.select_for_update().order_by("pk").values_list("pk", flat=True))
    cohort_ids = [c.pk for c in mapped.cohorts.values()]
    # The free cohorts' scheduler bookings, and the bookings they failed or missed (by hand or
    # not): replaced by the new schedule. Their results stay in the audit trail.
    old = list(
        Booking.objects.filter(cohort_id__in=cohort_ids)
        .filter(Q(source=Booking.Source.SCHEDULER) | Q(outcome__in=Booking.NEEDS_REBOOKING))
        .select_related("cohort", "session")
    )
    freed: dict[int, int] = defaultdict(int)
    for b in old:
        freed[b.session_id] += b.cohort.trainees
    for sid, n in freed.items():
        Session.objects.filter(pk=sid).update(booked_trainees=F("booked_trainees") - n)
    Booking.objects.filter(pk__in=[b.pk for b in old]).delete()

    skipped: list[str] = []
    made: list[Booking] = []
    by_cohort: dict[str, list[sch.Assignment]] = defaultdict(list)
    for a in schedule.assignments:
        by_cohort[a.cohort_id].append(a)
    for cohort_ref, rows in sorted(by_cohort.items()):
        cohort = mapped.cohorts[cohort_ref]
        rows.sort(key=lambda a: a.start_week)
        created: list[Booking] = []
        for a in rows:
            session = Session.objects.select_related("course", "site__location").get(
                pk=mapped.sessions[a.session_id].pk
            )
            problems = booking_problems(cohort, session)
            if problems:
                skipped.append(f"{cohort_ref} not booked on {a.session_id}: {problems[0]}")
                for b in created:  # a cohort is booked along its whole path or not at all
                    Session.objects.filter(pk=b.session_id).update(
                        booked_trainees=F("booked_trainees") - cohort.trainees
                    )
                    b.delete()
                created = []
                break
            booking = Booking.objects.create(
                cohort=cohort,
                session=session,
                course=session.course,
                source=Booking.Source.SCHEDULER,
                run=run,
            )
            Session.objects.filter(pk=session.pk).update(
                booked_trainees=F("booked_trainees") + cohort.trainees
            )
            created.append(booking)
        made.extend(created)
    record_many(
        actor=None,
        verb="booking-create",
        entries=(
            AuditEntry(
                "training.booking",
                str(b.pk),
                str(b)[:200],
                {
                    "cohort": b.cohort.reference,
                    "session": b.session.reference,
                    "source": "scheduler",
                    "run": run.reference,
                },
            )
            for b in made
        ),
    )
    CohortOutcome.objects.bulk_create(
        [
            CohortOutcome(
                run=run,
                cohort=mapped.cohorts[r.cohort_id],
                scheduled=r.scheduled,
                target_week=mapped.instance.cohort_by_id[r.cohort_id].target_week,
                finish_week=r.finish_week,
                lateness=r.lateness,
                reasons=[_reason_json(x) for x in r.reasons],
            )
            for r in schedule.cohorts
        ]
    )
    return skipped


def _reason_json(reason: sch.Reason) -> dict[str, Any]:
    data: Mapping[str, Any] = dataclasses.asdict(reason)
    return {
        k: (list(v) if isinstance(v, tuple) else str(v) if k == "kind" else v)
        for k, v in data.items()
        if v not in (None, (), [])
    }
