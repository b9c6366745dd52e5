"""Changes to the training registers and bookings; each validated, saved and audited in one
transaction.

Seats are never over-booked, also when bookings arrive at the same time: every booking locks its
site's row first (one lock order: site, then session) and re-counts under the lock, and the
database refuses a session whose ``booked_trainees`` would pass its seats
(``session_never_over_booked``). On SQLite, IMMEDIATE transactions serialise writers anyway.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from coordcell.audit.services import (
    checked,
    delete_audited,
    load_audited,
    record,
    save_audited,
)
from coordcell.numbering.services import Numbering
from coordcell.readiness.facts import Cause
from coordcell.registry.access import as_user

from .models import (
    Blackout,
    Booking,
    Cohort,
    CohortStep,
    Course,
    ScheduleRun,
    Session,
    TrainingSite,
)
from .selectors import can_create_cohort

if TYPE_CHECKING:
    from .execution import SessionCancellation

SESSION_REFERENCES = Numbering("TS", 6, Session)
COHORT_REFERENCES = Numbering("CO", 6, Cohort)


def _readiness(capability_ids: Iterable[int], cause: Cause, actor: Any) -> None:
    # After the commit, in a transaction of its own: the recompute locks packages, which a write
    # holding the audit head must not wait for (lock order: packages, then the head).
    from coordcell.readiness.services import recompute_after_commit

    recompute_after_commit(capability_ids, cause=cause, actor=actor)


# ---- courses and sites ----


def course_save(
    *,
    actor: Any,
    course: Course,
    prerequisites: Iterable[Course] | None = None,
    expected_version: int | None = None,
) -> Course:
    u = as_user(actor)
    if u is None or not u.is_coordinator:
        raise PermissionDenied("Only coordinators keep the course catalogue.")
    m2m: dict[str, Any] = {}
    if prerequisites is not None:
        prereqs = list(prerequisites)
        if course.pk is not None and any(p.pk == course.pk for p in prereqs):
            raise ValidationError({"prerequisites": "A course cannot be its own prerequisite."})
        if course.pk is not None:
            cycle = _requires(prereqs, course.pk)
            if cycle:
                raise ValidationError(
                    {
                        "prerequisites": f"{cycle} already requires {course.code}: "
                        "prerequisites cannot go round in a circle."
                    }
                )
        m2m["prerequisites"] = prereqs
    return save_audited(actor=actor, instance=course, m2m=m2m, expected_version=expected_version)


def _requires(start: Sequence[Course], target_id: int) -> str:
    """The code of a course in ``start`` that (transitively) requires course ``target_id``."""
    for first in start:
        seen, stack = set(), [first.pk]
        while stack:
            cid = stack.pop()
            if cid == target_id:
                return first.code
            if cid in seen:
                continue
            seen.add(cid)
            stack.extend(
                Course.prerequisites.through.objects.filter(from_course_id=cid).values_list(
                    "to_course_id", flat=True
                )
            )
    return ""


def _check_site_actor(actor: Any, site: TrainingSite) -> None:
    u = as_user(actor)
    if u is not None and u.is_coordinator:
        return
    if u is not None and u.is_training_site_officer:
        if site.location_id and site.location.nation_id == u.nation_id:
            return
        raise ValidationError({"location": "A training-site officer keeps its own nation's sites."})
    raise PermissionDenied("Only coordinators and training-site officers keep training sites.")


def site_save(
    *,
    actor: Any,
    site: TrainingSite,
    courses: Iterable[Course] | None = None,
    expected_version: int | None = None,
) -> TrainingSite:
    _check_site_actor(actor, site)
    m2m = {"courses": list(courses)} if courses is not None else {}
    return save_audited(actor=actor, instance=site, m2m=m2m, expected_version=expected_version)


def blackout_save(*, actor: Any, blackout: Blackout) -> Blackout:
    _check_site_actor(actor, blackout.site)
    booked = Session.objects.filter(
        site_id=blackout.site_id,
        status=Session.Status.PLANNED,
        booked_trainees__gt=0,
        start_date__lte=blackout.ends,
    )
    clash = [
        s.reference
        for s in booked.select_related("course")
        if s.end_date > blackout.starts and s.start_date <= blackout.ends
    ]
    if clash:
        raise ValidationError(
            {"starts": f"Booked sessions run in this period ({', '.join(clash)}): move them first."}
        )
    return save_audited(actor=actor, instance=blackout)


# ---- sessions ----


def session_save(*, actor: Any, session: Session, expected_version: int | None = None) -> Session:
    """Create or change a session. A cancelled session's cohorts are rebooked where another
    session of the course takes them (``execution.session_cancel``). The packages of the cohorts
    booked on it are recomputed."""
    return _session_save(actor=actor, session=session, expected_version=expected_version)[0]


def _session_save(
    *, actor: Any, session: Session, expected_version: int | None
) -> tuple[Session, SessionCancellation | None]:
    from .execution import rebook_released

    _check_site_actor(actor, session.site)
    with transaction.atomic():
        # Same lock order as a booking: the site first.
        TrainingSite.objects.select_for_update().get(pk=session.site_id)
        cancelling = False
        if session.pk is None:
            session.reference = session.reference or SESSION_REFERENCES.next()
            session.booked_trainees = 0
        else:
            stored = Session.objects.select_for_update().get(pk=session.pk)
            session.booked_trainees = stored.booked_trainees
            cancelling = (
                session.status == Session.Status.CANCELLED
                and stored.status != Session.Status.CANCELLED
            )
            if stored.booked_trainees and (
                stored.course_id != session.course_id or stored.site_id != session.site_id
            ):
                raise ValidationError(
                    {
                        "course": "Cohorts are booked on this session: cancel it rather than "
                        "change its course or site."
                    }
                )
            if (
                session.start_date != stored.start_date
                and stored.booked_trainees
                and not cancelling
            ):
                _check_move(actor, session)
        capabilities = (
            set(
                Booking.objects.filter(session_id=session.pk).values_list(
                    "cohort__capability_id", flat=True
                )
            )
            if session.pk
            else set()
        )
        released: list[Booking] = []
        if cancelling:
            released = list(
                session.bookings.select_related("cohort").order_by(
                    "cohort__priority", "cohort__reference"
                )
            )
            for booking in released:
                record(
                    actor=actor,
                    verb="booking-release",
                    target=booking,
                    data={"session": session.reference, "cohort": booking.cohort.reference},
                )
            Booking.objects.filter(session_id=session.pk).delete()
            session.booked_trainees = 0
        saved: Session = save_audited(
            actor=actor, instance=session, expected_version=expected_version
        )
        result = rebook_released(actor, saved, released) if cancelling else None
        moved_to = tuple(r.session.pk for r in result.rebooked) if result else ()
        if result is not None:
            from coordcell.notifications.services import notify_session_cancelled

            notify_session_cancelled(
                saved,
                [r.cohort for r in result.rebooked],
                [u.cohort for u in result.unbooked],
                actor,
            )
        _readiness(
            capabilities,
            Cause(
                f"session {saved.reference} cancelled"
                if result
                else f"session {saved.reference} changed",
                "training",
                cohorts=tuple(b.cohort_id for b in released),
                sessions=(saved.pk, *moved_to),
            ),
            actor,
        )
    return saved, result


def _check_move(actor: Any, session: Session) -> None:
    """A booked session may move only where its cohorts' other courses still fit around it.

    The refusal names another session only to whom may see it: a training-site officer is told
    "a course at another site", not another nation's session."""
    from .selectors import sessions_visible_to

    start, end = session.start_date, session.end_date
    problems = []
    for booking in session.bookings.select_related("cohort"):
        others = list(
            Booking.objects.filter(cohort_id=booking.cohort_id)
            .exclude(session_id=session.pk)
            .select_related("session", "session__course")
        )
        visible = set(
            sessions_visible_to(actor)
            .filter(pk__in=[b.session_id for b in others])
            .values_list("pk", flat=True)
        )
        for other in others:
            o = other.session
            if o.start_date < end and start < o.end_date:
                where = o.reference if o.pk in visible else "a course at another site"
                problems.append(f"{booking.cohort.reference} is on {where} then")
        if start < booking.cohort.earliest_release:
            problems.append(
                f"{booking.cohort.reference} is released only on {booking.cohort.earliest_release}"
            )
    if problems:
        raise ValidationError({"start_date": "The move clashes: " + "; ".join(problems) + "."})


