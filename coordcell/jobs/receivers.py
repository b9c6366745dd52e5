"""A job that ended without its run's own error handling still leaves its run failed.

``run_execute`` marks its run failed on any ``Exception``; a job stopped by ``SystemExit`` or
``KeyboardInterrupt`` (a worker told twice to stop mid-job) skips that, and the queue records the
job failed while its run would say "running" for ever. This receiver of Django's
``task_finished`` hands such a run to the same service as the recovery sweep; for a run that
already failed (or finished) that service changes nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.tasks import TaskResult, TaskResultStatus

from . import kinds

logger = logging.getLogger(__name__)


def on_task_finished(sender: Any, task_result: TaskResult, **kwargs: Any) -> None:
    if task_result.status != TaskResultStatus.FAILED or not task_result.errors:
        return
    name = task_result.errors[-1].exception_class_path.rsplit(".", 1)[-1]
    message = f"The job ended with {name} before it recorded an outcome; re-run it."
    try:
        with transaction.atomic():
            kinds.mark_object_failed(
                task_path=task_result.task.module_path,
                args_kwargs={"args": list(task_result.args), "kwargs": dict(task_result.kwargs)},
                message=message,
            )
    except Exception:  # never take the worker down with it
        logger.exception("job %s: could not mark its object failed", task_result.id)
