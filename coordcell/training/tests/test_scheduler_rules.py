"""The scheduler respects every booking rule (checked by the independent validator)."""

from __future__ import annotations

from dataclasses import replace

from coordcell.training.scheduler import (
    Parameters,
    Session,
    check_schedule,
    fcfs_baseline,
    generate_instance,
    schedule_training,
)
from coordcell.training.scheduler.examples import PATRIOT_OP, cohort, instance, site

FAST = Parameters(time_limit_s=5)


def test_generated_instance_schedule_breaks_no_rule() -> None:
    inst = generate_instance(400, seed=3)
    schedule = schedule_training(inst, FAST)
    assert check_schedule(inst, schedule, FAST) == []
    assert check_schedule(inst, fcfs_baseline(inst, FAST), FAST) == []


def test_courses_follow_the_path_and_start_after_the_previous_one_ends() -> None:
    inst = generate_instance(400, seed=4)
    schedule = schedule_training(inst, FAST)
    multi = [c for c in inst.cohorts if len(c.path) > 1 and schedule.result(c.id).scheduled]
    assert multi, "the generated instance should contain multi-course paths"
    for c in multi:
        rows = schedule.assignments_of(c.id)
        assert [a.course_id for a in rows] == list(c.path)
        assert rows[0].start_week >= c.release_week
        for prev, nxt in zip(rows, rows[1:], strict=False):
            assert nxt.start_week >= prev.end_week


def test_prerequisite_is_taken_before_the_course_that_needs_it() -> None:
    sessions = (
        Session("OP-late", "PAT-OP", "GRAF", 6, 20),
        Session("MNT-early", "PAT-MNT", "GRAF", 2, 20),
        Session("MNT-late", "PAT-MNT", "GRAF", 10, 20),
    )
    inst = instance(sessions, (cohort("A", path=("PAT-OP", "PAT-MNT"), target=5),))
    schedule = schedule_training(inst, FAST)
    assert [a.session_id for a in schedule.assignments_of("A")] == ["OP-late", "MNT-late"]


def test_session_seats_are_never_overbooked() -> None:
    sessions = (Session("S0", "PAT-OP", "GRAF", 0, 20), Session("S1", "PAT-OP", "GRAF", 8, 30))
    inst = instance(sessions, tuple(cohort(f"C{i}", trainees=8, target=4) for i in range(3)))
    schedule = schedule_training(inst, FAST)
    on_first = [a for a in schedule.assignments if a.session_id == "S0"]
    assert len(on_first) == 2
    assert check_schedule(inst, schedule) == []


def test_site_weekly_seat_limit_is_respected_across_concurrent_sessions() -> None:
    sessions = (
        Session("S0", "PAT-OP", "GRAF", 0, 20),
        Session("S0b", "PAT-OP", "GRAF", 1, 20),
        Session("S1", "PAT-OP", "GRAF", 10, 20),
    )
    inst = instance(
        sessions,
        (cohort("A", trainees=10, target=4), cohort("B", trainees=10, target=4)),
        sites=(site(seats_per_week=15),),
    )
    schedule = schedule_training(inst, FAST)
    starts = sorted(a.start_week for a in schedule.assignments)
    assert starts == [0, 10]
    assert check_schedule(inst, schedule) == []


def test_instructor_limit_stops_two_sessions_running_at_once() -> None:
    sessions = (
        Session("S0", "PAT-OP", "GRAF", 0, 10),
        Session("S0b", "PAT-OP", "GRAF", 2, 10),
        Session("S1", "PAT-OP", "GRAF", 4, 10),
    )
    inst = instance(
        sessions,
        (cohort("A", trainees=10, target=4), cohort("B", trainees=10, target=4)),
        sites=(site(instructors=1),),
    )
    schedule = schedule_training(inst, FAST)
    assert sorted(a.session_id for a in schedule.assignments) == ["S0", "S1"]
    assert check_schedule(inst, schedule) == []


def test_sessions_in_blackout_weeks_are_never_used() -> None:
    sessions = (Session("S0", "PAT-OP", "GRAF", 0, 20), Session("S1", "PAT-OP", "GRAF", 6, 20))
    inst = instance(sessions, (cohort("A", target=4),), sites=(site(blackout=frozenset({2})),))
    schedule = schedule_training(inst, FAST)
    assert [a.session_id for a in schedule.assignments] == ["S1"]


def test_candidate_session_opens_only_with_its_minimum_class() -> None:
    course = replace(PATRIOT_OP, min_class_size=12)
    sessions = (
        Session("CAND", "PAT-OP", "GRAF", 0, 24, candidate=True),
        Session("LATE", "PAT-OP", "GRAF", 10, 24),
    )
    alone = instance(sessions, (cohort("A", trainees=8, target=4),), courses=(course,))
    assert [a.session_id for a in schedule_training(alone, FAST).assignments] == ["LATE"]
    pair = instance(
        sessions,
        (cohort("A", trainees=8, target=4), cohort("B", trainees=8, target=4)),
        courses=(course,),
    )
    schedule = schedule_training(pair, FAST)
    assert [a.session_id for a in schedule.assignments] == ["CAND", "CAND"]
    assert schedule.opened_sessions == ("CAND",)
    assert check_schedule(pair, schedule) == []


def test_forbidden_early_finish_is_never_scheduled() -> None:
    sessions = (
        Session("EARLY", "PAT-OP", "GRAF", 0, 20),
        Session("JUST", "PAT-OP", "GRAF", 14, 20),
    )
    inst = instance(sessions, (cohort("A", target=20),))
    params = replace(FAST, max_early_gap=4, forbid_early=True)
    schedule = schedule_training(inst, params)
    assert [a.session_id for a in schedule.assignments] == ["JUST"]
    assert check_schedule(inst, schedule, params) == []


def test_early_finish_beyond_the_gap_is_penalised_not_forbidden_by_default() -> None:
    sessions = (
        Session("EARLY", "PAT-OP", "GRAF", 0, 20),
        Session("JUST", "PAT-OP", "GRAF", 14, 20),
    )
    inst = instance(sessions, (cohort("A", target=20),))
    schedule = schedule_training(inst, replace(FAST, max_early_gap=4))
    assert [a.session_id for a in schedule.assignments] == ["JUST"]
    assert schedule.objective == 0


def test_validator_reports_an_overbooked_session() -> None:
    sessions = (Session("S0", "PAT-OP", "GRAF", 0, 12),)
    inst = instance(sessions, (cohort("A", target=4), cohort("B", target=4)))
    schedule = schedule_training(inst, FAST)
    assert len(schedule.assignments) == 1
    booked = schedule.assignments[0]
    other = "B" if booked.cohort_id == "A" else "A"
    forged = replace(
        schedule,
        assignments=(booked, replace(booked, cohort_id=other)),
        cohorts=tuple(
            replace(r, scheduled=True, finish_week=4, lateness=0) for r in schedule.cohorts
        ),
    )
    errors = check_schedule(inst, forged)
    assert any("capacity 12" in e for e in errors)
