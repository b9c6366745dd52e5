from django.apps import AppConfig


class RequirementsConfig(AppConfig):
    name = "coordcell.requirements"
    verbose_name = "Requirements"
