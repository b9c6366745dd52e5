"""What the import and export commands share: who runs them, and a progress display."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypedDict

from django.core.management.base import CommandError

from coordcell.registry.models import Role, User

from .staging import READING, WRITING


def command_user(username: str | None) -> User:
    """``--user NAME`` acts with that user's access; without it, the cell's own system account
    (coordinator rights, recorded in the audit trail as ``system:<login>``)."""
    if username:
        user = User.objects.filter(username=username).select_related("nation").first()
        if user is None or not user.is_active:
            raise CommandError(f"No active user {username!r}.")
        return user
    return User(username=f"system:{getpass.getuser()}", role=Role.COORDINATOR, is_active=True)


class _Shown(TypedDict):
    phase: str  # the phase and the count a plain (not a terminal) display last wrote
    last: int


@contextmanager
def progress_display(
    label: str, stream: Any = None
) -> Iterator[Callable[[str, int, int | None], None]]:
    """Progress of an import, ``(phase, done, expected)``: a rich progress bar per phase on a
    terminal; otherwise a line as each phase starts and every 10,000 rows."""
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
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            transient=True,
        ) as bar:
            tasks: dict[str, Any] = {}

            def show(phase: str, done: int, total: int | None) -> None:
                if phase not in tasks:
                    tasks[phase] = bar.add_task(
                        f"{label}: {_PHASES.get(phase, phase)}", total=total
                    )
                bar.update(tasks[phase], completed=done, total=total)

            yield show
        return
    state: _Shown = {"phase": "", "last": 0}

    def plain(phase: str, done: int, total: int | None) -> None:
        of = f" of {total:,}" if total is not None else ""
        if phase != state["phase"]:
            state["phase"], state["last"] = phase, 0
            if phase == WRITING:
                stream.write(f"{label}: writing {total or 0:,} rows in one transaction\n")
            else:
                stream.write(f"{label}: {_PHASES.get(phase, phase)}{of and f' ({total:,} rows)'}\n")
        elif done - state["last"] >= 10_000 or done == total:
            stream.write(f"{label}: {_PHASES.get(phase, phase)} {done:,}{of} rows\n")
            state["last"] = done
        stream.flush()

    yield plain


_PHASES = {READING: "reading and checking", WRITING: "writing"}
