from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from coordcell.audit.services import current_head, verify


class Command(BaseCommand):
    help = "Check the tamper-evident audit chain (verify) or print its head (head)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser("verify", help="recompute the whole chain; name the first bad event")
        check.add_argument(
            "--expect-head",
            default=None,
            help="the head kept outside the database, to detect truncation",
        )
        sub.add_parser("head", help="print the current head: keep it outside the database")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "head":
            seq, digest = current_head()
            self.stdout.write(f"{seq} {digest}")
            return
        result = verify(expected_head=options.get("expect_head"))
        if not result.ok:
            raise CommandError(f"Audit chain broken: {result.problem}.")
        self.stdout.write(
            self.style.SUCCESS(f"Audit chain intact: {result.events:,} events, head {result.head}.")
        )
