"""Why is a cohort late (or untrained)?  Reasons in words a staff officer understands.

The explanation is derived from the same session options the model uses, in three layers:

1. *Structural*: the cohort could not finish on time even with every seat free.  The binding
   facts are its release week, a course (often a prerequisite) not offered early enough, or an
   earlier session lost to a site blackout or too small for the cohort.  A fact is reported only
   if removing it would let the cohort finish earlier (checked by recomputing the earliest
   uncapacitated finish without it).
2. *Capacity*: with the final bookings of everyone else fixed, every session that would have let
   the cohort finish earlier is blocked; we say by what (session seats, the site's weekly seat
   limit, instructors, minimum class size of an unopened session), per course, site and weeks.
   The first course on the path where every earlier place is blocked is the binding one.
3. If an earlier place chain is actually free, the schedule is not optimal (time limit): we say so.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

from coordcell.training.scheduler.loads import Blocker, Loads
from coordcell.training.scheduler.model import (
    Cohort,
    Instance,
    Parameters,
    Reason,
    ReasonKind,
    Session,
)
from coordcell.training.scheduler.options import (
    CohortOptions,
    compute_options,
    finish_cost,
    missing_prerequisites,
    session_is_usable,
    unscheduled_cost,
    usable_sessions_by_course,
)

NEVER = 10**9


def weeks_text(weeks: Sequence[int]) -> str:
    """``[12, 13, 14, 20]`` -> ``'weeks 12-14, 20'``."""
    ws = sorted(set(weeks))
    if not ws:
        return "no weeks"
    runs: list[tuple[int, int]] = []
    for w in ws:
        if runs and w == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], w)
        else:
            runs.append((w, w))
    parts = [f"{a}-{b}" if a != b else f"{a}" for a, b in runs]
    return ("week " if len(ws) == 1 else "weeks ") + ", ".join(parts)


class Explainer:
    """Holds the indexes needed to explain many cohorts of one schedule."""

    def __init__(
        self,
        instance: Instance,
        params: Parameters,
        chosen: Mapping[str, tuple[Session, ...]],
        solver: str = "cp-sat",
    ) -> None:
        self.solver = solver
        self.inst = instance
        self.params = params
        self.chosen = chosen
        self.usable = usable_sessions_by_course(instance)
        self.options = compute_options(instance, params, self.usable)
        self.all_by_course: dict[str, list[Session]] = defaultdict(list)
        for s in sorted(instance.sessions, key=lambda s: (s.start_week, s.id)):
            self.all_by_course[s.course_id].append(s)
        self.loads = Loads(instance)
        for cohort_id, sessions in chosen.items():
            trainees = instance.cohort_by_id[cohort_id].trainees
            for s in sessions:
                self.loads.add(s, trainees)

    # -- helpers ------------------------------------------------------------------------------
    def _name(self, course_id: str) -> str:
        return self.inst.course_by_id[course_id].name

    def _name_or_id(self, course_id: str) -> str:
        course = self.inst.course_by_id.get(course_id)
        return course.name if course else course_id

    def _site(self, site_id: str) -> str:
        site = self.inst.site_by_id.get(site_id)
        return site.name if site else site_id

    def _fits(self, cohort: Cohort, s: Session) -> bool:
        return session_is_usable(self.inst, s) and self.inst.capacity(s) >= cohort.trainees

    def _earliest_finish(
        self,
        cohort: Cohort,
        release: int,
        skip_wait_at: int | None = None,
        usable_only: bool = True,
    ) -> int:
        """Earliest end of the path with every seat free; ``skip_wait_at`` pretends course k
        could start the moment the cohort is ready (to test whether that wait binds)."""
        ready = release
        for k, cid in enumerate(cohort.path):
            duration = self.inst.course_by_id[cid].duration_weeks
            if k == skip_wait_at:
                ready += duration
                continue
            start = self._earliest_start(cohort, cid, ready, usable_only)
            if start is None:
                return NEVER
            ready = start + duration
        return ready

    def _earliest_start(
        self, cohort: Cohort, course_id: str, ready: int, usable_only: bool
    ) -> int | None:
        for s in self.all_by_course.get(course_id, []):
            if s.start_week >= ready and (not usable_only or self._fits(cohort, s)):
                return s.start_week
        return None

    # -- entry --------------------------------------------------------------------------------
    def explain(self, cohort: Cohort) -> tuple[Reason, ...]:
        """Reasons for one cohort that is late or unscheduled (empty if it is neither)."""
        inst = self.inst
        unknown = [c for c in cohort.path if c not in inst.course_by_id]
        if unknown or not cohort.path:
            text = (
                f"its path names unknown course(s) {', '.join(unknown)}"
                if unknown
                else "it has no courses"
            )
            return (Reason(ReasonKind.UNKNOWN_COURSE, text),)
        missing = missing_prerequisites(inst, cohort)
        if missing:
            return tuple(
                Reason(
                    ReasonKind.MISSING_PREREQUISITE,
                    f"course '{self._name(c)}' requires '{self._name_or_id(p)}', which the "
                    "cohort neither holds nor takes earlier on its path",
                    course_id=c,
                )
                for c, p in missing
            )
        opts = self.options[cohort.id]
        if not opts.schedulable:
            return self._unschedulable(cohort)
        sessions = self.chosen.get(cohort.id)
        current = (
            finish_cost(cohort, inst.end_week(sessions[-1]), self.params)
            if sessions
            else unscheduled_cost(inst, cohort, self.params)
        )
        finish = inst.end_week(sessions[-1]) if sessions else NEVER
        if sessions and finish <= cohort.target_week:
            return ()
        reasons = list(self._structural(cohort))
        ef = self._earliest_finish(cohort, cohort.release_week)
        if finish > max(ef, cohort.target_week):
            reasons.extend(self._capacity(cohort, opts, current))
        return tuple(reasons)

    # -- layer 0: cannot be scheduled at all -----------------------------------------------------
    def _unschedulable(self, cohort: Cohort) -> tuple[Reason, ...]:
        inst = self.inst
        ready = cohort.release_week
        for k, cid in enumerate(cohort.path):
            name = self._name(cid)
            label = "prerequisite course" if k < len(cohort.path) - 1 else "course"
            offered = self.all_by_course.get(cid, [])
            if not offered:
                return (
                    Reason(
                        ReasonKind.NO_SESSION,
                        f"no session of {label} '{name}' is planned at any site",
                        cid,
                    ),
                )
            after = [s for s in offered if s.start_week >= ready]
            fitting = [s for s in after if self._fits(cohort, s)]
            if fitting:
                ready = fitting[0].start_week + inst.course_by_id[cid].duration_weeks
                continue
            if not after:
                last = max(s.start_week for s in offered)
                why = (
                    f"released only in week {ready}"
                    if k == 0
                    else f"ready for it only from week {ready}"
                )
                return (
                    Reason(
                        ReasonKind.RELEASE if k == 0 else ReasonKind.NOT_OFFERED,
                        f"{why}; the last session of {label} '{name}' starts in week {last}",
                        cid,
                    ),
                )
            return tuple(self._exclusions(cohort, cid, after, label))
        gap = self.params.max_early_gap
        final = cohort.path[-1]
        return (
            Reason(
                ReasonKind.EARLY_FORBIDDEN,
                f"every possible session of '{self._name(final)}' ends more than {gap} weeks "
                f"before the equipment arrives in week {cohort.target_week}, and finishing that "
                "early is not allowed",
                final,
            ),
        )

    def _exclusions(
        self, cohort: Cohort, cid: str, sessions: Sequence[Session], label: str
    ) -> list[Reason]:
        """Reasons why these sessions of one course cannot be used by the cohort."""
        inst = self.inst
        out: list[Reason] = []
        blackout: dict[str, set[int]] = defaultdict(set)
        small: dict[str, int] = {}
        for s in sessions:
            site = inst.site_by_id.get(s.site_id)
            end = s.start_week + inst.course_by_id[cid].duration_weeks
            if site is None or cid not in site.course_ids:
                continue
            hit = {w for w in range(s.start_week, end) if w in site.blackout_weeks}
            if hit:
                blackout[site.id] |= hit
            elif end > inst.horizon_weeks:
                continue
            elif inst.capacity(s) < cohort.trainees:
                small[site.id] = max(small.get(site.id, 0), inst.capacity(s))
        for site_id, weeks in sorted(blackout.items()):
            out.append(
                Reason(
                    ReasonKind.BLACKOUT,
                    f"site {self._site(site_id)} blackout {weeks_text(sorted(weeks))} "
                    f"cancels {label} '{self._name(cid)}' there",
                    cid,
                    site_id,
                    tuple(sorted(weeks)),
                )
            )
        for site_id, cap in sorted(small.items()):
            out.append(
                Reason(
                    ReasonKind.CLASS_TOO_SMALL,
                    f"{label} '{self._name(cid)}' at site {self._site(site_id)} "
                    f"takes at most {cap} trainees; "
                    f"the cohort has {cohort.trainees} and is never split",
                    cid,
                    site_id,
                )
            )
        if not out:
            out.append(
                Reason(
                    ReasonKind.NOT_OFFERED,
                    f"no usable session of {label} '{self._name(cid)}' within the planning horizon "
                    f"(week {inst.horizon_weeks})",
                    cid,
                )
            )
        return out

    # -- layer 1: structural lateness -----------------------------------------------------------
    def _structural(self, cohort: Cohort) -> list[Reason]:
        inst = self.inst
        ef = self._earliest_finish(cohort, cohort.release_week)
        if ef <= cohort.target_week:
            return []
        reasons: list[Reason] = []
        total = sum(inst.course_by_id[c].duration_weeks for c in cohort.path)
        if cohort.release_week + total > cohort.target_week:
            reasons.append(
                Reason(
                    ReasonKind.RELEASE,
                    f"released only in week {cohort.release_week}; its courses take {total} "
                    f"weeks, so it cannot finish before week {cohort.release_week + total} "
                    f"(equipment arrives week {cohort.target_week})",
                )
            )
        waits: list[tuple[int, int, int, bool]] = []
        ready = cohort.release_week
        for k, cid in enumerate(cohort.path):
            start = self._earliest_start(cohort, cid, ready, usable_only=True)
            if start is None:
                break
            if start > ready:
                binds = self._earliest_finish(cohort, cohort.release_week, skip_wait_at=k) < ef
                waits.append((k, ready, start, binds))
            ready = start + inst.course_by_id[cid].duration_weeks
        if any(w[3] for w in waits):
            waits = [w for w in waits if w[3]]
        elif reasons:
            waits = []
        for k, ready, start, _ in waits:
            cid = cohort.path[k]
            label = "prerequisite course" if k < len(cohort.path) - 1 else "course"
            skipped = [
                s
                for s in self.all_by_course.get(cid, [])
                if ready <= s.start_week < start and not self._fits(cohort, s)
            ]
            reasons.extend(self._exclusions(cohort, cid, skipped, label) if skipped else [])
            offered = (
                f"next usable session of {label} '{self._name(cid)}' starts in week {start}"
                if skipped
                else f"{label} '{self._name(cid)}' only offered from week {start}"
            )
            reasons.append(
                Reason(
                    ReasonKind.LATE_OFFERING,
                    f"{offered} (cohort ready from week {ready})",
                    cid,
                    weeks=(start,),
                )
            )
        return reasons

    # -- layer 2: capacity ----------------------------------------------------------------------
    def _capacity(self, cohort: Cohort, opts: CohortOptions, current: int) -> list[Reason]:
        inst = self.inst
        own = self.chosen.get(cohort.id, ())
        for s in own:
            self.loads.remove(s, cohort.trainees)
        try:
            positions = _improving(inst, self.params, cohort, opts, current)
            blocked: list[dict[Session, Blocker | None]] = [
                {s: self.loads.blocker(s, cohort.trainees) for s in pos} for pos in positions
            ]
        finally:
            for s in own:
                self.loads.add(s, cohort.trainees)
        reasons: list[Reason] = []
        for k, pos in enumerate(blocked):
            if pos and all(b is not None for b in pos.values()):
                reasons.extend(self._blocked_texts(cohort, k, pos))
        if reasons:
            return reasons
        free = [[s for s, b in pos.items() if b is None] for pos in blocked]
        if _has_chain(inst, free):
            why = (
                "first-come-first-served booking does not look ahead"
                if self.solver == "fcfs"
                else "the solver stopped at its time limit before using it"
            )
            return [
                Reason(
                    ReasonKind.NOT_PROVEN_OPTIMAL,
                    f"an earlier place is free on every course of its path; {why}",
                )
            ]
        names = " and ".join(f"'{self._name(c)}'" for c in cohort.path)
        return [
            Reason(
                ReasonKind.NO_CHAIN,
                f"free seats on {names} exist but do not follow each other in time early enough",
            )
        ]

    def _blocked_texts(
        self, cohort: Cohort, k: int, pos: dict[Session, Blocker | None]
    ) -> list[Reason]:
        inst = self.inst
        cid = cohort.path[k]
        name = self._name(cid)
        grouped: dict[tuple[ReasonKind, str], set[int]] = defaultdict(set)
        for s, b in pos.items():
            assert b is not None
            grouped[(b.kind, s.site_id)] |= set(b.weeks)
        out: list[Reason] = []
        order = list(ReasonKind)
        for (kind, site_id), weeks in sorted(
            grouped.items(), key=lambda kv: (order.index(kv[0][0]), kv[0][1])
        ):
            site = self._site(site_id)
            wt = weeks_text(sorted(weeks))
            if kind is ReasonKind.SESSION_FULL:
                text = f"no seats on course '{name}' at site {site} in {wt}"
            elif kind is ReasonKind.SITE_FULL:
                limit = inst.site_by_id[site_id].seats_per_week
                text = (
                    f"site {site} is at its limit of {limit} trainees per week in {wt} "
                    f"(course '{name}')"
                )
            elif kind is ReasonKind.NO_INSTRUCTOR:
                text = f"no free instructor at site {site} in {wt} for course '{name}'"
            else:
                minimum = inst.course_by_id[cid].min_class_size
                text = (
                    f"an extra session of '{name}' at site {site} in {wt} would not reach "
                    f"the minimum class of {minimum}"
                )
            out.append(Reason(kind, text, cid, site_id, tuple(sorted(weeks))))
        return out


def _improving(
    inst: Instance, params: Parameters, cohort: Cohort, opts: CohortOptions, current: int
) -> list[list[Session]]:
    """Option lists restricted to chains whose finish would cost less than ``current``."""
    positions = [list(p) for p in opts.positions]
    positions[-1] = [
        s for s in positions[-1] if finish_cost(cohort, inst.end_week(s), params) < current
    ]
    latest = inst.horizon_weeks
    for k in range(len(positions) - 1, -1, -1):
        positions[k] = [s for s in positions[k] if inst.end_week(s) <= latest]
        latest = max((s.start_week for s in positions[k]), default=-1)
    return positions


def _has_chain(inst: Instance, positions: list[list[Session]]) -> bool:
    ready = -1
    for pos in positions:
        starts = [s for s in pos if s.start_week >= ready]
        if not starts:
            return False
        ready = min(inst.end_week(s) for s in starts)
    return True


def explain_schedule(
    instance: Instance,
    params: Parameters,
    chosen: Mapping[str, tuple[Session, ...]],
    solver: str = "cp-sat",
) -> dict[str, tuple[Reason, ...]]:
    """Reasons for every late or unscheduled cohort of a choice of sessions, keyed by cohort id.

    ``solver`` ('cp-sat' or 'fcfs') only changes the wording when a free earlier place exists.
    """
    explainer = Explainer(instance, params, chosen, solver)
    out: dict[str, tuple[Reason, ...]] = {}
    for cohort in instance.cohorts:
        sessions = chosen.get(cohort.id)
        if sessions and instance.end_week(sessions[-1]) <= cohort.target_week:
            continue
        reasons = explainer.explain(cohort)
        if reasons:
            out[cohort.id] = reasons
    return out
