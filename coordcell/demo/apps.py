from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo scenario: it fills every domain, so it sits above them all."""

    name = "coordcell.demo"
    verbose_name = "Demo scenario"
