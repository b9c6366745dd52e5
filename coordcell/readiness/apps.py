from django.apps import AppConfig


class ReadinessConfig(AppConfig):
    name = "coordcell.readiness"
    verbose_name = "Readiness"
