"""Consolidation: a post-pass that routes each pledge week through as few hubs as it can.

The plan's value pays transport per week in transit (integer weeks), so many hubs tie: any hub
with the same transit origin -> hub and hub -> delivery point gives every unit the same dispatch,
hub and arrival week, hence the same value.  The solvers split such ties arbitrarily, and one
depot's week then leaves for up to 8 hubs: a commit makes a load per depot week and hub, so
more hubs mean more loads (logistics/services.py, loads_of_lines).

:func:`consolidate` moves flows between such tied hubs only.  A moved flow keeps its pledge,
requirement, quantity and its three weeks (so its value, and the plan's objective, are unchanged)
and goes only where its route exists with the same transit times and its pledge may pass.  Hub
throughput (per hub, capacity slot -- its domain or ``"*"`` when shared -- and week, closed weeks
and capacity records included, see :meth:`Hub.capacity_for`) is never exceeded: a flow moves into
spare throughput, or swaps hubs with an equal quantity of another depot-week's flow passing the
target hub in the same week in the same slots at both hubs (that other flow's route ties too, and
its depot-week already ships from the hub it is swapped to).

A *load* is a depot's (``origin``) week's flows through one hub to one delivery point (they
share all three weeks, and make one shipment when committed).  Two steps:

1. each hub week is re-packed from scratch by a few greedy orders (depot weeks or loads, the
   biggest or the least flexible first, each on the hub that takes all of it, else most of it);
   the best packing replaces the week's flows only if it fits every capacity and has neither
   more loads nor more (depot week, hub) groups;
2. per depot week, its hubs are ranked (the one that could take most of its units first) and
   loads move only to a better-ranked hub the depot week already uses: a load joins the same
   depot week's load to the same point at a better hub (a load fewer), then the remaining loads
   of a hub move together to better hubs, or none of them does (one hub fewer).

So neither the number of loads nor of (origin, dispatch week, hub) groups ever grows, and the
result is deterministic.  The pass does not look at shares of hubs: the resilient plan
(``Parameters.hub_share_cap``) is not consolidated.  Pure Python, no Django.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from .model import Flow, Instance, Supply

# (supply id, hub, demand id, dispatch week, hub week, arrival week)
Key = tuple[str, str, str, int, int, int]
# a depot week: (origin, dispatch week)
Group = tuple[str, int]
# a load: (origin, dispatch week, hub, delivery point)
Load = tuple[str, int, str, str]
# how many passes over the depot weeks at most (a later pass uses capacity freed by earlier moves)
MAX_PASSES = 2


class _State:
    """The plan as quantities by key, with the indexes the moves need, kept in step."""

    def __init__(self, inst: Instance, flows: Iterable[Flow]) -> None:
        self.inst = inst
        self.sup: dict[str, Supply] = {s.id: s for s in inst.supplies}
        self.point: dict[str, str] = {d.id: d.delivery_point for d in inst.demands}
        self.hubs = {h.id: h for h in inst.hubs}
        self.domain = inst.domain_of()
        self.qty: dict[Key, int] = {}
        self.loads: dict[Load, set[Key]] = defaultdict(set)
        self.group_loads: dict[Group, set[Load]] = defaultdict(set)
        self.group_hubs: dict[Group, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        # (hub, hub week) -> keys, in a deterministic order (a dict, not a set of strings)
        self.at: dict[tuple[str, int], dict[Key, None]] = defaultdict(dict)
        self.used: dict[tuple[str, str, int], int] = defaultdict(int)  # (hub, slot, week)
        self._eligible: dict[tuple[str, str, int, int, frozenset[str] | None], frozenset[str]] = {}
        self._by_key: dict[tuple[str, str, int, int, int], frozenset[str]] = {}
        for f in flows:
            key = (f.supply_id, f.hub_id, f.demand_id, f.dispatch_period, f.hub_period,
                   f.arrival_period)  # fmt: skip
            self.add(key, f.quantity)

    # -- plain facts -----------------------------------------------------------------------
    def slot(self, hub: str, sid: str) -> str:
        """The capacity slot a unit of pledge ``sid`` uses at ``hub``."""
        h = self.hubs[hub]
        return "*" if h.shared_capacity is not None else self.domain[self.sup[sid].category]

    def spare(self, hub: str, slot: str, week: int) -> int:
        return self.hubs[hub].capacity_for(slot, week) - self.used[(hub, slot, week)]

    def load_of(self, key: Key) -> Load:
        return (self.sup[key[0]].origin, key[3], key[1], self.point[key[2]])

    def eligible(self, key: Key) -> frozenset[str]:
        """Hubs ``key``'s units could pass with the same three weeks (its own hub included)."""
        fast = (key[0], key[2], key[3], key[4], key[5])
        known = self._by_key.get(fast)
        if known is not None:
            return known
        s = self.sup[key[0]]
        point, t1, t2 = self.point[key[2]], key[4] - key[3], key[5] - key[4]
        memo = (s.origin, point, t1, t2, s.allowed_hubs)
        hit = self._eligible.get(memo)
        if hit is None:
            hit = frozenset(
                h
                for h in self.hubs
                if self.inst.origin_to_hub.get((s.origin, h)) == t1
                and self.inst.hub_to_point.get((h, point)) == t2
                and (s.allowed_hubs is None or h in s.allowed_hubs)
            )
            self._eligible[memo] = hit
        self._by_key[fast] = hit
        return hit

    # -- changes ---------------------------------------------------------------------------
    def add(self, key: Key, q: int) -> None:
        if q == 0:
            return
        before = self.qty.get(key, 0)
        after = before + q
        load = self.load_of(key)
        group = (load[0], load[1])
        self.used[(key[1], self.slot(key[1], key[0]), key[4])] += q
        if after == 0:
            del self.qty[key]
            keys = self.loads[load]
            keys.discard(key)
            if not keys:
                del self.loads[load]
                self.group_loads[group].discard(load)
                hubs = self.group_hubs[group]
                hubs[key[1]] -= 1
                if hubs[key[1]] == 0:
                    del hubs[key[1]]
            del self.at[(key[1], key[4])][key]
            return
        self.qty[key] = after
        if before == 0:
            keys = self.loads[load]
            if not keys:
                self.group_hubs[group][key[1]] += 1
                self.group_loads[group].add(load)
            keys.add(key)
            self.at[(key[1], key[4])][key] = None

    def move(self, key: Key, hub: str, q: int, journal: list[tuple[Key, Key, int]]) -> Key:
        """Move ``q`` units of ``key`` to ``hub`` (the same weeks); the new key."""
        to = (key[0], hub, key[2], key[3], key[4], key[5])
        self.add(key, -q)
        self.add(to, q)
        journal.append((key, to, q))
        return to

    def undo(self, journal: list[tuple[Key, Key, int]]) -> None:
        for frm, to, q in reversed(journal):
            self.add(to, -q)
            self.add(frm, q)
        journal.clear()

    # -- moving a load ---------------------------------------------------------------------
    def move_load(self, load: Load, target: str, journal: list[tuple[Key, Key, int]]) -> bool:
        """Move every flow of ``load`` to ``target`` (spare throughput first, then swaps);
        ``False`` (and the moves undone) when some unit cannot go."""
        mark = len(journal)
        group = (load[0], load[1])
        for key in sorted(self.loads.get(load, ())):
            if target not in self.eligible(key):
                self._undo_to(journal, mark)
                return False
            q = self.qty[key]
            src = key[1]
            slot_t, slot_s = self.slot(target, key[0]), self.slot(src, key[0])
            free = min(q, max(0, self.spare(target, slot_t, key[4])))
            if free:
                self.move(key, target, free, journal)
                q -= free
            if q:
                q = self._swap(key, q, target, slot_t, slot_s, group, journal)
            if q:
                self._undo_to(journal, mark)
                return False
        return True

    def _swap(
        self,
        key: Key,
        q: int,
        target: str,
        slot_t: str,
        slot_s: str,
        group: Group,
        journal: list[tuple[Key, Key, int]],
    ) -> int:
        """Swap up to ``q`` units of ``key`` (at its hub) with other depot weeks' flows at
        ``target`` in the same week and slots; the quantity left unswapped."""
        src, week = key[1], key[4]
        for other in list(self.at.get((target, week), ())):
            if not q:
                break
            if other not in self.qty or (self.sup[other[0]].origin, other[3]) == group:
                continue
            # the other flow ties at ``src`` and its depot week already has that load there
            if src not in self.eligible(other):
                continue
            if self.slot(target, other[0]) != slot_t or self.slot(src, other[0]) != slot_s:
                continue
            o_load = self.load_of(other)
            if (o_load[0], o_load[1], src, o_load[3]) not in self.loads:
                continue
            x = min(q, self.qty[other])
            self.move(other, src, x, journal)
            self.move(key, target, x, journal)
            q -= x
        return q

    def _undo_to(self, journal: list[tuple[Key, Key, int]], mark: int) -> None:
        tail = journal[mark:]
        del journal[mark:]
        self.undo(tail)

    # -- one depot week --------------------------------------------------------------------
    def consolidate_group(self, group: Group) -> bool:
        """Fewer loads and hubs for ``group``; ``True`` if anything moved."""
        hubs = self.group_hubs.get(group)
        if not hubs or len(hubs) < 2:
            return False
        origin, week = group
        keys = [k for ld in self.group_loads[group] for k in self.loads[ld]]
        own: dict[str, int] = defaultdict(int)
        could: dict[str, int] = defaultdict(int)
        for k in keys:
            own[k[1]] += self.qty[k]
            for h in self.eligible(k) & hubs.keys():
                could[h] += self.qty[k]
        rank = sorted(hubs, key=lambda h: (-could[h], -own[h], h))
        changed = False
        for pos in range(len(rank) - 1, 0, -1):
            src, better = rank[pos], rank[:pos]
            mine = sorted(ld for ld in self.group_loads[group] if ld[2] == src)
            # 1. join the same point's load at a better hub
            left = []
            for load in mine:
                journal: list[tuple[Key, Key, int]] = []
                for target in better:
                    if (origin, week, target, load[3]) in self.loads and self.move_load(
                        load, target, journal
                    ):
                        changed = True
                        break
                else:
                    left.append(load)
            # 2. empty the hub: every remaining load to a better hub, or none
            journal = []
            for load in left:
                if not any(self.move_load(load, t, journal) for t in better):
                    self.undo(journal)
                    break
            else:
                changed = changed or bool(journal)
        return changed

    def flows(self) -> tuple[Flow, ...]:
        out = [Flow(s, h, d, q, t0, th, ta) for (s, h, d, t0, th, ta), q in self.qty.items()]
        out.sort(key=lambda f: (f.supply_id, f.hub_id, f.demand_id, f.hub_period,
                                f.arrival_period))  # fmt: skip
        return tuple(out)


