"""Background jobs of training: run by the worker process (``coordcell worker``)."""

from django.tasks import task


@task()
def execute_schedule_run(run_id: int) -> str:
    from .scheduling import run_execute

    return run_execute(run_id).status
