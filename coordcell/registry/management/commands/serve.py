import argparse
import fcntl
import hashlib
import os
import re
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from coordcell.supervisor import Supervisor

HELP = """Serve coordcell with gunicorn (workers sized to this machine's cores).

Before it binds, it collects the static files into COORDCELL_DATA_DIR/static (quickly when
nothing changed), so a fresh data folder or a new version serves its pages at once. It runs
gunicorn and (unless --no-worker) one background-job worker as its children: SIGTERM or Ctrl-C
stops both (the worker finishes its job first), SIGHUP reloads both, a worker that exits is
started again (after 1 s, doubling up to 60 s), and serve exits when gunicorn does. gunicorn's
control socket (for gunicornc) is COORDCELL_DATA_DIR/run/gunicorn-ADDRESS.ctl, one per address.
"""

# A Unix socket's path holds at most 107 bytes (Linux); a little margin.
SOCKET_PATH_MAX = 100


def default_workers() -> int:
    # Four per core, at most 16. Requests are mostly CPU, short and long mixed: with more
    # processes than cores a short one shares a core with the long ones in flight instead of
    # queueing behind them. Measured with `make bench-load` on 2 cores (100 users): 8 workers
    # gave page p95 ~275 ms where 5 (gunicorn's 2 x cores + 1) gave ~390, and 12 or 16 no better.
    # Each worker holds one PostgreSQL connection and ~100 MB.
    return min(4 * (os.cpu_count() or 1), 16)


class _Formatter(argparse.RawDescriptionHelpFormatter):
    pass


class Command(BaseCommand):
    help = HELP

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        return super().create_parser(prog_name, subcommand, formatter_class=_Formatter, **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default=os.environ.get("COORDCELL_BIND", "127.0.0.1:8000"))
        parser.add_argument("--workers", type=int, default=default_workers())
        parser.add_argument(
            "--threads",
            type=int,
            default=int(os.environ.get("COORDCELL_THREADS") or 1),
            help="threads per worker (more than 1: gunicorn's gthread workers)",
        )
        parser.add_argument("--timeout", type=int, default=120)
        parser.add_argument(
            "--worker",
            action=argparse.BooleanOptionalAction,
            default=True,
            help="also run one background-job worker (default: yes)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        collect_static()
        argv = [
            sys.executable,
            "-m",
            "gunicorn",
            "coordcell.wsgi:application",
            "--bind",
            options["bind"],
            "--workers",
            str(options["workers"]),
            "--threads",
            str(options["threads"]),
            "--timeout",
            str(options["timeout"]),
            "--access-logfile",
            "-",
            *control_socket_args(options["bind"]),
        ]
        worker = [sys.executable, "-m", "coordcell.cli", "worker"] if options["worker"] else None
        self.stdout.write(
            f"Serving on http://{options['bind']} with {options['workers']} workers"
            + (f" of {options['threads']} threads" if options["threads"] > 1 else "")
            + (" and a background-job worker" if worker else "")
            + " (Ctrl-C stops)."
        )
        self.stdout.flush()
        raise SystemExit(Supervisor(argv, worker, say=self._say).run())

    def _say(self, text: str) -> None:
        self.stderr.write(text)
        self.stderr.flush()


def collect_static() -> None:
    """Collect the static files, or refuse with a message before anything binds.

    Without them every page answers 500 ("Missing staticfiles manifest entry"), and gunicorn
    reads the manifest once, at start: collecting afterwards was not enough, a restart was needed
    too. Collecting is quick when nothing changed. Under a lock: the two web units of one machine
    start together on one data folder.
    """
    root = Path(settings.STATIC_ROOT)
    try:
        root.mkdir(parents=True, exist_ok=True)
        with open(root.parent / ".static.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            call_command("collectstatic", interactive=False, verbosity=0)
    except (OSError, CommandError) as exc:
        raise CommandError(
            f"Could not collect the static files into {root} ({exc}); without them every page "
            "fails. Make that folder writable for this user, or run `coordcell collectstatic "
            "--no-input` as one who can write there, then start again."
        ) from exc


def control_socket_args(bind: str) -> list[str]:
    """gunicorn's control socket under the data folder, one per address served.

    gunicorn's default ($XDG_RUNTIME_DIR or ~/.gunicorn/gunicorn.ctl) is one path for every
    server a user runs: a second server took the socket over, and the first one, stopping,
    removed it from under the second.
    """
    run = Path(settings.DATA_DIR) / "run"
    name = re.sub(r"[^A-Za-z0-9.-]+", "_", bind).strip("_")
    path = run / f"gunicorn-{name}.ctl"
    if len(str(path)) > SOCKET_PATH_MAX:
        path = run / f"gunicorn-{hashlib.sha256(bind.encode()).hexdigest()[:12]}.ctl"
    if len(str(path)) > SOCKET_PATH_MAX:
        return ["--no-control-socket"]  # the data folder's path is too long for a socket
    run.mkdir(mode=0o700, parents=True, exist_ok=True)
    return ["--control-socket", str(path)]
