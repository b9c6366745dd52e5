"""Pure allocation solver: pledges x requirements -> an integral plan (never imports Django).

Public API: the dataclasses of :mod:`.model`, :func:`solve`, :func:`greedy`, :func:`check_plan`,
:func:`explain`, the JSON functions and :func:`generate_instance`.
"""

from .check import InstanceError, check_plan, evaluate, validate_instance
from .explain import Reason, ReasonCode, explain
from .generator import generate_instance
from .greedy import greedy
from .instance_json import (
    SchemaError,
    instance_from_json,
    instance_to_json,
    plan_from_json,
    plan_to_json,
)
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
from .solve import SolveCache, solve

__all__ = [
    "Category",
    "Demand",
    "DemandResult",
    "Flow",
    "Hub",
    "InstanceError",
    "Instance",
    "Parameters",
    "Plan",
    "PlanStatus",
    "Reason",
    "ReasonCode",
    "SchemaError",
    "SolveCache",
    "SolveStats",
    "Supply",
    "check_plan",
    "evaluate",
    "explain",
    "generate_instance",
    "greedy",
    "instance_from_json",
    "instance_to_json",
    "plan_from_json",
    "plan_to_json",
    "solve",
    "validate_instance",
]
