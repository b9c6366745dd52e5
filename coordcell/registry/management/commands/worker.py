from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run background jobs (allocation runs, ...) from the database queue."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--interval", type=float, default=1.0, help="seconds between polls of an empty queue"
        )
        parser.add_argument(
            "--max-tasks",
            type=int,
            default=None,
            help="stop after this many jobs (default: run until stopped)",
        )
        parser.add_argument(
            "--batch", action="store_true", help="work off the jobs waiting now, then stop"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        argv = ["--interval", str(options["interval"]), "--no-startup-delay"]
        if options["max_tasks"]:
            argv += ["--max-tasks", str(options["max_tasks"])]
        if options["batch"]:
            argv.append("--batch")
        call_command("db_worker", *argv)
