"""Running the sessions: each cohort's attendance and result, and cancelling a session, which
rebooks its cohorts and says what became of them (issue 18). Audited in the same transaction,
readiness recomputed once it commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from coordcell.audit.services import record, save_audited
from coordcell.readiness.facts import Cause
from coordcell.registry.access import as_user

from .models import Booking, Cohort, Course, Session, TrainingSite
from .selectors import can_record_attendance
from .services import _book, _readiness, _session_save, booking_problems

# ---- attendance and results ----


def attendance_record(
    *,
    actor: Any,
    booking: Booking,
    outcome: str,
    attended: int | None = None,
    note: str = "",
) -> Booking:
    """Record a cohort's attendance and result on a session: completed, failed or absent, how
    many trainees attended (at most the cohort's size) and a note. The session's site officer or
    a coordinator, once the session has started. Readiness counts the crew trained on the course
    only when completed; failed or absent, it needs booking again."""
    if not can_record_attendance(actor, booking):
        raise PermissionDenied(
            "Only the session's training-site officer or a coordinator records its results."
        )
    if outcome not in Booking.Outcome.values:
        raise ValidationError({"outcome": "Choose the outcome: completed, failed or absent."})
    with transaction.atomic():
        locked = (
            Booking.objects.select_for_update()
            .select_related("cohort", "session", "session__course")
            .get(pk=booking.pk)
        )
        session = locked.session
        if session.status == Session.Status.CANCELLED:
            raise ValidationError(
                {"outcome": f"{session.reference} is cancelled: there is no result to record."}
            )
        if session.start_date > timezone.localdate():
            raise ValidationError(
                {
                    "outcome": f"{session.reference} starts on {session.start_date}: record "
                    "attendance and results once it has started."
                }
            )
        locked.outcome = outcome
        locked.attended = attended
        locked.outcome_note = note.strip()
        locked.outcome_recorded_by = as_user(actor)
        locked.outcome_recorded_at = timezone.now()
        saved: Booking = save_audited(actor=actor, instance=locked, verb="attendance-record")
        _readiness(
            [locked.cohort.capability_id],
            Cause(
                f"{locked.cohort.reference} {outcome} on {session.reference}",
                "training",
                cohorts=(locked.cohort_id,),
                sessions=(session.pk,),
            ),
            actor,
        )
    return saved


# ---- cancelling a session ----


@dataclass(frozen=True)
class RebookedCohort:
    """A cohort of a cancelled session, moved to another session of the same course."""

    cohort: Cohort
    session: Session  # where it is booked now


@dataclass(frozen=True)
class UnbookedCohort:
    """A cohort of a cancelled session that no other session could take: it is left unbooked
    on the course and needs a schedule run (or a booking by hand)."""

    cohort: Cohort
    course: Course
    candidates: int  # other planned sessions of the course tried


@dataclass(frozen=True)
class SessionCancellation:
    """What cancelling a session did with its cohorts (for the page, and notifications)."""

    session: Session
    rebooked: tuple[RebookedCohort, ...] = ()
    unbooked: tuple[UnbookedCohort, ...] = ()

    @property
    def proposes_schedule_run(self) -> bool:
        return bool(self.unbooked)


def session_cancel(
    *, actor: Any, session: Session, expected_version: int | None = None
) -> SessionCancellation:
    """Cancel a session and rebook its cohorts, in one transaction, audited.

    Each booked cohort (highest priority first) is moved to the earliest other planned session of
    the same course, not started yet, that takes it under the booking rules (``booking_problems``:
    seats, site limits, path order, prerequisites, release). Those no session takes are left
    unbooked on that course; the result names both, and ``proposes_schedule_run`` says a
    scheduler run is needed. Nothing is dropped silently."""
    if session.pk is None:
        raise ValidationError({"status": "Only a saved session can be cancelled."})
    stored = Session.objects.get(pk=session.pk)
    if stored.status == Session.Status.CANCELLED:
        raise ValidationError({"status": f"{stored.reference} is already cancelled."})
    stored.status = Session.Status.CANCELLED
    _saved, result = _session_save(actor=actor, session=stored, expected_version=expected_version)
    assert result is not None
    return result


def rebook_released(
    actor: Any, cancelled: Session, released: Sequence[Booking]
) -> SessionCancellation:
    """Move the cohorts released from ``cancelled`` to other sessions of its course (under their
    sites' locks), earliest first; record what became of each. Runs in the cancel's transaction
    (``services.session_save``, which released them)."""
    today = timezone.localdate()
    candidates = list(
        Session.objects.filter(
            course_id=cancelled.course_id,
            status=Session.Status.PLANNED,
            start_date__gte=today,
        )
        .exclude(pk=cancelled.pk)
        .order_by("start_date", "reference")
        .values_list("pk", "site_id")
    )
    rebooked: list[RebookedCohort] = []
    unbooked: list[UnbookedCohort] = []
    for old in released:
        cohort = old.cohort
        placed = None
        for session_id, site_id in candidates:
            TrainingSite.objects.select_for_update().get(pk=site_id)
            locked = (
                Session.objects.select_for_update()
                .select_related("course", "site", "site__location")
                .get(pk=session_id)
            )
            if booking_problems(cohort, locked):
                continue
            _book(
                actor,
                cohort,
                locked,
                source=old.source,
                run=old.run,
                created_by=as_user(actor),
                why=f"rebooked from {cancelled.reference}, cancelled",
            )
            placed = locked
            break
        if placed is None:
            unbooked.append(UnbookedCohort(cohort, cancelled.course, len(candidates)))
        else:
            rebooked.append(RebookedCohort(cohort, placed))
    record(
        actor=actor,
        verb="session-cancel",
        target=cancelled,
        data={
            "rebooked": [[r.cohort.reference, r.session.reference] for r in rebooked],
            "unbooked": [u.cohort.reference for u in unbooked],
        },
    )
    return SessionCancellation(cancelled, tuple(rebooked), tuple(unbooked))
