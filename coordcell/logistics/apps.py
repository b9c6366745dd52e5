from django.apps import AppConfig


class LogisticsConfig(AppConfig):
    name = "coordcell.logistics"
    verbose_name = "Logistics"
    # The modules that write shipments, their legs, lines, events, serial items and
    # discrepancies (tests/write_paths.py holds every other module to it).
    action_modules = (
        "services",
        "changes",
        "drafts",
        "ingest",
        "derive",
        "checks",
        "discrepancies",
    )
