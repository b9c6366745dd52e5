from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "coordcell.exchange"
    label = "exchange"
    verbose_name = "Spreadsheet import and export"
    # Uploads, their runs and saved mappings are written by runs.py (tests/write_paths.py).
    action_modules = ("runs",)
