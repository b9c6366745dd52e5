from django.apps import AppConfig


class AllocationConfig(AppConfig):
    name = "coordcell.allocation"
    verbose_name = "Allocation"

    def ready(self) -> None:
        from coordcell.jobs.kinds import register

        from . import services, tasks

        register(tasks.execute_allocation_run, on_lost=services.run_mark_failed)
