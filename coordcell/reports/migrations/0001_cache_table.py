"""The table of the figures cache (settings.CACHES): Django makes it with ``createcachetable``,
which ``migrate`` does not run, so this migration runs it (it leaves an existing table alone)."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies: list[tuple[str, str]] = []

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
