"""Versioned JSON for instances and plans (schema: ``docs/allocation-instance.md``).

Output is deterministic (sorted lists, sorted keys) and round-trips exactly:
``instance_from_json(instance_to_json(i)) == i`` and likewise for plans (statistics included).
"""

from __future__ import annotations

import json
import math
from typing import Any

from .model import (
    Category,
    Demand,
    DemandResult,
    Flow,
    Hub,
    Instance,
    Parameters,
    Plan,
    PlanStatus,
    SolveStats,
    Supply,
)

INSTANCE_SCHEMA = "coordcell.allocation.instance"
PLAN_SCHEMA = "coordcell.allocation.plan"
VERSION = 1


class SchemaError(ValueError):
    """The JSON does not follow the schema; the message names the field."""


def _opt_set(v: frozenset[str] | None) -> list[str] | None:
    return None if v is None else sorted(v)


def instance_to_dict(inst: Instance) -> dict[str, Any]:
    """The instance as JSON-ready data."""
    p = inst.parameters
    return {
        "schema": INSTANCE_SCHEMA,
        "version": VERSION,
        "horizon": inst.horizon,
        "parameters": {
            "priority_weights": {str(k): v for k, v in sorted(p.priority_weights.items())},
            "lateness_penalty": p.lateness_penalty,
            "max_lateness": p.max_lateness,
            "transport_cost": p.transport_cost,
            "lexicographic": p.lexicographic,
            "method": p.method,
            "threads": p.threads,
            "time_limit": p.time_limit,
            **({} if p.hub_share_cap is None else {"hub_share_cap": p.hub_share_cap}),
        },
        "categories": [{"code": c.code, "domain": c.domain} for c in inst.categories],
        "compatibility": [
            {"category": k, "served_by": sorted(v)} for k, v in sorted(inst.compatibility.items())
        ],
        "supplies": [
            {
                "id": s.id,
                "category": s.category,
                "quantity": s.quantity,
                "available_period": s.available_period,
                "origin": s.origin,
                "allowed_hubs": _opt_set(s.allowed_hubs),
                "allowed_capabilities": _opt_set(s.allowed_capabilities),
            }
            for s in inst.supplies
        ],
        "demands": [
            {
                "id": d.id,
                "category": d.category,
                "quantity": d.quantity,
                "need_by_period": d.need_by_period,
                "delivery_point": d.delivery_point,
                "priority": d.priority,
                "capability": d.capability,
            }
            for d in inst.demands
        ],
        "hubs": [
            {
                "id": h.id,
                "name": h.name,
                "capacity": dict(sorted(h.capacity.items())),
                "shared_capacity": h.shared_capacity,
                "closed_periods": sorted(h.closed_periods),
                **(
                    {
                        "period_capacity": [
                            {"domain": d, "period": t, "units": u}
                            for (d, t), u in sorted(h.period_capacity.items())
                        ]
                    }
                    if h.period_capacity
                    else {}
                ),
            }
            for h in inst.hubs
        ],
        "origin_to_hub": [
            {"origin": o, "hub": h, "weeks": w} for (o, h), w in sorted(inst.origin_to_hub.items())
        ],
        "hub_to_point": [
            {"hub": h, "delivery_point": p, "weeks": w}
            for (h, p), w in sorted(inst.hub_to_point.items())
        ],
    }


