"""Late or untrained cohorts come with the binding reason, in a staff officer's words."""

from __future__ import annotations

from dataclasses import replace

import pytest

from coordcell.training.scheduler import (
    Parameters,
    Reason,
    ReasonKind,
    Session,
    Status,
    fcfs_baseline,
    schedule_training,
)
from coordcell.training.scheduler.examples import cohort, instance, site

FAST = Parameters(time_limit_s=5)


def kinds(reasons: tuple[Reason, ...]) -> list[ReasonKind]:
    return [r.kind for r in reasons]


def test_late_release_is_the_reason() -> None:
    inst = instance(
        (Session("S", "PAT-OP", "GRAF", 10, 20),), (cohort("A", release=10, target=12),)
    )
    result = schedule_training(inst, FAST).result("A")
    assert result.lateness == 2
    assert kinds(result.reasons) == [ReasonKind.RELEASE]
    assert "released only in week 10" in result.reasons[0].text


def test_prerequisite_offered_late_is_the_reason() -> None:
    sessions = (Session("OP", "PAT-OP", "GRAF", 9, 20), Session("MNT", "PAT-MNT", "GRAF", 13, 20))
    inst = instance(sessions, (cohort("A", path=("PAT-OP", "PAT-MNT"), target=10),))
    result = schedule_training(inst, FAST).result("A")
    assert result.lateness == 6
    assert kinds(result.reasons) == [ReasonKind.LATE_OFFERING]
    assert result.reasons[0].text.startswith(
        "prerequisite course 'Patriot operator' only offered from week 9"
    )


def test_blackout_that_cancels_the_on_time_session_is_the_reason() -> None:
    sessions = (Session("S0", "PAT-OP", "GRAF", 1, 20), Session("S1", "PAT-OP", "GRAF", 8, 20))
    inst = instance(
        sessions,
        (cohort("A", target=6),),
        sites=(site(blackout=frozenset({3, 4})),),
    )
    result = schedule_training(inst, FAST).result("A")
    assert result.lateness == 6
    assert ReasonKind.BLACKOUT in kinds(result.reasons)
    blackout = next(r for r in result.reasons if r.kind is ReasonKind.BLACKOUT)
    assert blackout.text.startswith("site Grafenwöhr blackout weeks 3-4")


def test_full_session_is_the_reason_for_the_lower_priority_cohort() -> None:
    sessions = (Session("S0", "PAT-OP", "GRAF", 12, 12), Session("S1", "PAT-OP", "GRAF", 20, 20))
    inst = instance(
        sessions,
        (cohort("HIGH", target=16, weight=3), cohort("LOW", target=16, weight=1)),
    )
    schedule = schedule_training(inst, FAST)
    assert schedule.result("HIGH").lateness == 0
    low = schedule.result("LOW")
    assert low.lateness == 8
    assert kinds(low.reasons) == [ReasonKind.SESSION_FULL]
    assert (
        low.reasons[0].text
        == "no seats on course 'Patriot operator' at site Grafenwöhr in weeks 12-15"
    )


def test_site_weekly_seat_limit_is_the_reason() -> None:
    sessions = (
        Session("S0", "PAT-OP", "GRAF", 0, 20),
        Session("S0b", "PAT-OP", "GRAF", 0, 20),
        Session("S1", "PAT-OP", "GRAF", 10, 20),
    )
    inst = instance(
        sessions,
        (cohort("A", trainees=10, target=4, weight=2), cohort("B", trainees=10, target=4)),
        sites=(site(seats_per_week=15),),
    )
    b = schedule_training(inst, FAST).result("B")
    assert b.lateness == 10
    assert kinds(b.reasons) == [ReasonKind.SITE_FULL]
    assert "limit of 15 trainees per week in weeks 0-3" in b.reasons[0].text


def test_instructor_shortage_is_the_reason() -> None:
    sessions = (
        Session("S0", "PAT-OP", "GRAF", 0, 10),
        Session("S0b", "PAT-OP", "GRAF", 0, 10),
        Session("S1", "PAT-OP", "GRAF", 6, 10),
    )
    inst = instance(
        sessions,
        (cohort("A", trainees=10, target=4, weight=2), cohort("B", trainees=10, target=4)),
        sites=(site(instructors=1),),
    )
    b = schedule_training(inst, FAST).result("B")
    assert b.lateness == 6
    # S0 is full with A; S0b has seats but nobody to teach it.
    assert kinds(b.reasons) == [ReasonKind.SESSION_FULL, ReasonKind.NO_INSTRUCTOR]
    assert b.reasons[1].text == (
        "no free instructor at site Grafenwöhr in weeks 0-3 for course 'Patriot operator'"
    )


def test_cohort_without_any_session_of_its_course_is_reported_not_crashed() -> None:
    inst = instance(
        (Session("S", "PAT-OP", "GRAF", 0, 20),), (cohort("A", path=("PAT-OP", "PAT-MNT")),)
    )
    schedule = schedule_training(inst, FAST)
    result = schedule.result("A")
    assert not result.scheduled and schedule.assignments == ()
    assert kinds(result.reasons) == [ReasonKind.NO_SESSION]
    assert "'Patriot maintainer' is planned at any site" in result.reasons[0].text
    assert schedule.status is Status.OPTIMAL


def test_missing_prerequisite_is_reported() -> None:
    inst = instance((Session("S", "PAT-MNT", "GRAF", 0, 20),), (cohort("A", path=("PAT-MNT",)),))
    result = schedule_training(inst, FAST).result("A")
    assert not result.scheduled
    assert kinds(result.reasons) == [ReasonKind.MISSING_PREREQUISITE]


def test_cohort_bigger_than_every_class_is_reported() -> None:
    inst = instance((Session("S", "PAT-OP", "GRAF", 0, 12),), (cohort("A", trainees=20),))
    result = schedule_training(inst, FAST).result("A")
    assert not result.scheduled
    assert kinds(result.reasons) == [ReasonKind.CLASS_TOO_SMALL]
    assert "never split" in result.reasons[0].text


def test_status_is_infeasible_with_reasons_when_every_cohort_must_be_trained() -> None:
    sessions = (Session("S", "PAT-OP", "GRAF", 0, 12),)
    inst = instance(sessions, (cohort("A", weight=2), cohort("B")))
    schedule = schedule_training(inst, replace(FAST, allow_unscheduled=False))
    assert schedule.status is Status.INFEASIBLE
    assert schedule.result("A").scheduled and not schedule.result("B").scheduled
    assert kinds(schedule.result("B").reasons) == [ReasonKind.SESSION_FULL]
    assert schedule.messages


def test_baseline_explains_its_own_late_cohorts() -> None:
    sessions = (Session("S0", "PAT-OP", "GRAF", 0, 12), Session("S1", "PAT-OP", "GRAF", 8, 20))
    inst = instance(sessions, (cohort("FIRST", target=4), cohort("SECOND", release=0, target=4)))
    result = fcfs_baseline(inst, FAST).result("SECOND")
    assert kinds(result.reasons) == [ReasonKind.SESSION_FULL]


def test_inconsistent_instance_is_refused_with_every_problem_named() -> None:
    inst = instance(
        (Session("S", "NOPE", "GRAF", 0, 12), Session("S", "PAT-OP", "ELSEWHERE", 0, 12)),
        (cohort("A", trainees=0),),
    )
    with pytest.raises(ValueError) as err:
        schedule_training(inst, FAST)
    message = str(err.value)
    assert "session id 'S' is used 2 times" in message
    assert "unknown course 'NOPE'" in message
    assert "unknown site 'ELSEWHERE'" in message
    assert "cohort 'A': trainees is 0" in message
