"""Training scheduler: book recipient crews (cohorts) onto host nations' course sessions.

Pure Python (never imports Django): frozen dataclasses in, a :class:`Schedule` out.

    schedule_training(instance, params) -> Schedule   # CP-SAT optimiser
    fcfs_baseline(instance, params)     -> Schedule   # first-come-first-served comparison
    check_schedule(instance, schedule)  -> list[str]  # independent validator
    generate_instance(trainees, seed)   -> Instance   # synthetic data
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from coordcell.training.scheduler.baseline import fcfs_baseline
from coordcell.training.scheduler.check import check_schedule, validate_instance
from coordcell.training.scheduler.explain import explain_schedule
from coordcell.training.scheduler.generate import generate_instance
from coordcell.training.scheduler.model import (
    Assignment,
    Cohort,
    CohortResult,
    Course,
    Instance,
    Parameters,
    Reason,
    ReasonKind,
    Schedule,
    Session,
    Site,
    Status,
)

if TYPE_CHECKING:
    from coordcell.training.scheduler.solve import schedule_training

# OR-Tools takes ~0.5 s and tens of MB to import; web processes never schedule (schedules are
# background jobs), so it is imported on the first call to the optimiser.
_LAZY = {"schedule_training": "coordcell.training.scheduler.solve"}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = getattr(import_module(_LAZY[name]), name)
    return globals()[name]


__all__ = [
    "Assignment",
    "Cohort",
    "CohortResult",
    "Course",
    "Instance",
    "Parameters",
    "Reason",
    "ReasonKind",
    "Schedule",
    "Session",
    "Site",
    "Status",
    "check_schedule",
    "explain_schedule",
    "fcfs_baseline",
    "generate_instance",
    "schedule_training",
    "validate_instance",
]
