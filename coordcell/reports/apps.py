from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "coordcell.reports"
    verbose_name = "Reports"
