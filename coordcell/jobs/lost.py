"""What marks the object of a background job failed when the job's worker died in the middle.

Each entry names, by the task's dotted path, the service of the task's own app that fails its
object (an allocation run, a training schedule run, an import run). The service takes the task's
arguments by name plus ``message``, changes the object only while it is still queued or running,
and records the audit event (an import run's failure needs none: it wrote nothing). The queue
code imports none of them: a task's app owns its statuses. ``test_every_task_has_a_recovery``
fails when a new task is missing here.
"""

from __future__ import annotations

import inspect
from typing import Any

from django.utils.module_loading import import_string

ON_LOST: dict[str, str] = {
    "coordcell.allocation.tasks.execute_allocation_run": (
        "coordcell.allocation.services.run_mark_failed"
    ),
    "coordcell.training.tasks.execute_schedule_run": (
        "coordcell.training.services.schedule_run_mark_failed"
    ),
    "coordcell.exchange.tasks.execute_import_run": "coordcell.exchange.runs.import_run_mark_failed",
}


def mark_object_failed(*, task_path: str, args_kwargs: dict[str, Any], message: str) -> bool:
    """Fail the object of a lost job through its app's service; False if nothing changed."""
    service_path = ON_LOST.get(task_path)
    if service_path is None:
        return False
    task = import_string(task_path)
    bound = inspect.signature(task.func).bind(*args_kwargs["args"], **args_kwargs["kwargs"])
    return bool(import_string(service_path)(**bound.arguments, message=message))
