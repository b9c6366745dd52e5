import shutil
import subprocess
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from coordcell.audit.services import current_head


def pg_tool(name: str) -> str:
    """pg_dump/pg_restore of the newest installed PostgreSQL, else the one on PATH."""
    candidates = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
    )
    if candidates:
        return str(candidates[-1])
    found = shutil.which(name)
    if not found:
        raise CommandError(f"{name} not found: install PostgreSQL's client tools.")
    return found


def pg_env_and_args() -> tuple[dict[str, str], list[str]]:
    import os

    db = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": str(db.get("PASSWORD") or "")}
    args = [
        "--host",
        str(db.get("HOST") or "localhost"),
        "--port",
        str(db.get("PORT") or 5432),
        "--username",
        str(db.get("USER") or ""),
        "--dbname",
        str(db["NAME"]),
    ]
    return env, args


class Command(BaseCommand):
    help = "Write a consistent backup of the whole database to FILE (SQLite or PostgreSQL)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        target: Path = options["file"]
        if target.exists():
            raise CommandError(f"{target} exists: choose a new file name.")
        seq, head = current_head()
        if connection.vendor == "sqlite":
            import sqlite3

            connection.ensure_connection()
            with sqlite3.connect(target) as copy:
                connection.connection.backup(copy)  # an online, consistent copy
        elif connection.vendor == "postgresql":
            env, conn_args = pg_env_and_args()
            result = subprocess.run(  # noqa: S603
                [
                    pg_tool("pg_dump"),
                    "--format=custom",
                    "--no-owner",
                    "--file",
                    str(target),
                    *conn_args,
                ],
                env=env,
                capture_output=True,
                text=True,
            )
            if result.returncode:
                raise CommandError(f"pg_dump failed: {result.stderr.strip()}")
        else:
            raise CommandError(f"No backup method for {connection.vendor}.")
        self.stdout.write(
            self.style.SUCCESS(f"Backup written to {target}: audit head {seq} {head}.")
        )
