from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "coordcell.api"
    label = "api"
    verbose_name = "REST API"

    def ready(self) -> None:
        # Registers the OpenAPI description of the token authentication.
        from . import schema  # noqa: F401
