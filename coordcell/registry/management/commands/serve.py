import argparse
import os
import subprocess
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


def default_workers() -> int:
    # Four per core, at most 16. Requests are mostly CPU, short and long mixed: with more
    # processes than cores a short one shares a core with the long ones in flight instead of
    # queueing behind them. Measured with `make bench-load` on 2 cores (100 users): 8 workers
    # gave page p95 ~275 ms where 5 (gunicorn's 2 x cores + 1) gave ~390, and 12 or 16 no better.
    # Each worker holds one PostgreSQL connection and ~100 MB.
    return min(4 * (os.cpu_count() or 1), 16)


class Command(BaseCommand):
    help = "Serve coordcell with gunicorn (workers sized to this machine's cores)."

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
            help="also start one background-job worker (default: yes)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
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
        ]
        self.stdout.write(
            f"Serving on http://{options['bind']} with {options['workers']} workers"
            + (f" of {options['threads']} threads" if options["threads"] > 1 else "")
            + " (Ctrl-C stops)."
        )
        if options["worker"]:
            # The worker is this process's child: Ctrl-C in the terminal stops both.
            subprocess.Popen([sys.executable, "-m", "coordcell.cli", "worker"])  # noqa: S603
            self.stdout.write("Started a background-job worker.")
        self.stdout.flush()
        os.execv(sys.executable, argv)  # noqa: S606  # replaces this process: signals reach gunicorn
