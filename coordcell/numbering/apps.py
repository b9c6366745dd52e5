from django.apps import AppConfig


class NumberingConfig(AppConfig):
    name = "coordcell.numbering"
    verbose_name = "Cell references"
