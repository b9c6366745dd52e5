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
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class JobKind:
    task: Any  # a django.tasks Task
    on_lost: Callable[..., bool]


KINDS: dict[str, JobKind] = {}


def register(task: Any, *, on_lost: Callable[..., bool]) -> None:
    KINDS[task.module_path] = JobKind(task, on_lost)


def mark_object_failed(*, task_path: str, args_kwargs: dict[str, Any], message: str) -> bool:
    """Fail the object of a lost job through its app's service; False if nothing changed."""
    kind = KINDS.get(task_path)
    if kind is None:
        return False
    bound = inspect.signature(kind.task.func).bind(*args_kwargs["args"], **args_kwargs["kwargs"])
    return bool(kind.on_lost(**bound.arguments, message=message))