# ---- cohorts ----


def cohort_save(
    *,
    actor: Any,
    cohort: Cohort,
    path: Sequence[Course],
    qualifications: Iterable[Course] = (),
    expected_version: int | None = None,
) -> Cohort:
    """Create or change a cohort and its ordered course path (prerequisites checked)."""
    u = as_user(actor)
    if u is None or not can_create_cohort(u):
        raise PermissionDenied(ONLY_REGISTRARS_OF_COHORTS)
    quals = list(qualifications)
    _check_path(path, quals)
    with transaction.atomic():
        if cohort.pk is None:
            cohort.reference = cohort.reference or COHORT_REFERENCES.next()
            cohort.created_by = u
        else:
            dropped = _booked_off_path(cohort, path)
            if dropped:
                raise ValidationError({"path": dropped})
        saved: Cohort = save_audited(
            actor=actor,
            instance=cohort,
            m2m={"qualifications": quals},
            expected_version=expected_version,
        )
        before = [s.course.code for s in saved.steps.select_related("course")]
        saved.steps.all().delete()
        CohortStep.objects.bulk_create(
            [CohortStep(cohort=saved, course=c, position=i) for i, c in enumerate(path, 1)]
        )
        after = [c.code for c in path]
        if before != after:
            record(actor=actor, verb="cohort-path", target=saved, data={"path": [before, after]})
        _readiness(
            [saved.capability_id],
            Cause(f"cohort {saved.reference} changed", "training", cohorts=(saved.pk,)),
            actor,
        )
    return saved