def _repack(state: _State) -> None:
    """Re-pack each hub week's flows onto their tied hubs, depot week by depot week (see the
    module docstring); a week keeps its flows unless a packing fits and has no more loads and
    no more (depot week, hub) groups."""
    by_week: dict[int, list[Key]] = defaultdict(list)
    for key in state.qty:
        by_week[key[4]].append(key)
    for week in sorted(by_week):
        keys = sorted(by_week[week])
        before = _counts(state, keys)
        least = {(state.sup[k[0]].origin, k[3], state.point[k[2]]) for k in keys}
        if before == (len({ld[:2] for ld in least}), len(least)):
            continue  # one hub per depot week and one load per point already
        best: tuple[tuple[int, int], dict[Key, list[tuple[str, int]]]] | None = None
        for order in ORDERS:
            placed = _pack(state, keys, week, order)
            if placed is None:
                continue
            after = _counts_parts(state, placed)
            better = after[0] <= before[0] and after[1] <= before[1]
            if better and (best is None or after[::-1] < best[0][::-1]):
                best = (after, placed)
        if best is None or best[0] == before:
            continue
        old = {k: state.qty[k] for k in keys}
        for k, q in old.items():
            state.add(k, -q)
        for item, parts in best[1].items():
            for hub, q in parts:
                state.add((item[0], hub, *item[2:]), q)


