from typing import Any

from django.core.management.base import BaseCommand

from coordcell.demo.scenario import DEMO_LOGINS, DEMO_PASSWORD
from coordcell.registry.models import User


class Command(BaseCommand):
    help = "Print the demo logins (one per role) and their password."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        existing = set(
            User.objects.filter(username__in=[u for u, *_ in DEMO_LOGINS]).values_list(
                "username", flat=True
            )
        )
        for username, role, nation, *_ in DEMO_LOGINS:
            if username in existing:
                self.stdout.write(
                    f"  {username:<12} {role.label}" + (f" for {nation}" if nation else "")
                )
