from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "coordcell.jobs"
    verbose_name = "Background-job workers"

    def ready(self) -> None:
        from django.tasks.signals import task_finished

        from . import receivers

        task_finished.connect(receivers.on_task_finished, dispatch_uid="cc-jobs-task-finished")