ONLY_REGISTRARS_OF_COHORTS = "Only coordinators and the recipient's liaisons register cohorts."


def _booked_off_path(cohort: Cohort, path: Sequence[Course]) -> str:
    """What refuses taking booked courses off a stored cohort's path ("" when none are)."""
    booked = set(Booking.objects.filter(cohort_id=cohort.pk).values_list("course__code", flat=True))
    dropped = booked - {c.code for c in path}
    if not dropped:
        return ""
    return (
        f"The cohort is booked on {', '.join(sorted(dropped))}: cancel those bookings before "
        "taking the course off its path."
    )


def cohort_path_codes(cohort: Cohort) -> tuple[str, ...]:
    """A stored cohort's course path as its course codes, in order (what an import compares)."""
    return tuple(cohort.steps.order_by("position").values_list("course__code", flat=True))


def _courses(codes: Iterable[str]) -> dict[str, Course]:
    wanted = set(codes)
    if not wanted:
        return {}
    found = Course.objects.filter(code__in=wanted).prefetch_related("prerequisites")
    return {c.code: c for c in found}


def cohort_check(
    actor: Any, cohort: Cohort, *, before: Mapping[str, Any] | None
) -> ValidationError | None:
    """Every rule of one cohort of a batch (an import), as ``cohort_save`` applies them: who
    registers cohorts, its model's rules, and its course path (``cohort.course_path``, course
    codes in order: known courses, prerequisites first, booked courses kept). None when it
    passes."""
    problems: list[tuple[str, tuple[str, str]]] = []
    if not can_create_cohort(actor):
        problems.append(("__all__", (ONLY_REGISTRARS_OF_COHORTS, "role")))
    codes = tuple(getattr(cohort, "course_path", None) or ())
    courses = _courses(codes)
    unknown = [c for c in codes if c not in courses]
    if unknown:
        problems.append(
            (
                "course_path",
                (
                    f"No course with code {', '.join(unknown)}. Use the codes of the course "
                    "catalogue.",
                    "unknown course",
                ),
            )
        )
    else:
        path = [courses[c] for c in codes]
        quals = list(cohort.qualifications.all()) if cohort.pk else []
        try:
            _check_path(path, quals)
            dropped = _booked_off_path(cohort, path) if cohort.pk else ""
            if dropped:
                raise ValidationError({"path": dropped})
        except ValidationError as exc:
            for message in exc.messages:
                problems.append(("course_path", (message, "path")))
    return checked(cohort, problems, new_reference=not cohort.reference)


