"""Independent checks: is an instance consistent, and does a schedule respect every rule?

``check_schedule`` recomputes everything from the instance and the assignments alone (it shares
no code with the solvers on purpose), so tests can use it as the referee.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from coordcell.training.scheduler.model import Assignment, Instance, Parameters, Schedule


def validate_instance(instance: Instance) -> list[str]:
    """Problems that make the instance unusable, each naming the record, field and value."""
    problems: list[str] = []
    for label, ids in (
        ("course", [c.id for c in instance.courses]),
        ("site", [s.id for s in instance.sites]),
        ("session", [s.id for s in instance.sessions]),
        ("cohort", [c.id for c in instance.cohorts]),
    ):
        for dup, n in sorted(Counter(ids).items()):
            if n > 1:
                problems.append(f"{label} id {dup!r} is used {n} times; ids must be unique")
    if instance.horizon_weeks <= 0:
        problems.append(f"horizon_weeks is {instance.horizon_weeks}; it must be positive")
    for c in instance.courses:
        if c.duration_weeks <= 0:
            problems.append(f"course {c.id!r}: duration_weeks is {c.duration_weeks}; must be >= 1")
        if not 0 <= c.min_class_size <= c.max_class_size or c.max_class_size <= 0:
            problems.append(
                f"course {c.id!r}: class size {c.min_class_size}-{c.max_class_size} "
                "is not a valid range"
            )
        if c.instructors_per_session < 0:
            problems.append(f"course {c.id!r}: instructors_per_session must be >= 0")
    for site in instance.sites:
        if site.seats_per_week < 0 or site.instructors < 0:
            problems.append(f"site {site.id!r}: seats_per_week and instructors must be >= 0")
    for s in instance.sessions:
        if s.course_id not in instance.course_by_id:
            problems.append(f"session {s.id!r}: unknown course {s.course_id!r}")
        if s.site_id not in instance.site_by_id:
            problems.append(f"session {s.id!r}: unknown site {s.site_id!r}")
        if s.seats < 0:
            problems.append(f"session {s.id!r}: seats is {s.seats}; must be >= 0")
    for ch in instance.cohorts:
        if ch.trainees <= 0:
            problems.append(f"cohort {ch.id!r}: trainees is {ch.trainees}; must be >= 1")
        if ch.weight < 0:
            problems.append(f"cohort {ch.id!r}: weight is {ch.weight}; must be >= 0")
        if len(set(ch.path)) != len(ch.path):
            problems.append(f"cohort {ch.id!r}: path {list(ch.path)} repeats a course")
    return problems


def check_schedule(
    instance: Instance, schedule: Schedule, params: Parameters | None = None
) -> list[str]:
    """Every rule the schedule breaks, in words; an empty list means the schedule is valid.

    Checks: known ids; the session's course and site; cohort never split and either fully booked
    along its path or not at all; course order and release week; prerequisites; horizon and
    blackouts; session seats; site seats per week; instructors per site and week; minimum class of
    opened candidate sessions; the forbidden-early rule (if ``params`` say so); and that the
    reported finish weeks and lateness match the bookings.
    """
    inst = instance
    errors: list[str] = []
    by_cohort: dict[str, list[Assignment]] = defaultdict(list)
    for a in schedule.assignments:
        s = inst.session_by_id.get(a.session_id)
        if a.cohort_id not in inst.cohort_by_id or s is None:
            errors.append(f"assignment {a}: unknown cohort or session")
            continue
        course = inst.course_by_id[s.course_id]
        if s.course_id != a.course_id or s.site_id != a.site_id:
            errors.append(f"assignment {a}: session {s.id} is course {s.course_id} at {s.site_id}")
        if a.start_week != s.start_week or a.end_week != s.start_week + course.duration_weeks:
            errors.append(f"assignment {a}: weeks do not match session {s.id}")
        by_cohort[a.cohort_id].append(a)

    for cid, rows in by_cohort.items():
        cohort = inst.cohort_by_id[cid]
        courses = [a.course_id for a in rows]
        if sorted(courses) != sorted(cohort.path):
            errors.append(
                f"cohort {cid}: booked courses {courses} but its path is {list(cohort.path)}"
            )
            continue
        rows_by_course = {a.course_id: a for a in rows}
        ordered = [rows_by_course[c] for c in cohort.path]
        if ordered[0].start_week < cohort.release_week:
            errors.append(
                f"cohort {cid}: starts week {ordered[0].start_week} "
                f"before release {cohort.release_week}"
            )
        for prev, nxt in zip(ordered, ordered[1:], strict=False):
            if nxt.start_week < prev.end_week:
                errors.append(
                    f"cohort {cid}: {nxt.course_id} starts week {nxt.start_week} before "
                    f"{prev.course_id} ends week {prev.end_week}"
                )
        for a in ordered:
            for pre in inst.course_by_id[a.course_id].prerequisites:
                if pre in cohort.qualifications:
                    continue
                done = rows_by_course.get(pre)
                if done is None or done.end_week > a.start_week:
                    errors.append(f"cohort {cid}: {a.course_id} starts without prerequisite {pre}")
        gap = params.max_early_gap if params is not None and params.forbid_early else None
        if gap is not None and ordered[-1].end_week < cohort.target_week - gap:
            errors.append(f"cohort {cid}: finishes week {ordered[-1].end_week}, too early")

    session_load: dict[str, int] = defaultdict(int)
    for a in schedule.assignments:
        if a.session_id in inst.session_by_id and a.cohort_id in inst.cohort_by_id:
            session_load[a.session_id] += inst.cohort_by_id[a.cohort_id].trainees
    site_week: dict[tuple[str, int], int] = defaultdict(int)
    site_instr: dict[tuple[str, int], int] = defaultdict(int)
    for sid, load in sorted(session_load.items()):
        s = inst.session_by_id[sid]
        course = inst.course_by_id[s.course_id]
        site = inst.site_by_id[s.site_id]
        cap = min(s.seats, course.max_class_size)
        if load > cap:
            errors.append(f"session {sid}: {load} trainees booked, capacity {cap}")
        if s.candidate and load < course.min_class_size:
            errors.append(
                f"candidate session {sid}: {load} trainees, minimum class {course.min_class_size}"
            )
        if s.course_id not in site.course_ids:
            errors.append(f"session {sid}: site {site.id} does not run course {s.course_id}")
        end = s.start_week + course.duration_weeks
        if s.start_week < 0 or end > inst.horizon_weeks:
            errors.append(f"session {sid}: weeks {s.start_week}-{end - 1} outside the horizon")
        for w in range(s.start_week, end):
            if w in site.blackout_weeks:
                errors.append(f"session {sid}: runs in blackout week {w} of site {site.id}")
            site_week[(site.id, w)] += load
            site_instr[(site.id, w)] += course.instructors_per_session
    for (site_id, w), load in sorted(site_week.items()):
        if load > inst.site_by_id[site_id].seats_per_week:
            errors.append(
                f"site {site_id} week {w}: {load} trainees, "
                f"limit {inst.site_by_id[site_id].seats_per_week}"
            )
    for (site_id, w), n in sorted(site_instr.items()):
        if n > inst.site_by_id[site_id].instructors:
            errors.append(
                f"site {site_id} week {w}: {n} instructors needed, "
                f"{inst.site_by_id[site_id].instructors} available"
            )

    for r in schedule.cohorts:
        rows = by_cohort.get(r.cohort_id, [])
        known = inst.cohort_by_id.get(r.cohort_id)
        if known is None:
            errors.append(f"result for unknown cohort {r.cohort_id}")
            continue
        if r.scheduled != bool(rows):
            errors.append(f"cohort {r.cohort_id}: scheduled={r.scheduled} but {len(rows)} bookings")
        if rows:
            finish = max(a.end_week for a in rows)
            if r.finish_week != finish or r.lateness != max(0, finish - known.target_week):
                errors.append(
                    f"cohort {r.cohort_id}: reported finish/lateness do not match bookings"
                )
    return errors
