"""Split the problem into independent parts and find which shared-resource limits can bind.

Two cohorts interact only through a session they could both attend, or through a site's weekly
seat or instructor limit covering sessions they could attend.  A limit is only modelled if it can
be exceeded at all (the potential load of its sessions is above it), so course families at
different sites with slack (e.g. Patriot at one site, Leopard at another) become separate
components, each solved as its own smaller CP-SAT model.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from coordcell.training.scheduler.model import Instance, Session
from coordcell.training.scheduler.options import CohortOptions


@dataclass
class Component:
    """Cohorts solved together, with the site limits that can bind among their sessions."""

    cohort_ids: list[str] = field(default_factory=list)
    seat_groups: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    instructor_groups: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    instructor_sessions: set[str] = field(default_factory=set)
    weight: int = 0


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, a: str) -> str:
        self.parent.setdefault(a, a)
        while self.parent[a] != a:
            self.parent[a] = self.parent[self.parent[a]]
            a = self.parent[a]
        return a

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _maximal(groups: list[frozenset[str]]) -> list[frozenset[str]]:
    """Drop groups contained in another: their limit is implied by the larger group's."""
    kept: list[frozenset[str]] = []
    for g in sorted(set(groups), key=lambda g: (-len(g), sorted(g))):
        if not any(g <= k for k in kept):
            kept.append(g)
    return kept


def find_components(
    instance: Instance, options: Mapping[str, CohortOptions], split: bool = True
) -> list[Component]:
    """Independent components over the schedulable cohorts, smallest first (deterministic)."""
    potential: dict[str, int] = defaultdict(int)
    sessions: dict[str, Session] = {}
    for opt in options.values():
        if not opt.schedulable:
            continue
        for pos in opt.positions:
            for s in pos:
                potential[s.id] += opt.cohort.trainees
                sessions[s.id] = s

    active: dict[tuple[str, int], list[str]] = defaultdict(list)
    for sid in sorted(sessions):
        s = sessions[sid]
        for w in range(s.start_week, instance.end_week(s)):
            active[(s.site_id, w)].append(sid)
    seat_sets: dict[str, list[frozenset[str]]] = defaultdict(list)
    instr_sets: dict[str, list[frozenset[str]]] = defaultdict(list)
    for (site_id, _week), sids in active.items():
        site = instance.site_by_id[site_id]
        load = sum(min(potential[sid], instance.capacity(sessions[sid])) for sid in sids)
        if load > site.seats_per_week:
            seat_sets[site_id].append(frozenset(sids))
        instr = sum(
            instance.course_by_id[sessions[sid].course_id].instructors_per_session for sid in sids
        )
        if instr > site.instructors:
            instr_sets[site_id].append(frozenset(sids))

    uf = _UnionFind()
    for opt in options.values():
        if opt.schedulable:
            for pos in opt.positions:
                for s in pos:
                    uf.union("c:" + opt.cohort.id, "s:" + s.id)
    seat_groups = [(site, g) for site in sorted(seat_sets) for g in _maximal(seat_sets[site])]
    instr_groups = [(site, g) for site in sorted(instr_sets) for g in _maximal(instr_sets[site])]
    for _site, g in seat_groups + instr_groups:
        members = sorted(g)
        for sid in members[1:]:
            uf.union("s:" + members[0], "s:" + sid)

    comps: dict[str, Component] = {}

    def comp_of(key: str) -> Component:
        root = uf.find(key) if split else "all"
        return comps.setdefault(root, Component())

    for cohort in instance.cohorts:
        opt = options[cohort.id]
        if opt.schedulable:
            comp = comp_of("c:" + cohort.id)
            comp.cohort_ids.append(cohort.id)
            comp.weight += opt.variables
    for site_id, g in seat_groups:
        comp_of("s:" + min(g)).seat_groups.append((site_id, tuple(sorted(g))))
    for site_id, g in instr_groups:
        comp = comp_of("s:" + min(g))
        comp.instructor_groups.append((site_id, tuple(sorted(g))))
        comp.instructor_sessions |= g
    order = {c.id: i for i, c in enumerate(instance.cohorts)}
    return sorted(comps.values(), key=lambda c: (c.weight, order[c.cohort_ids[0]]))