def cohorts_save_many(
    *,
    actor: Any,
    creates: Sequence[Cohort],
    updates: Sequence[tuple[Mapping[str, Any], Cohort]],
) -> None:
    """Create and change many cohorts with their course paths (an import) in the caller's
    transaction: the rules of ``cohort_check``, each saved by ``cohort_save`` (its audit events,
    its path, readiness). A cohort's course path and qualifications are rows of their own, so
    a cohort is one save; a cell registers tens of cohorts, not thousands."""
    pairs = [*((None, c) for c in creates), *updates]
    bad = [(c, e) for before, c in pairs if (e := cohort_check(actor, c, before=before))]
    if bad:
        raise ValidationError([f"{c.reference}: {'; '.join(e.messages)}" for c, e in bad[:20]])
    courses = _courses(code for _b, c in pairs for code in getattr(c, "course_path", ()) or ())
    with transaction.atomic():
        for before, cohort in pairs:
            cohort_save(
                actor=actor,
                cohort=cohort,
                path=[courses[code] for code in cohort.course_path],  # type: ignore[attr-defined]
                qualifications=list(cohort.qualifications.all()) if cohort.pk else (),
                expected_version=before["version"] if before else None,
            )


def _check_path(path: Sequence[Course], qualifications: Sequence[Course]) -> None:
    if not path:
        raise ValidationError({"path": "Give the cohort's courses, in the order they take them."})
    codes = [c.code for c in path]
    dupes = sorted({c for c in codes if codes.count(c) > 1})
    if dupes:
        raise ValidationError({"path": f"{', '.join(dupes)} appears twice on the path."})
    held = {c.pk for c in qualifications}
    problems = []
    for i, course in enumerate(path):
        earlier = {c.pk for c in path[:i]} | held
        for pre in course.prerequisites.all():
            if pre.pk not in earlier:
                problems.append(f"{course.code} needs {pre.code} before it")
    if problems:
        raise ValidationError(
            {
                "path": "Prerequisites not respected: "
                + "; ".join(problems)
                + ". Put the prerequisite earlier on the path, or record it as already passed."
            }
        )


def cohort_delete(*, actor: Any, cohort: Cohort) -> None:
    u = as_user(actor)
    if u is None or not can_create_cohort(u):
        raise PermissionDenied(ONLY_REGISTRARS_OF_COHORTS)
    with transaction.atomic():
        for booking in cohort.bookings.select_related("session"):
            _release(actor, booking)
        capability = cohort.capability_id
        delete_audited(actor=actor, instance=cohort)
        _readiness([capability], Cause(f"cohort {cohort.reference} deleted", "training"), actor)


# ---- bookings ----


