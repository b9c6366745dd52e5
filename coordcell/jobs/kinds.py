"""The kinds of background job, each registered by its own app with what fails its object when
the job's worker dies in the middle.

An app registers each task in its ``AppConfig.ready``: ``register(task, on_lost=service)``. The
service (of the task's own app: an allocation run's, a schedule run's, an import run's) takes the
task's arguments by name plus ``message``, changes the object only while it is still queued or
running, and records the audit event. The queue code imports no app: a task's app owns its
statuses. ``test_every_task_has_a_recovery_that_takes_its_arguments`` fails when a task is not
registered.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class JobKind:
    task: Any  # a django.tasks Task
    on_lost: Callable[..., bool]


logger = logging.getLogger(__name__)

KINDS: dict[str, JobKind] = {}
# Periodic work: each worker's heartbeat thread calls these at every sweep (about every 30 s).
# They only look and enqueue jobs (mail due, the daily digest); they must be cheap and safe to
# run from several workers at once.
PERIODIC: list[Callable[[], object]] = []


def register(task: Any, *, on_lost: Callable[..., bool]) -> None:
    KINDS[task.module_path] = JobKind(task, on_lost)


def register_periodic(func: Callable[[], object]) -> None:
    if func not in PERIODIC:
        PERIODIC.append(func)


def run_periodic() -> None:
    """Call every periodic function; one that fails is logged and the others still run."""
    for func in PERIODIC:
        try:
            func()
        except Exception:
            logger.exception("periodic %s failed; it runs again at the next sweep", func)


def mark_object_failed(*, task_path: str, args_kwargs: dict[str, Any], message: str) -> bool:
    """Fail the object of a lost job through its app's service; False if nothing changed."""
    kind = KINDS.get(task_path)
    if kind is None:
        return False
    bound = inspect.signature(kind.task.func).bind(*args_kwargs["args"], **args_kwargs["kwargs"])
    return bool(kind.on_lost(**bound.arguments, message=message))
