"""Pure allocation solver: pledges x requirements -> an integral plan (never imports Django).

Public API: the dataclasses of :mod:`.model`, :func:`solve`, :func:`greedy`, :func:`check_plan`,
:func:`explain`, the JSON functions and :func:`generate_instance`.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from . import _blas  # noqa: F401  # first: one BLAS thread, set before numpy loads
from .check import InstanceError, check_plan, evaluate, validate_instance
from .explain import Reason, ReasonCode, explain
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

if TYPE_CHECKING:
    from .generator import generate_instance
    from .optimise import SolveCache, solve

# The optimiser's libraries (highspy, SciPy, NumPy) take ~0.8 s and tens of MB to import. A web
# process checks and shows plans but solves none (runs are background jobs): it imports them
# only if it ever asks for one of these.
_LAZY = {"solve": ".optimise", "SolveCache": ".optimise", "generate_instance": ".generator"}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = getattr(import_module(_LAZY[name], __name__), name)
    return globals()[name]


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