def _check_header(data: Any, schema: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise SchemaError("top level: expected a JSON object")
    if data.get("schema") != schema:
        raise SchemaError(f"schema: expected {schema!r}, got {data.get('schema')!r}")
    if data.get("version") != VERSION:
        raise SchemaError(f"version: expected {VERSION}, got {data.get('version')!r}")
    return data


def _opt_frozen(v: list[str] | None) -> frozenset[str] | None:
    return None if v is None else frozenset(v)


def instance_from_dict(data: Any) -> Instance:
    """Inverse of :func:`instance_to_dict`; raises :class:`SchemaError` naming the bad field."""
    d = _check_header(data, INSTANCE_SCHEMA)
    try:
        p = d["parameters"]
        params = Parameters(
            priority_weights={int(k): float(v) for k, v in p["priority_weights"].items()},
            lateness_penalty=float(p["lateness_penalty"]),
            max_lateness=int(p["max_lateness"]),
            transport_cost=float(p["transport_cost"]),
            lexicographic=bool(p["lexicographic"]),
            method=str(p["method"]),
            threads=int(p["threads"]),
            time_limit=None if p["time_limit"] is None else float(p["time_limit"]),
            hub_share_cap=(None if p.get("hub_share_cap") is None else float(p["hub_share_cap"])),
        )
        return Instance(
            horizon=int(d["horizon"]),
            categories=tuple(Category(c["code"], c["domain"]) for c in d["categories"]),
            compatibility={c["category"]: frozenset(c["served_by"]) for c in d["compatibility"]},
            supplies=tuple(
                Supply(
                    s["id"],
                    s["category"],
                    int(s["quantity"]),
                    int(s["available_period"]),
                    s["origin"],
                    _opt_frozen(s["allowed_hubs"]),
                    _opt_frozen(s["allowed_capabilities"]),
                )
                for s in d["supplies"]
            ),
            demands=tuple(
                Demand(
                    x["id"],
                    x["category"],
                    int(x["quantity"]),
                    int(x["need_by_period"]),
                    x["delivery_point"],
                    int(x["priority"]),
                    x["capability"],
                )
                for x in d["demands"]
            ),
            hubs=tuple(
                Hub(
                    h["id"],
                    h["name"],
                    {k: int(v) for k, v in h["capacity"].items()},
                    None if h["shared_capacity"] is None else int(h["shared_capacity"]),
                    frozenset(int(t) for t in h["closed_periods"]),
                    {
                        (str(x["domain"]), int(x["period"])): int(x["units"])
                        for x in h.get("period_capacity", ())
                    },
                )
                for h in d["hubs"]
            ),
            origin_to_hub={(r["origin"], r["hub"]): int(r["weeks"]) for r in d["origin_to_hub"]},
            hub_to_point={
                (r["hub"], r["delivery_point"]): int(r["weeks"]) for r in d["hub_to_point"]
            },
            parameters=params,
        )
    except KeyError as e:
        raise SchemaError(f"missing field {e.args[0]!r}") from e
    except (TypeError, ValueError, AttributeError) as e:
        raise SchemaError(f"bad value: {e}") from e


def instance_to_json(instance: Instance) -> str:
    """The instance as JSON text (schema ``coordcell.allocation.instance``, version 1)."""
    return json.dumps(instance_to_dict(instance), indent=1, ensure_ascii=False, allow_nan=False)


def instance_from_json(text: str) -> Instance:
    """Parse JSON text written by :func:`instance_to_json` (or by hand, same schema)."""
    return instance_from_dict(json.loads(text))


def _num(v: float | None) -> float | str | None:
    if v is None or math.isfinite(v):
        return v
    return "inf" if v > 0 else "-inf" if v < 0 else "nan"


def _unnum(v: float | str | None) -> float | None:
    return None if v is None else float(v)


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    """The plan as JSON-ready data."""
    s = plan.stats
    return {
        "schema": PLAN_SCHEMA,
        "version": VERSION,
        "status": plan.status.value,
        "objective": plan.objective,
        "lp_bound": _num(plan.lp_bound),
        "gap": _num(plan.gap),
        "flows": [
            {
                "supply_id": f.supply_id,
                "hub_id": f.hub_id,
                "demand_id": f.demand_id,
                "quantity": f.quantity,
                "dispatch_period": f.dispatch_period,
                "hub_period": f.hub_period,
                "arrival_period": f.arrival_period,
            }
            for f in plan.flows
        ],
        "demand_results": [
            {"demand_id": r.demand_id, "on_time": r.on_time, "late": r.late, "missing": r.missing}
            for r in plan.demand_results
        ],
        "stats": {k: getattr(s, k) for k in SolveStats.__dataclass_fields__},
    }


def plan_from_dict(data: Any) -> Plan:
    """Inverse of :func:`plan_to_dict`."""
    d = _check_header(data, PLAN_SCHEMA)
    try:
        return Plan(
            status=PlanStatus(d["status"]),
            flows=tuple(
                Flow(
                    f["supply_id"],
                    f["hub_id"],
                    f["demand_id"],
                    int(f["quantity"]),
                    int(f["dispatch_period"]),
                    int(f["hub_period"]),
                    int(f["arrival_period"]),
                )
                for f in d["flows"]
            ),
            objective=float(d["objective"]),
            lp_bound=_unnum(d["lp_bound"]),
            gap=_unnum(d["gap"]),
            demand_results=tuple(
                DemandResult(r["demand_id"], int(r["on_time"]), int(r["late"]), int(r["missing"]))
                for r in d["demand_results"]
            ),
            stats=SolveStats(**d["stats"]),
        )
    except KeyError as e:
        raise SchemaError(f"missing field {e.args[0]!r}") from e
    except (TypeError, ValueError) as e:
        raise SchemaError(f"bad value: {e}") from e


def plan_to_json(plan: Plan) -> str:
    """The plan as JSON text (schema ``coordcell.allocation.plan``, version 1)."""
    return json.dumps(plan_to_dict(plan), indent=1, ensure_ascii=False, allow_nan=False)


def plan_from_json(text: str) -> Plan:
    """Parse JSON text written by :func:`plan_to_json`."""
    return plan_from_dict(json.loads(text))
