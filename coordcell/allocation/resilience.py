"""A run's exposure to the loss of a hub, its N-1 table and the plain plan beside a resilient
one, as the JSON kept on the run (``AllocationRun.resilience``) and as the run page shows it.

Reads and conversions only: ``services.run_execute`` saves what :func:`analyse` returns.  Route
and timing information: shown only where the run is (the cell's staff and auditors).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from django.utils.translation import gettext as _

from . import solver
from .solver.resilience import Exposure, NMinusOne, Resilient, exposure, n_minus_one

# the N-1 table re-optimises once per hub: asked for on the run form (``n_minus_one``)
N_MINUS_ONE_KEY = "n_minus_one"


def solve_for_run(instance: solver.Instance, cache: Any) -> tuple[solver.Plan, Resilient | None]:
    """The run's plan: the plain one, or with ``hub_share_cap`` the resilient one (and the
    plain one beside it)."""
    from .solver.resilience import plan_resilient

    cap = instance.parameters.hub_share_cap
    if cap is None:
        return solver.solve(instance, cache), None
    plain_inst = dataclasses.replace(
        instance, parameters=dataclasses.replace(instance.parameters, hub_share_cap=None)
    )
    res = plan_resilient(instance, cap, plain=solver.solve(plain_inst, cache))
    return res.plan, res


def analyse(
    instance: solver.Instance,
    plan: solver.Plan,
    resilient: Resilient | None,
    with_n_minus_one: bool,
    cache: Any = None,
    weeks: tuple[int, int] | None = None,
) -> dict[str, Any]:
    """The JSON kept on the run: exposure, the N-1 table (when asked for; each hub closed over
    ``weeks``, inclusive, or the whole horizon), the plain plan's figures beside a resilient
    one."""
    out: dict[str, Any] = {"exposure": exposure_json(exposure(instance, plan))}
    if with_n_minus_one:
        if weeks is not None:
            weeks = (max(0, weeks[0]), min(instance.horizon - 1, weeks[1]))
        table = n_minus_one(instance, plan, weeks=weeks, cache=cache)
        out["n_minus_one"] = n_minus_one_json(table)
    if resilient is not None:
        out["resilient"] = {
            "cap": resilient.cap,
            "plain_objective": resilient.plain.objective,
            "objective": resilient.plan.objective,
            "worst_plain": resilient.worst_plain,
            "worst": resilient.worst,
            "kept_plain": resilient.kept_plain,
            "plain_p1_on_time": exposure(instance, resilient.plain).p1_on_time,
        }
    return out


def exposure_json(ex: Exposure) -> dict[str, Any]:
    return {
        "p1_demand": ex.p1_demand,
        "p1_on_time": ex.p1_on_time,
        "hubs": [dataclasses.asdict(h) for h in ex.hubs],
        "weeks": [dataclasses.asdict(w) for w in ex.weeks],
    }


def n_minus_one_json(table: NMinusOne) -> dict[str, Any]:
    return {
        "seconds": round(table.seconds, 2),
        "parts_resolved": table.parts_resolved,
        "losses": [
            {
                "hub_id": x.hub_id,
                "closed": list(x.closed),
                "p1_on_time": x.p1_on_time,
                "p1_lost": x.p1_lost,
                "objective": x.objective,
                "objective_lost": x.objective_nominal - x.objective,
                "delivered": x.delivered,
                "delivered_lost": x.delivered_nominal - x.delivered,
                "gap": x.gap,
                "moves": [
                    {"capability": m.capability, "before": m.before, "after": m.after}
                    for m in x.moves
                ],
            }
            for x in table.losses
        ],
    }


def hub_names() -> dict[str, str]:
    from coordcell.registry.models import Location

    return dict(Location.objects.filter(kind=Location.Kind.HUB).values_list("code", "name"))


def exposure_chart(data: dict[str, Any]) -> Any:
    """Bar chart of the share of priority-1 units on time each hub carries, and its worst
    week's share (the reports' SVG chart, with its data table)."""
    from coordcell.reports.charts import bar_chart

    names = hub_names()
    hubs = data.get("exposure", {}).get("hubs", [])
    labels = [names.get(h["hub_id"], h["hub_id"]) for h in hubs]
    return bar_chart(
        slug="hub-exposure",
        title=_("Priority-1 units on time passing each hub (percent)"),
        categories=labels,
        series=[
            (_("over the plan"), [100 * h["p1_on_time_share"] for h in hubs]),
            (_("in its busiest week"), [100 * h["peak_p1_share"] for h in hubs]),
        ],
        first_header=_("Hub"),
        note=_("What the loss of the hub would cut before re-planning."),
    )


def n_minus_one_chart(data: dict[str, Any]) -> Any:
    """Bar chart of what the plan loses without each hub, after re-planning: value and
    priority-1 units on time (with its data table)."""
    from coordcell.reports.charts import bar_chart

    names = hub_names()
    losses = (data.get("n_minus_one") or {}).get("losses", [])
    return bar_chart(
        slug="n-minus-one-chart",
        title=_("Value lost without each hub, after re-planning"),
        categories=[names.get(x["hub_id"], x["hub_id"]) for x in losses],
        series=[(_("value lost"), [max(0.0, x["objective_lost"]) for x in losses])],
        first_header=_("Hub lost"),
        note=_("The plan re-optimised without the hub in the weeks shown in the table."),
    )


def readiness_moves(losses: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each loss with its readiness moves in days (7 a week) for the page."""
    out = []
    for loss in losses:
        moves = []
        for m in loss["moves"]:
            before, after = m["before"], m["after"]
            days = None if before is None or after is None else 7 * (after - before)
            moves.append({**m, "days": days})
        out.append({**loss, "moves": moves})
    return out
