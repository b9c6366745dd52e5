from django.apps import AppConfig


class LogisticsConfig(AppConfig):
    name = "coordcell.logistics"
    verbose_name = "Logistics"
