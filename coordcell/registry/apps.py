from typing import Any

from django.apps import AppConfig
from django.core.exceptions import ImproperlyConfigured
from django.db.backends.signals import connection_created


def check_sqlite_durability(sender: Any, connection: Any, **kwargs: Any) -> None:
    """Refuse to run on SQLite without WAL and synchronous=FULL: a power cut must not lose a
    committed change, and readers must not block the writer."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        journal = cursor.fetchone()[0]
        cursor.execute("PRAGMA synchronous")
        synchronous = cursor.fetchone()[0]
    in_memory = journal == "memory"  # the test runner's in-memory database
    if (journal != "wal" and not in_memory) or synchronous != 2:
        raise ImproperlyConfigured(
            f"SQLite runs with journal_mode={journal}, synchronous={synchronous}; coordcell "
            "needs WAL and FULL (2): keep the OPTIONS of settings.DATABASES."
        )
    if connection.transaction_mode != "IMMEDIATE":
        raise ImproperlyConfigured("SQLite needs transaction_mode IMMEDIATE in settings.")


class RegistryConfig(AppConfig):
    name = "coordcell.registry"
    verbose_name = "Registers"

    def ready(self) -> None:
        connection_created.connect(
            check_sqlite_durability, dispatch_uid="coordcell-sqlite-durability"
        )
