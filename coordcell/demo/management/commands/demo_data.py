import datetime as dt
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from coordcell.demo.scenario import HUB_PROFILES, SIZES, load_demo
from coordcell.registry.models import Nation


class Command(BaseCommand):
    help = "Load the demo scenario (real places, invented figures) into an empty database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--size",
            choices=list(SIZES),
            default="small",
            help="small: ~200 requirements and pledges; medium ~5,000; large ~50,000",
        )
        parser.add_argument("--seed", type=int, default=1, help="same seed, same scenario")
        parser.add_argument(
            "--start",
            type=dt.date.fromisoformat,
            default=None,
            help="first planning week's Monday (YYYY-MM-DD); default next Monday (today if "
            "a Monday)",
        )
        parser.add_argument(
            "--hubs",
            choices=list(HUB_PROFILES),
            default="main",
            help="main: one main hub (Rzeszów-Jasionka) carries most of the flow, as in 2025; "
            "even: every hub near full in most weeks (the allocation benchmarks' instance)",
        )
        parser.add_argument(
            "--bare",
            action="store_true",
            help="only the scenario: no plan, shipments, training held or discrepancies yet",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing (and succeed) when the database already has data",
        )
        parser.add_argument(
            "--no-audit",
            action="store_true",
            help="skip the audit events of the load (benchmarks only)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if Nation.objects.exists():
            if options["if_empty"]:
                self.stdout.write("The database already holds data: demo scenario not loaded.")
                return
            raise CommandError(
                "The database already holds data. The demo loads into an empty "
                "database: remove var/coordcell.sqlite3 (or use a new "
                "DATABASE_URL) and migrate first."
            )
        began = time.perf_counter()
        summary = load_demo(
            size=options["size"],
            seed=options["seed"],
            start=options["start"],
            audit=not options["no_audit"],
            operation=not options["bare"],
            hubs=options["hubs"],
        )
        took = time.perf_counter() - began
        for label, count in summary.rows.items():
            self.stdout.write(f"  {label:<18} {count:>9,}")
        if summary.operation:
            self.stdout.write("In mid-operation, through the actions:")
        for label, count in summary.operation.items():
            self.stdout.write(f"  {label:<28} {count:>7,}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo scenario '{summary.size}' (seed {summary.seed}, weeks from "
                f"{summary.start.isoformat()}): {summary.total_rows:,} rows in {took:.1f} s."
            )
        )
