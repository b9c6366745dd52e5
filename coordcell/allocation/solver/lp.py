"""The LP relaxation of a part: HiGHS (interior point without crossover, or dual simplex) or
OR-Tools PDLP, on the array-built matrix.  Returns primal values and row duals in one sign
convention (maximisation: a binding ``<=`` row has a dual >= 0)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import highspy
import numpy as np
import scipy.sparse as sp

_EMPTY_I = np.zeros(0, dtype=np.int32)
_EMPTY_F = np.zeros(0, dtype=np.float64)
METHODS = ("ipm", "simplex", "pdlp")


@dataclass(slots=True)
class LpResult:
    """Primal values ``x``, row duals ``y`` (max convention), primal objective, seconds, and
    PDLP's iterations (its work, machine-independent: one iteration is two passes over the
    matrix)."""

    x: np.ndarray
    y: np.ndarray
    objective: float
    seconds: float
    method: str
    iterations: int = 0


def solve_lp(
    matrix: sp.csc_matrix,
    row_lower: np.ndarray,
    row_upper: np.ndarray,
    cost: np.ndarray,
    method: str = "ipm",
    time_limit: float | None = None,
    pdlp_tolerance: float = 3e-4,
    threads: int = 1,
    warm: LpResult | None = None,
) -> LpResult:
    """Maximise ``cost @ x`` s.t. ``row_lower <= matrix @ x <= row_upper``, ``x >= 0``.

    ``warm``: PDLP starts from that earlier result's primal and dual values (a re-solve of the
    same LP to a tighter tolerance continues where it stopped)."""
    if method == "pdlp":
        return _solve_pdlp(
            matrix, row_lower, row_upper, cost, time_limit, pdlp_tolerance, threads, warm
        )
    t0 = time.perf_counter()
    h = _highs()
    if method == "ipm":
        h.setOptionValue("solver", "ipm")
        h.setOptionValue("run_crossover", "off")
        h.setOptionValue("presolve", "off")
    else:
        h.setOptionValue("solver", "simplex")
    if time_limit is not None:
        h.setOptionValue("time_limit", float(time_limit))
    _load(h, matrix, row_lower, row_upper, cost)
    h.run()
    sol = h.getSolution()
    x = np.maximum(np.asarray(sol.col_value, dtype=np.float64), 0.0)
    y = np.asarray(sol.row_dual, dtype=np.float64)
    return LpResult(x, y, float(cost @ x), time.perf_counter() - t0, method)


def _solve_pdlp(
    matrix: sp.csc_matrix,
    row_lower: np.ndarray,
    row_upper: np.ndarray,
    cost: np.ndarray,
    time_limit: float | None,
    tolerance: float,
    threads: int,
    warm: LpResult | None = None,
) -> LpResult:
    from ortools.pdlp import solvers_pb2
    from ortools.pdlp.python import pdlp

    t0 = time.perf_counter()
    qp = pdlp.QuadraticProgram()
    qp.objective_vector = -cost
    qp.constraint_lower_bounds = row_lower
    qp.constraint_upper_bounds = row_upper
    qp.variable_lower_bounds = np.zeros(matrix.shape[1])
    qp.variable_upper_bounds = np.full(matrix.shape[1], np.inf)
    qp.constraint_matrix = matrix
    params = solvers_pb2.PrimalDualHybridGradientParams()
    crit = params.termination_criteria.simple_optimality_criteria
    crit.eps_optimal_relative = tolerance
    crit.eps_optimal_absolute = tolerance
    params.num_threads = threads
    if time_limit is not None:
        params.termination_criteria.time_sec_limit = float(time_limit)
    start = None
    if warm is not None:
        start = pdlp.PrimalAndDualSolution()
        start.primal_solution = warm.x
        start.dual_solution = -warm.y
    res = pdlp.primal_dual_hybrid_gradient(qp, params, start)
    x = np.maximum(np.asarray(res.primal_solution, dtype=np.float64), 0.0)
    y = -np.asarray(res.dual_solution, dtype=np.float64)
    return LpResult(
        x, y, float(cost @ x), time.perf_counter() - t0, "pdlp", int(res.solve_log.iteration_count)
    )


def _highs() -> Any:
    """A quiet, single-threaded HiGHS with a fixed seed: the same answer on every machine."""
    h = highspy.Highs()  # type: ignore[no-untyped-call]  # highspy leaves __init__ unannotated
    h.setOptionValue("output_flag", False)
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("threads", 1)
    return h


def _load(
    h: Any, matrix: sp.csc_matrix, row_lower: np.ndarray, row_upper: np.ndarray, cost: np.ndarray
) -> None:
    """The LP into HiGHS, to be maximised: rows, then the columns (x >= 0) by their entries."""
    n_rows, n_cols = matrix.shape
    h.addRows(n_rows, row_lower, row_upper, 0, _EMPTY_I, _EMPTY_I, _EMPTY_F)
    h.addCols(
        n_cols,
        cost,
        np.zeros(n_cols),
        np.full(n_cols, np.inf),
        matrix.nnz,
        matrix.indptr[:-1].astype(np.int32),
        matrix.indices.astype(np.int32),
        matrix.data.astype(np.float64),
    )
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)


class HotSimplex:
    """HiGHS simplex on one LP re-solved with sets of columns fixed to 0 (N-1 closures: a hub's
    through arcs each).  The first closure is solved from scratch (presolved), each later one
    from the last one's optimal basis, its closed columns open again: on the medium demo with
    even hubs (every hub full: a closure there displaces flow at every other hub) the
    closures' plans differ from the open plan far more than from each other, so from the third
    on 3-6 times fewer iterations than from the open plan's basis, and the open LP itself need
    not be solved (air defence's eight closures 7.0 CPU s with the open solve first, 6.0
    without).  Exact (a vertex: its duals prove the optimum), and deterministic (one thread, a
    fixed seed, iteration limits rather than time limits): the same sequence of closures gives
    the same plans; another order the same values, but maybe another of several equally good
    plans.  ``iteration_limit``: the first closure's; each later one may take as many as the
    first took (at least 1,000).  Past a limit that closure is given up (``None``); once the
    first is, every one is."""

    def __init__(
        self,
        matrix: sp.csc_matrix,
        row_lower: np.ndarray,
        row_upper: np.ndarray,
        cost: np.ndarray,
        iteration_limit: int,
    ) -> None:
        h = _highs()
        h.setOptionValue("solver", "simplex")
        _load(h, matrix, row_lower, row_upper, cost)
        self._h = h
        self._cost = cost
        self._first_limit = int(iteration_limit)
        self.iterations = 0  # the first closure's, once solved
        self._last: Any = None  # the last closure's optimal basis
        self._given_up = False

    def closed(self, cols: np.ndarray) -> LpResult | None:
        """The LP with ``cols`` held at 0; ``None`` unless solved to optimality within the
        iteration limit.  ``x`` covers every column (0 on ``cols``), ``y`` every row."""
        if self._given_up:
            return None
        t0 = time.perf_counter()
        h = self._h
        idx = np.asarray(cols, dtype=np.int32)
        n = len(idx)
        first = self._last is None
        # cleared, so that a closure depends only on the basis it starts from, not on the
        # simplex's state after the last one (edge weights, its random numbers)
        h.clearSolver()
        if not first:
            h.setBasis(self._last)
        limit = self._first_limit if first else max(self.iterations, 1000)
        h.setOptionValue("simplex_iteration_limit", int(limit))
        h.changeColsBounds(n, idx, np.zeros(n), np.zeros(n))
        try:
            h.run()
            if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                self._given_up = self._given_up or first
                return None
            if first:
                self.iterations = int(h.getInfo().simplex_iteration_count)
            self._last = h.getBasis()
            sol = h.getSolution()
            x = np.maximum(np.asarray(sol.col_value, dtype=np.float64), 0.0)
            x[idx] = 0.0
            y = np.asarray(sol.row_dual, dtype=np.float64)
        finally:
            h.changeColsBounds(n, idx, np.zeros(n), np.full(n, np.inf))
        return LpResult(x, y, float(self._cost @ x), time.perf_counter() - t0, "simplex")