def booking_problems(cohort: Cohort, session: Session, *, extra_load: int = 0) -> list[str]:
    """Why ``cohort`` cannot take a seat on ``session`` now (empty: it can). Call under the
    site's lock for the seat counts to hold."""
    course = session.course
    site = session.site
    problems: list[str] = []
    if session.status != Session.Status.PLANNED:
        return [f"{session.reference} is cancelled."]
    path = cohort.path()
    if course not in path:
        return [
            f"{course.code} is not on {cohort.reference}'s path "
            f"({' → '.join(c.code for c in path) or 'empty'})."
        ]
    if session.start_date < cohort.earliest_release:
        problems.append(
            f"{session.reference} starts {session.start_date}, before the cohort is released "
            f"({cohort.earliest_release})."
        )
    # A course failed or missed is not done: the cohort may (must) be booked on it again.
    others = {
        b.course_id: b.session
        for b in Booking.objects.filter(cohort=cohort).select_related("session", "session__course")
        if not b.needs_rebooking
    }
    if course.pk in others:
        return [
            f"{cohort.reference} is already booked on {course.code} "
            f"({others[course.pk].reference})."
        ]
    position = {c.pk: i for i, c in enumerate(path)}
    held = set(cohort.qualifications.values_list("pk", flat=True))
    for pre in course.prerequisites.all():
        if pre.pk in held:
            continue
        done = others.get(pre.pk)
        if done is None or done.end_date > session.start_date:
            problems.append(
                f"prerequisite {pre.code} is not completed before {session.start_date}"
                + (f" ({done.reference} ends {done.end_date})" if done else " (not booked)")
                + "."
            )
    for cid, other in others.items():
        if cid not in position:
            continue
        if position[cid] < position[course.pk] and other.end_date > session.start_date:
            problems.append(
                f"{other.course.code} comes first on the path and ends {other.end_date}, "
                f"after {session.reference} starts."
            )
        if position[cid] > position[course.pk] and other.start_date < session.end_date:
            problems.append(
                f"{other.course.code} comes later on the path but starts {other.start_date}, "
                f"before {session.reference} ends."
            )
    free = session.capacity - session.booked_trainees - extra_load
    if cohort.trainees > free:
        problems.append(
            f"{session.reference} has {max(free, 0)} free seats of {session.capacity}; "
            f"{cohort.reference} has {cohort.trainees} trainees and is never split."
        )
    problems += _site_limits(site, session, cohort.trainees)
    return problems


def _site_limits(site: TrainingSite, session: Session, trainees: int) -> list[str]:
    start, end = session.start_date, session.end_date
    running = [
        s
        for s in Session.objects.filter(
            site=site, status=Session.Status.PLANNED, start_date__lt=end, booked_trainees__gt=0
        )
        .exclude(pk=session.pk)
        .select_related("course")
        if s.end_date > start
    ]
    problems = []
    week = start
    while week < end:
        overlap = [s for s in running if s.start_date <= week < s.end_date]
        load = sum(s.booked_trainees for s in overlap) + session.booked_trainees + trainees
        if load > site.seats_per_week:
            problems.append(
                f"{site} holds {site.seats_per_week} trainees a week; the week of {week} "
                f"would have {load}."
            )
            break
        instructors = sum(s.course.instructors_per_session for s in overlap)
        instructors += session.course.instructors_per_session
        if instructors > site.instructors:
            problems.append(
                f"{site} has {site.instructors} instructors; the week of {week} would need "
                f"{instructors}."
            )
            break
        week += dt.timedelta(weeks=1)
    return problems


def booking_create(
    *,
    actor: Any,
    cohort: Cohort,
    session: Session,
    source: str = Booking.Source.MANUAL,
    run: Any = None,
    recompute: bool = True,
) -> Booking:
    """Book a cohort on a session; refused (ValidationError naming the reason) when the seats, the
    site's limits, the path order, prerequisites or release date do not allow it. A booking of
    the cohort on the same course that it failed or missed is replaced (audited)."""
    u = as_user(actor)
    if source == Booking.Source.MANUAL and (u is None or not u.is_coordinator):
        raise PermissionDenied("Only coordinators book cohorts on sessions.")
    with transaction.atomic():
        TrainingSite.objects.select_for_update().get(pk=session.site_id)
        locked = (
            Session.objects.select_for_update().select_related("course", "site").get(pk=session.pk)
        )
        problems = booking_problems(cohort, locked)
        if problems:
            raise ValidationError({"session": problems})
        booking = _book(actor, cohort, locked, source=source, run=run, created_by=u)
        if recompute:
            _readiness(
                [cohort.capability_id],
                Cause(
                    f"{cohort.reference} booked on {locked.reference}",
                    "training",
                    cohorts=(cohort.pk,),
                    sessions=(locked.pk,),
                ),
                actor,
            )
    return booking


