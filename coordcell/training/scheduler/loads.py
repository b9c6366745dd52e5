"""Resource use of a set of bookings: session seats, site seats per week, instructors.

Used by the baseline (to book greedily) and by the explanations (to say which resource stopped a
cohort from getting an earlier place).  ``check.py`` deliberately recomputes everything on its own.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from coordcell.training.scheduler.model import Instance, ReasonKind, Session


@dataclass(frozen=True)
class Blocker:
    """Why one more group of trainees does not fit into a session."""

    kind: ReasonKind
    weeks: tuple[int, ...]


class Loads:
    """Mutable tally of bookings; all sessions are identified by id."""

    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        self.session_trainees: dict[str, int] = defaultdict(int)
        self.session_cohorts: dict[str, int] = defaultdict(int)
        self.site_week_trainees: dict[tuple[str, int], int] = defaultdict(int)
        self.site_week_instructors: dict[tuple[str, int], int] = defaultdict(int)

    def _weeks(self, session: Session) -> range:
        return range(session.start_week, self.instance.end_week(session))

    def running(self, session: Session) -> bool:
        return self.session_cohorts[session.id] > 0

    def add(self, session: Session, trainees: int) -> None:
        if not self.running(session):
            instr = self.instance.course_by_id[session.course_id].instructors_per_session
            for w in self._weeks(session):
                self.site_week_instructors[(session.site_id, w)] += instr
        self.session_cohorts[session.id] += 1
        self.session_trainees[session.id] += trainees
        for w in self._weeks(session):
            self.site_week_trainees[(session.site_id, w)] += trainees

    def remove(self, session: Session, trainees: int) -> None:
        self.session_cohorts[session.id] -= 1
        self.session_trainees[session.id] -= trainees
        for w in self._weeks(session):
            self.site_week_trainees[(session.site_id, w)] -= trainees
        if not self.running(session):
            instr = self.instance.course_by_id[session.course_id].instructors_per_session
            for w in self._weeks(session):
                self.site_week_instructors[(session.site_id, w)] -= instr

    def blocker(self, session: Session, trainees: int) -> Blocker | None:
        """The first resource that would be exceeded by booking ``trainees`` more, or None."""
        inst = self.instance
        weeks = tuple(self._weeks(session))
        if self.session_trainees[session.id] + trainees > inst.capacity(session):
            return Blocker(ReasonKind.SESSION_FULL, weeks)
        site = inst.site_by_id[session.site_id]
        full = tuple(
            w
            for w in weeks
            if self.site_week_trainees[(site.id, w)] + trainees > site.seats_per_week
        )
        if full:
            return Blocker(ReasonKind.SITE_FULL, full)
        if not self.running(session):
            instr = inst.course_by_id[session.course_id].instructors_per_session
            busy = tuple(
                w
                for w in weeks
                if self.site_week_instructors[(site.id, w)] + instr > site.instructors
            )
            if busy:
                return Blocker(ReasonKind.NO_INSTRUCTOR, busy)
            if session.candidate and trainees < inst.course_by_id[session.course_id].min_class_size:
                return Blocker(ReasonKind.MIN_CLASS, weeks)
        return None
