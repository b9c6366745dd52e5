"""Input and output dataclasses of the allocation solver.

Everything here is plain, frozen data: the Django side maps its models onto these, the solver never
sees Django.  Periods are integer weeks ``0 .. horizon-1``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

DEFAULT_PRIORITY_WEIGHTS: Mapping[int, float] = {1: 16.0, 2: 8.0, 3: 4.0, 4: 2.0, 5: 1.0}
PRIORITIES: tuple[int, ...] = (1, 2, 3, 4, 5)


@dataclass(frozen=True, slots=True)
class Category:
    """An item category (e.g. ``155mm-round-A``) and its capability domain (e.g. ``artillery``)."""

    code: str
    domain: str


@dataclass(frozen=True, slots=True)
class Supply:
    """A pledge: ``quantity`` units of ``category`` ready at ``origin`` from ``available_period``.

    ``allowed_hubs`` / ``allowed_capabilities``: ``None`` means any.  A pledge restricted to
    capabilities may serve only requirements whose capability is in the set.
    """

    id: str
    category: str
    quantity: int
    available_period: int
    origin: str
    allowed_hubs: frozenset[str] | None = None
    allowed_capabilities: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class Demand:
    """A requirement: ``quantity`` of ``category`` at ``delivery_point`` by ``need_by_period``.

    ``priority`` 1 is the most urgent, 5 the least.
    """

    id: str
    category: str
    quantity: int
    need_by_period: int
    delivery_point: str
    priority: int
    capability: str | None = None


@dataclass(frozen=True, slots=True)
class Hub:
    """A logistics hub.  Throughput (units leaving the hub) per week is limited either per domain
    (``capacity``: domain -> units/week, a missing domain has capacity 0) or, when
    ``shared_capacity`` is set, by one figure shared by all domains.  ``closed_periods`` have
    capacity 0 (what-if: hub closed in weeks 3-6).  ``period_capacity`` gives the capacity left in
    particular weeks, ``(domain, period) -> units`` (domain ``"*"`` when shared): a capacity
    record for those weeks, net of what committed shipments already pass through the hub."""

    id: str
    name: str
    capacity: Mapping[str, int] = field(default_factory=dict)
    shared_capacity: int | None = None
    closed_periods: frozenset[int] = frozenset()
    period_capacity: Mapping[tuple[str, int], int] = field(default_factory=dict)

    def capacity_for(self, domain: str, period: int) -> int:
        """Throughput capacity for ``domain`` in ``period`` (the shared figure if shared)."""
        if period in self.closed_periods:
            return 0
        key = ("*" if self.shared_capacity is not None else domain, period)
        if key in self.period_capacity:
            return self.period_capacity[key]
        if self.shared_capacity is not None:
            return self.shared_capacity
        return self.capacity.get(domain, 0)


@dataclass(frozen=True, slots=True)
class Parameters:
    """Objective and method settings.

    Value of one unit delivered ``L`` weeks late (``0 <= L <= max_lateness``) to a requirement of
    priority ``p``: ``priority_weights[p] * (1 - lateness_penalty * L)``, minus ``transport_cost``
    per unit and week in transit.  ``lexicographic=True`` maximises priority-1 on-time-equivalent
    delivery first, then priority 2 with priority 1 held at its optimum, and so on.
    ``hub_share_cap`` (0 < cap <= 1): the resilient plan, no hub carrying more than that share
    of its domain's units passing the hubs in any week (all units, of every priority: a share
    of all flow, not of priority-1 flow; docs/allocation.md says why).
    ``method``: ``"auto"``, ``"ipm"`` (HiGHS interior point, no crossover), ``"simplex"`` (HiGHS
    dual simplex) or ``"pdlp"`` (OR-Tools PDLP).  ``threads``: parts solved in parallel.
    """

    priority_weights: Mapping[int, float] = field(
        default_factory=lambda: dict(DEFAULT_PRIORITY_WEIGHTS)
    )
    lateness_penalty: float = 0.25
    max_lateness: int = 3
    transport_cost: float = 0.001
    lexicographic: bool = False
    method: str = "auto"
    threads: int = 2
    time_limit: float | None = None
    # resilient planning: no hub may pass more than this share of a part's (domain's) units in
    # any week (None: no cap).  See docs/allocation.md, "Plans that survive the loss of a hub".
    hub_share_cap: float | None = None

    def unit_value(self, priority: int, lateness: int) -> float:
        """Value of one unit delivered ``lateness`` weeks late (0 if beyond ``max_lateness``)."""
        if lateness > self.max_lateness:
            return 0.0
        return self.priority_weights[priority] * (1.0 - self.lateness_penalty * max(0, lateness))


@dataclass(frozen=True, slots=True)
class Instance:
    """A complete allocation problem.

    ``compatibility`` maps a demanded category to the supplied categories that can serve it; a
    category always serves itself whether listed or not.  ``origin_to_hub[(origin, hub)]`` and
    ``hub_to_point[(hub, delivery_point)]`` are transit times in weeks; a missing pair means the
    route does not exist.  All flows (dispatch, hub, arrival) happen within ``0 .. horizon-1``.
    """

    horizon: int
    categories: tuple[Category, ...]
    compatibility: Mapping[str, frozenset[str]]
    supplies: tuple[Supply, ...]
    demands: tuple[Demand, ...]
    hubs: tuple[Hub, ...]
    origin_to_hub: Mapping[tuple[str, str], int]
    hub_to_point: Mapping[tuple[str, str], int]
    parameters: Parameters = field(default_factory=Parameters)

    def domain_of(self) -> dict[str, str]:
        """Category code -> domain."""
        return {c.code: c.domain for c in self.categories}

    def serving_categories(self, demand_category: str) -> frozenset[str]:
        """Supplied categories that can serve ``demand_category`` (itself included)."""
        return self.compatibility.get(demand_category, frozenset()) | {demand_category}


class PlanStatus(StrEnum):
    """How a plan was obtained."""

    OPTIMAL = "optimal"  # integral plan within 1e-6 of the LP bound
    FEASIBLE = "feasible"  # integral plan, gap to the LP bound reported
    HEURISTIC = "heuristic"  # greedy hand method, no bound
    EMPTY = "empty"  # nothing can be delivered


@dataclass(frozen=True, slots=True)
class Flow:
    """``quantity`` units of pledge ``supply_id`` through ``hub_id`` to requirement ``demand_id``.

    Dispatched from the origin in ``dispatch_period``, leaving the hub in ``hub_period``
    (``= dispatch + transit origin->hub``; this is when it uses hub throughput), arriving at the
    delivery point in ``arrival_period`` (``= hub_period + transit hub->point``).
    """

    supply_id: str
    hub_id: str
    demand_id: str
    quantity: int
    dispatch_period: int
    hub_period: int
    arrival_period: int


@dataclass(frozen=True, slots=True)
class DemandResult:
    """Delivered quantity of one requirement: on time, late (within max lateness), missing."""

    demand_id: str
    on_time: int
    late: int
    missing: int


@dataclass(frozen=True, slots=True)
class SolveStats:
    """Solver statistics; times in seconds (not part of plan equality)."""

    build_seconds: float = 0.0
    solve_seconds: float = 0.0
    rounding_seconds: float = 0.0
    rows: int = 0
    columns: int = 0
    parts: int = 0
    method: str = ""
    supply_groups: int = 0
    demand_groups: int = 0
    wall_seconds: float = 0.0
    cpu_seconds: float = 0.0  # CPU time of the part solves (in whichever process they ran)
    peak_worker_mb: float = 0.0  # peak resident memory of the process(es) solving the parts
    parts_reused: int = 0  # parts taken unchanged from a SolveCache
    # which bound ``lp_bound`` is, per part (comma-separated kinds, see optimise.BOUND_KINDS)
    bound_kind: str = ""


@dataclass(frozen=True, slots=True)
class Plan:
    """An integral allocation plan.

    ``objective`` is the plan's value (see :class:`Parameters`), ``lp_bound`` an upper bound on
    any plan's value from the LP relaxation (``None`` for greedy), ``gap`` =
    ``(lp_bound - objective) / max(1, |lp_bound|)`` (``None`` for greedy).
    """

    status: PlanStatus
    flows: tuple[Flow, ...]
    objective: float
    lp_bound: float | None
    gap: float | None
    demand_results: tuple[DemandResult, ...]
    stats: SolveStats = field(default_factory=SolveStats, compare=False)