def _counts(state: _State, keys: list[Key]) -> tuple[int, int]:
    loads = {state.load_of(k) for k in keys}
    return len({(o, w, h) for o, w, h, _ in loads}), len(loads)


def _counts_parts(state: _State, placed: dict[Key, list[tuple[str, int]]]) -> tuple[int, int]:
    loads = {state.load_of((k[0], h, *k[2:])) for k, parts in placed.items() for h, _ in parts}
    return len({(o, w, h) for o, w, h, _ in loads}), len(loads)


ORDERS = ("group-big", "group-tight", "load-big", "load-tight")


def _pack(
    state: _State, keys: list[Key], week: int, order: str
) -> dict[Key, list[tuple[str, int]]] | None:
    """One greedy packing of a hub week's flows (``None`` if some unit finds no room).

    Units are depot weeks (``group-*``) or loads without their hub (``load-*``), taken the
    biggest first (``*-big``) or those with the fewest hub choices first (``*-tight``).  Each
    unit takes a hub that can carry all of it (one its depot week already uses if any, then the
    tightest fit), else the hub that carries most of it, and so on.  Items are keyed by their
    flow with the hub left as ``""``."""
    items: dict[Key, int] = defaultdict(int)
    for k in keys:
        items[(k[0], "", *k[2:])] += state.qty[k]
    by_load = order.startswith("load")
    units: dict[tuple[str, ...], list[Key]] = defaultdict(list)
    for it in items:
        origin = state.sup[it[0]].origin
        point = state.point[it[2]] if by_load else ""
        units[(origin, str(it[3]), point)].append(it)
    room: dict[tuple[str, str], int] = {}
    chosen: dict[Group, set[str]] = defaultdict(set)

    def left(hub: str, slot: str) -> int:
        if (hub, slot) not in room:
            room[(hub, slot)] = max(0, state.hubs[hub].capacity_for(slot, week))
        return room[(hub, slot)]

    def total(u: tuple[str, ...]) -> int:
        return sum(items[it] for it in units[u])

    def choices(u: tuple[str, ...]) -> int:
        return min(len(state.eligible(it)) for it in units[u])

    if order.endswith("big"):
        ordered = sorted(units, key=lambda u: (-total(u), u))
    else:
        ordered = sorted(units, key=lambda u: (choices(u), -total(u), u))
    placed: dict[Key, list[tuple[str, int]]] = defaultdict(list)
    for u in ordered:
        group = (u[0], int(u[1]))
        need = {it: items[it] for it in sorted(units[u])}
        while need:
            best: tuple[int, int, int, str] | None = None
            want = sum(need.values())
            for hub in sorted(set().union(*(state.eligible(it) for it in need))):
                per_slot: dict[str, int] = defaultdict(int)
                for it, q in need.items():
                    if hub in state.eligible(it):
                        per_slot[state.slot(hub, it[0])] += q
                fits = sum(min(q, left(hub, sl)) for sl, q in per_slot.items())
                if not fits:
                    continue
                spare = sum(left(hub, sl) for sl in per_slot) - fits
                rank = (
                    (-1 if hub in chosen[group] else 0, spare, 0, hub)
                    if fits == want
                    else (1, 0, -fits, hub)
                )
                if best is None or rank < best:
                    best = rank
            if best is None:
                return None
            hub = best[3]
            chosen[group].add(hub)
            for it in list(need):
                if hub not in state.eligible(it):
                    continue
                sl = state.slot(hub, it[0])
                x = min(need[it], left(hub, sl))
                if x:
                    room[(hub, sl)] -= x
                    placed[it].append((hub, x))
                    need[it] -= x
                    if not need[it]:
                        del need[it]
    return placed


