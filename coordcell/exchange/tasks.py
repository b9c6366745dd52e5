"""Background jobs of the import: run by the worker process (``coordcell worker``)."""

from django.tasks import task


@task()
def execute_import_run(run_id: int) -> str:
    from .runs import import_run_execute

    run = import_run_execute(run_id)
    return run.status if run is not None else "gone"
