"""Background jobs of the allocation: run by the worker process (``coordcell worker``)."""

from django.tasks import task


@task()
def execute_allocation_run(run_id: int) -> str:
    from .services import run_execute

    return run_execute(run_id).status
