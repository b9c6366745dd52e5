from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from coordcell.notifications.mail import digest_start, send_digest, send_pending

HELP = """Send the daily digest of notifications now, and the mails whose retry is due.

`coordcell worker` does this by itself: it sends each notice's mail as soon as the change
commits, retries failed ones, and sends the digest once a day from COORDCELL_NOTIFY_DIGEST_HOUR
(UTC). Use this command from cron when the jobs run on another queue (COORDCELL_TASKS_BACKEND),
or to send a digest by hand. Sending twice is harmless: a notice is mailed once.
"""


class Command(BaseCommand):
    help = HELP

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--pending-only",
            action="store_true",
            help="send only the mails due for a retry, not the digest",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        sent, failed = send_pending(None)
        self.stdout.write(f"Notices: {sent} mailed, {failed} to try again.")
        if options["pending_only"]:
            return
        digest_start(timezone.now().date())  # the worker then sends no second one today
        sent, failed = send_digest()
        self.stdout.write(f"Digests: {sent} mailed, {failed} to try again.")
