"""Tiny hand-made scenarios, each showing one rule; used by the tests and handy in a shell."""

from __future__ import annotations

import random

from coordcell.training.scheduler.model import Cohort, Course, Instance, Session, Site

PATRIOT_OP = Course("PAT-OP", "Patriot operator", 4, 4, 24, capability="Patriot")
PATRIOT_MNT = Course("PAT-MNT", "Patriot maintainer", 3, 4, 16, ("PAT-OP",), capability="Patriot")


def site(
    id: str = "GRAF",
    name: str = "Grafenwöhr",
    courses: tuple[str, ...] = ("PAT-OP", "PAT-MNT"),
    instructors: int = 10,
    seats_per_week: int = 1000,
    blackout: frozenset[int] = frozenset(),
) -> Site:
    return Site(id, name, "DE", courses, instructors, seats_per_week, blackout)


def cohort(
    id: str,
    trainees: int = 10,
    path: tuple[str, ...] = ("PAT-OP",),
    release: int = 0,
    target: int = 10,
    weight: int = 1,
) -> Cohort:
    return Cohort(id, f"Battery {id}", trainees, path, "Patriot", release, target, weight)


def instance(
    sessions: tuple[Session, ...],
    cohorts: tuple[Cohort, ...],
    sites: tuple[Site, ...] | None = None,
    courses: tuple[Course, ...] = (PATRIOT_OP, PATRIOT_MNT),
    horizon: int = 40,
) -> Instance:
    return Instance(courses, sites or (site(),), sessions, cohorts, horizon, "example")


def random_small_instance(
    seed: int, cohorts: int = 4, sessions: int = 6, horizon: int = 20
) -> Instance:
    """A random tiny instance (two sites, two courses with a prerequisite, tight seats,
    instructors, a blackout, candidate sessions) small enough to brute-force."""
    rng = random.Random(seed)
    courses = (
        Course("A", "Course A", rng.randint(1, 3), rng.randint(1, 6), rng.randint(6, 14)),
        Course("B", "Course B", rng.randint(1, 3), rng.randint(1, 6), rng.randint(6, 14), ("A",)),
    )
    sites = (
        Site(
            "S1",
            "Site one",
            "DE",
            ("A", "B"),
            rng.randint(1, 2),
            rng.randint(8, 30),
            frozenset({rng.randint(0, horizon - 1)}),
        ),
        Site(
            "S2", "Site two", "PL", ("A", "B"), rng.randint(1, 2), rng.randint(8, 30), frozenset()
        ),
    )
    sess = tuple(
        Session(
            f"X{i}",
            rng.choice("AB"),
            rng.choice(("S1", "S2")),
            rng.randint(0, horizon - 2),
            rng.randint(4, 14),
            candidate=rng.random() < 0.25,
        )
        for i in range(sessions)
    )
    coh = tuple(
        Cohort(
            f"C{i}",
            f"Unit {i}",
            rng.randint(2, 9),
            rng.choice((("A",), ("B",), ("A", "B"))),
            "test",
            rng.randint(0, 6),
            rng.randint(2, horizon),
            rng.randint(1, 3),
            ("A",) if rng.random() < 0.5 else (),
        )
        for i in range(cohorts)
    )
    return Instance(courses, sites, sess, coh, horizon, f"random-{seed}")
