"""What the import and export commands share: who runs them, and a progress display."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.core.management.base import CommandError

from coordcell.registry.models import Role, User


def command_user(username: str | None) -> User:
    """``--user NAME`` acts with that user's access; without it, the cell's own system account
    (coordinator rights, recorded in the audit trail as ``system:<login>``)."""
    if username:
        user = User.objects.filter(username=username).select_related("nation").first()
        if user is None or not user.is_active:
            raise CommandError(f"No active user {username!r}.")
        return user
    return User(username=f"system:{getpass.getuser()}", role=Role.COORDINATOR, is_active=True)


@contextmanager
def progress_display(
    label: str, total: int | None, stream: Any = None
) -> Iterator[Callable[[int], None]]:
    """A rich progress bar on a terminal; otherwise a plain line every 10,000 rows."""
    stream = stream or sys.stderr
    if stream.isatty():
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        with Progress(
            TextColumn(label),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            transient=True,
        ) as bar:
            task = bar.add_task(label, total=total)
            yield lambda done: bar.update(task, completed=done)
        return
    state = {"last": 0}

    def plain(done: int) -> None:
        if done - state["last"] >= 10_000:
            stream.write(f"{label}: {done:,} rows\n")
            stream.flush()
            state["last"] = done

    yield plain
