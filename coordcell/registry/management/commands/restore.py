import subprocess
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from coordcell.audit.services import current_head, verify

from .backup import pg_env_and_args, pg_tool


class Command(BaseCommand):
    help = "Replace the whole database with a backup made by `coordcell backup` (stop the server)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--yes", action="store_true", help="do not ask: every current row is replaced"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        source: Path = options["file"]
        if not source.is_file():
            raise CommandError(f"{source} is not a file.")
        if not options["yes"]:
            answer = input("Every row of the current database will be replaced. Type 'yes': ")
            if answer.strip() != "yes":
                raise CommandError("Restore cancelled.")
        if connection.vendor == "sqlite":
            import sqlite3

            connection.ensure_connection()
            with sqlite3.connect(source) as backup:
                if backup.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                    raise CommandError(f"{source} fails SQLite's integrity check.")
                backup.backup(connection.connection)
        elif connection.vendor == "postgresql":
            env, conn_args = pg_env_and_args()
            connection.close()
            result = subprocess.run(  # noqa: S603
                [
                    pg_tool("pg_restore"),
                    "--clean",
                    "--if-exists",
                    "--no-owner",
                    "--single-transaction",
                    "--exit-on-error",
                    *conn_args,
                    str(source),
                ],
                env=env,
                capture_output=True,
                text=True,
            )
            if result.returncode:
                raise CommandError(f"pg_restore failed: {result.stderr.strip()}")
        else:
            raise CommandError(f"No restore method for {connection.vendor}.")
        result_chain = verify()
        seq, head = current_head()
        if not result_chain.ok:
            raise CommandError(f"Restored, but the audit chain is broken: {result_chain.problem}")
        self.stdout.write(
            self.style.SUCCESS(f"Restored {source}: audit chain intact, head {seq} {head}.")
        )
