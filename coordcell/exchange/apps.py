from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "coordcell.exchange"
    label = "exchange"
    verbose_name = "Spreadsheet import and export"
    # Uploads, their runs and saved mappings are written by runs.py (tests/write_paths.py).
    action_modules = ("runs",)

    def ready(self) -> None:
        from coordcell.jobs.kinds import register

        from . import runs, tasks

        register(tasks.execute_import_run, on_lost=runs.import_run_mark_failed)
