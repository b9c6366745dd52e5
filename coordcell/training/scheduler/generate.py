"""Deterministic, plausible synthetic instances for tests, demos and benchmarks.

Course names and host sites are real places and systems; every number is invented.  Supply is sized
from demand (about 1.1 seats per trainee per course, fewer on scarce courses), so a share of the
cohorts, released late or needed early, finishes after its equipment arrives.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict

from coordcell.training.scheduler.model import Cohort, Course, Instance, Session, Site

# id, name, weeks, min, max, prerequisites, capability, language
COURSES: tuple[tuple[str, str, int, int, int, tuple[str, ...], str, str], ...] = (
    ("PAT-OP", "Patriot operator", 6, 8, 24, (), "Patriot", "en"),
    ("PAT-MNT", "Patriot maintainer", 5, 6, 16, ("PAT-OP",), "Patriot", "en"),
    ("IRIST-OP", "IRIS-T SLM operator", 5, 8, 24, (), "IRIS-T SLM", "de"),
    ("IRIST-MNT", "IRIS-T SLM maintainer", 4, 6, 16, ("IRIST-OP",), "IRIS-T SLM", "de"),
    ("NASAMS-OP", "NASAMS operator", 5, 8, 24, (), "NASAMS", "en"),
    ("NASAMS-MNT", "NASAMS maintainer", 4, 6, 16, ("NASAMS-OP",), "NASAMS", "en"),
    ("BASIC", "Basic combat training", 5, 12, 40, (), "Infantry", "en"),
    ("LEO2", "Leopard 2 crew", 6, 8, 32, (), "Leopard 2", "de"),
    ("CV90", "CV90 crew", 5, 8, 32, (), "CV90", "en"),
    ("M777", "M777 gun crew", 4, 8, 32, (), "M777", "en"),
    ("CAESAR", "CAESAR gun crew", 4, 8, 32, (), "CAESAR", "fr"),
    ("PZH2000", "PzH 2000 gun crew", 5, 8, 32, (), "PzH 2000", "de"),
    ("FIRE-DIR", "Artillery fire direction", 3, 6, 24, (), "Artillery", "en"),
    ("FPV", "FPV drone operator", 3, 6, 24, (), "Drones", "en"),
    ("DEMINING", "Humanitarian demining", 4, 6, 24, (), "Demining", "en"),
    ("MEDIC", "Combat medic (TCCC)", 3, 8, 32, (), "Medical", "en"),
)

# id, name, host nation, courses
SITES: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("GRAF", "Grafenwöhr", "DE", ("BASIC", "M777", "MEDIC", "FIRE-DIR")),
    ("KLIETZ", "Klietz", "DE", ("LEO2",)),
    ("MUNSTER", "Munster", "DE", ("LEO2", "PZH2000")),
    ("TODENDORF", "Todendorf", "DE", ("IRIST-OP", "IRIST-MNT", "PAT-OP")),
    ("HUSUM", "Husum", "DE", ("PAT-OP", "PAT-MNT")),
    ("SALISBURY", "Salisbury Plain", "UK", ("BASIC", "MEDIC", "FPV")),
    ("ZAGAN", "Żagań", "PL", ("LEO2", "BASIC")),
    ("MOURMELON", "Mourmelon", "FR", ("CAESAR", "BASIC", "FIRE-DIR")),
    ("LEST", "Lešť", "SK", ("M777", "MEDIC")),
    ("RENA", "Rena", "NO", ("NASAMS-OP", "NASAMS-MNT")),
    ("SKOVDE", "Skövde", "SE", ("CV90",)),
    ("ADAZI", "Ādaži", "LV", ("FPV",)),
    ("PABRADE", "Pabradė", "LT", ("DEMINING", "MEDIC")),
)

# capability, unit name stem, share of cohorts, paths to choose from
PACKAGES: tuple[tuple[str, str, float, tuple[tuple[str, ...], ...]], ...] = (
    ("Patriot", "Air Defence Battery", 0.06, (("PAT-OP",), ("PAT-OP", "PAT-MNT"))),
    ("IRIS-T SLM", "Air Defence Battery", 0.06, (("IRIST-OP",), ("IRIST-OP", "IRIST-MNT"))),
    ("NASAMS", "Air Defence Battery", 0.05, (("NASAMS-OP",), ("NASAMS-OP", "NASAMS-MNT"))),
    ("Leopard 2", "Tank Company", 0.14, (("LEO2",), ("BASIC", "LEO2"), ("BASIC", "LEO2", "MEDIC"))),
    (
        "CV90",
        "Mechanised Company",
        0.10,
        (("CV90",), ("BASIC", "CV90"), ("BASIC", "CV90", "MEDIC")),
    ),
    (
        "M777",
        "Artillery Battery",
        0.09,
        (("M777",), ("M777", "FIRE-DIR"), ("BASIC", "M777", "FIRE-DIR")),
    ),
    ("CAESAR", "Artillery Battery", 0.07, (("CAESAR",), ("CAESAR", "FIRE-DIR"))),
    ("PzH 2000", "Artillery Battery", 0.07, (("PZH2000",), ("PZH2000", "FIRE-DIR"))),
    ("Drones", "Drone Platoon", 0.14, (("FPV",), ("BASIC", "FPV"))),
    ("Demining", "Engineer Platoon", 0.10, (("DEMINING",), ("DEMINING", "MEDIC"))),
    ("Medical", "Medical Platoon", 0.12, (("MEDIC",), ("BASIC", "MEDIC"))),
)

SCARCE = {"PAT-OP", "PAT-MNT", "LEO2"}  # capacity pressure: fewer seats than demand


def generate_instance(trainees: int, seed: int = 0, horizon_weeks: int = 52) -> Instance:
    """A synthetic instance with about ``trainees`` trainees in cohorts of 8-30.

    Deterministic for a given (trainees, seed, horizon_weeks).  Sessions are planned at each site
    for the courses it runs, sized to demand; about one in six is a candidate session.
    """
    rng = random.Random(f"coordcell-training-{trainees}-{seed}-{horizon_weeks}")
    courses = tuple(
        Course(cid, name, weeks, lo, hi, pre, lang, 1, cap)
        for cid, name, weeks, lo, hi, pre, cap, lang in COURSES
    )
    by_id = {c.id: c for c in courses}

    cohorts: list[Cohort] = []
    total = 0
    shares = [p[2] for p in PACKAGES]
    while total < trainees:
        capability, unit, _share, paths = rng.choices(PACKAGES, weights=shares)[0]
        path = rng.choice(paths)
        # crews are formed to fit the smallest class on their path
        largest = min(by_id[c].max_class_size * 3 // 4 for c in path)
        size = min(rng.randint(8, 30), largest, max(1, trainees - total))
        duration = sum(by_id[c].duration_weeks for c in path)
        release = rng.randint(0, max(1, horizon_weeks // 2))
        slack = rng.choice((-3, -1, 0, 1, 2, 3, 4, 6, 8, 10, 14))
        target = min(horizon_weeks - 1, release + duration + slack + 2)
        n = len(cohorts) + 1
        cohorts.append(
            Cohort(
                id=f"C{n:04d}",
                unit=f"{n // 4 + 1}. {unit} ({capability})",
                trainees=size,
                path=path,
                capability=capability,
                release_week=release,
                target_week=max(target, 1),
                weight=rng.choice((1, 1, 1, 2, 2, 3)),
            )
        )
        total += size

    demand: dict[str, int] = defaultdict(int)
    ready_weeks: dict[str, list[int]] = defaultdict(list)
    for c in cohorts:
        ready = c.release_week
        for cid in c.path:
            demand[cid] += c.trainees
            ready_weeks[cid].append(ready)
            ready += by_id[cid].duration_weeks

    sites: list[Site] = []
    sessions: list[Session] = []
    hosts: dict[str, list[str]] = defaultdict(list)
    for sid, _name, _nation, offered in SITES:
        for cid in offered:
            hosts[cid].append(sid)
    blackouts: dict[str, frozenset[int]] = {}
    for sid, _name, _nation, _offered in SITES:
        summer = rng.randint(28, 33)
        blackouts[sid] = frozenset({0, horizon_weeks - 1} | set(range(summer, summer + 2)))
    site_peak: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    site_instr: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for cid in sorted(demand):
        course = by_id[cid]
        factor = 1.05 if cid in SCARCE else 1.3
        avg_seats = (course.max_class_size * 7) // 8
        count = max(4, math.ceil(demand[cid] * factor / avg_seats))
        last_start = horizon_weeks - course.duration_weeks
        readies = sorted(ready_weeks[cid])
        for i in range(count):
            sid = hosts[cid][i % len(hosts[cid])]
            # planners follow demand: session i starts a little after the i-th quantile of the
            # weeks in which cohorts become ready for the course
            quantile = readies[min(len(readies) - 1, ((2 * i + 1) * len(readies)) // (2 * count))]
            if i == count - 1:
                quantile = readies[-1] + 4  # a last run for the latest cohorts
            start = min(last_start, quantile + rng.randint(0, 4))
            # planners move a run past the site's blackout weeks (or before them at year end)
            clear = [
                t
                for t in range(1, last_start + 1)
                if not any(w in blackouts[sid] for w in range(t, t + course.duration_weeks))
            ]
            if not clear:
                continue
            start = min((t for t in clear if t >= start), default=clear[-1])
            weeks = range(start, start + course.duration_weeks)
            seats = rng.randint((course.max_class_size * 2) // 3, course.max_class_size)
            candidate = rng.random() < 1 / 6
            sessions.append(Session(f"{cid}-{sid}-{i:03d}", cid, sid, start, seats, candidate))
            for w in weeks:
                site_peak[sid][w] += seats
                site_instr[sid][w] += 0 if candidate else 1
    for sid, name, nation, offered in SITES:
        peak = max(site_peak[sid].values(), default=40)
        instr = max(site_instr[sid].values(), default=2)
        sites.append(
            Site(sid, name, nation, offered, instr + 1, max(30, int(peak * 0.95)), blackouts[sid])
        )
    sessions.sort(key=lambda s: (s.start_week, s.id))
    return Instance(
        tuple(courses),
        tuple(sites),
        tuple(sessions),
        tuple(cohorts),
        horizon_weeks,
        f"synthetic-{trainees}-{seed}",
    )
