from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "coordcell.registry"
    verbose_name = "Registers"
