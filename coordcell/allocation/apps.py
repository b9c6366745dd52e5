from django.apps import AppConfig


class AllocationConfig(AppConfig):
    name = "coordcell.allocation"
    verbose_name = "Allocation"