def consolidate(inst: Instance, flows: Iterable[Flow]) -> tuple[Flow, ...]:
    """``flows`` with each (origin, dispatch week) through as few hubs as ties allow (see the
    module docstring): the same value flow by flow, every rule kept, sorted like a plan's."""
    state = _State(inst, flows)
    _repack(state)
    for _ in range(MAX_PASSES):
        groups = sorted(state.group_hubs, key=lambda g: (-len(state.group_hubs[g]), g))
        if not any([state.consolidate_group(g) for g in groups]):
            break
    return state.flows()


def hub_groups(inst: Instance, flows: Iterable[Flow]) -> int:
    """Number of (origin, dispatch week, hub) groups of ``flows``."""
    origin = {s.id: s.origin for s in inst.supplies}
    return len({(origin[f.supply_id], f.dispatch_period, f.hub_id) for f in flows})


def load_groups(inst: Instance, flows: Iterable[Flow]) -> int:
    """Number of loads (origin, dispatch week, hub, delivery point) of ``flows``."""
    origin = {s.id: s.origin for s in inst.supplies}
    point = {d.id: d.delivery_point for d in inst.demands}
    return len(
        {(origin[f.supply_id], f.dispatch_period, f.hub_id, point[f.demand_id]) for f in flows}
    )