def _book(
    actor: Any,
    cohort: Cohort,
    locked: Session,
    *,
    source: str,
    run: Any,
    created_by: Any,
    why: str = "",
) -> Booking:
    """Create the booking on ``locked`` (its site and row locked, ``booking_problems`` empty)."""
    for failed in Booking.objects.filter(
        cohort=cohort, course_id=locked.course_id, outcome__in=Booking.NEEDS_REBOOKING
    ).select_related("cohort", "session"):
        _release(actor, failed)
    try:
        with transaction.atomic():
            booking = Booking.objects.create(
                cohort=cohort,
                session=locked,
                course=locked.course,
                source=source,
                run=run,
                created_by=created_by,
            )
            Session.objects.filter(pk=locked.pk).update(
                booked_trainees=F("booked_trainees") + cohort.trainees
            )
    except IntegrityError as exc:
        # The database's own guard (seats or one course once) caught a race.
        raise ValidationError(
            {"session": [f"{locked.reference} cannot take {cohort.reference} any more."]}
        ) from exc
    data = {
        "cohort": cohort.reference,
        "session": locked.reference,
        "trainees": cohort.trainees,
        "source": source,
    }
    if why:
        data["why"] = why
    record(actor=actor, verb="booking-create", target=booking, data=data)
    return booking


def _release(actor: Any, booking: Booking) -> None:
    Session.objects.filter(pk=booking.session_id).update(
        booked_trainees=F("booked_trainees") - booking.cohort.trainees
    )
    record(
        actor=actor,
        verb="booking-delete",
        target=booking,
        data={"cohort": booking.cohort.reference, "session": booking.session.reference},
    )
    booking.delete()


def booking_delete(*, actor: Any, booking: Booking) -> None:
    u = as_user(actor)
    if u is None or not u.is_coordinator:
        raise PermissionDenied("Only coordinators book cohorts on sessions.")
    with transaction.atomic():
        TrainingSite.objects.select_for_update().get(pk=booking.session.site_id)
        booking = Booking.objects.select_related("cohort", "session").get(pk=booking.pk)
        _release(actor, booking)
        _readiness(
            [booking.cohort.capability_id],
            Cause(
                f"{booking.cohort.reference} taken off {booking.session.reference}",
                "training",
                cohorts=(booking.cohort_id,),
                sessions=(booking.session_id,),
            ),
            actor,
        )


def seats_booked(session_ids: Iterable[int]) -> dict[int, int]:
    """Trainees booked per session, counted from the bookings (the check of the kept counter)."""
    rows = (
        Booking.objects.filter(session_id__in=list(session_ids))
        .values("session_id")
        .annotate(n=Sum("cohort__trainees"))
    )
    return {r["session_id"]: r["n"] for r in rows}


def schedule_run_mark_failed(*, run_id: int, message: str) -> bool:
    """Fail a scheduler run whose background job was lost (its worker stopped), saying why.

    Called by the worker's recovery sweep (coordcell/jobs). Only a queued or running run changes:
    a run marked done saved its bookings in the same transaction. Returns whether it changed.
    """
    with transaction.atomic():
        run = ScheduleRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.status not in {ScheduleRun.Status.QUEUED, ScheduleRun.Status.RUNNING}:
            return False
        run.status, run.error, run.progress_message = ScheduleRun.Status.FAILED, message, "Failed"
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "error", "progress_message", "finished_at"])
        record(actor=None, verb="training-run-failed", target=run, data={"error": message})
    return True


def training_load(
    *,
    actor: Any,
    objects: Sequence[Any],
    verb: str = "load",
    audit: bool = True,
    check: bool = True,
) -> int:
    """New courses, sites, blackouts, sessions, cohorts and their steps brought whole. ``actor``
    None is the installation itself (a command such as demo-data). Returns the number of audit
    events."""
    if actor is not None and not getattr(as_user(actor), "is_coordinator", False):
        raise PermissionDenied("Only coordinators load records in bulk.")
    return load_audited(actor=actor, objects=objects, verb=verb, audit=audit, check=check)
