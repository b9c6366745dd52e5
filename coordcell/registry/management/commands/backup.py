import shutil
import subprocess
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from coordcell.audit.models import GENESIS_HASH
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
        # The head printed is the head of the copy itself, never one read before or after it:
        # users go on writing during a backup, and `audit verify --expect-head` after a restore
        # must find exactly this head.
        if connection.vendor == "sqlite":
            seq, head = _backup_sqlite(target)
        elif connection.vendor == "postgresql":
            seq, head = _backup_postgresql(target)
        else:
            raise CommandError(f"No backup method for {connection.vendor}.")
        self.stdout.write(
            self.style.SUCCESS(f"Backup written to {target}: audit head {seq} {head}.")
        )


def _backup_sqlite(target: Path) -> tuple[int, str]:
    """SQLite's online backup (a consistent copy, started again if someone writes meanwhile),
    then the head read from the copy."""
    import sqlite3

    connection.ensure_connection()
    with sqlite3.connect(target) as copy:
        connection.connection.backup(copy)
        row = copy.execute("SELECT seq, hash FROM audit_audithead WHERE id = 1").fetchone()
    copy.close()
    return (int(row[0]), str(row[1])) if row else (0, GENESIS_HASH)


def _backup_postgresql(target: Path) -> tuple[int, str]:
    """pg_dump of a snapshot this transaction exported, and the head as that snapshot sees it.

    The transaction stays open until pg_dump has finished: an exported snapshot lives only as
    long as its transaction.
    """
    if connection.in_atomic_block:
        raise CommandError("coordcell backup runs outside any transaction.")
    env, conn_args = pg_env_and_args()
    with transaction.atomic(), connection.cursor() as cursor:
        # The first statement of the transaction: the snapshot is taken by the next one.
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        seq, head = current_head()
        result = subprocess.run(  # noqa: S603
            [
                pg_tool("pg_dump"),
                "--format=custom",
                "--no-owner",
                f"--snapshot={snapshot}",
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
    return seq, head
