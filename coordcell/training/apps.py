from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "coordcell.training"
    verbose_name = "Training"
    # Sessions, cohorts and bookings by hand (services), results and cancellations (execution),
    # and by the scheduler (scheduling).
    action_modules = ("services", "execution", "scheduling")

    def ready(self) -> None:
        from coordcell.jobs.kinds import register

        from . import services, tasks

        register(tasks.execute_schedule_run, on_lost=services.schedule_run_mark_failed)
