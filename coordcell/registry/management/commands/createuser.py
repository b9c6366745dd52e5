import getpass
import sys
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from coordcell.audit.services import save_audited
from coordcell.registry.models import Nation, Role, User


class Command(BaseCommand):
    help = "Create a user with a role (and the nation a liaison or site officer acts for)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=list(Role.values))
        parser.add_argument("--nation", help="ISO 3166 code of the nation the user acts for")
        parser.add_argument("--email", default="")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            help="read the password from standard input instead of prompting",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        nation = None
        if options["nation"]:
            nation = Nation.objects.filter(code=options["nation"].upper()).first()
            if nation is None:
                raise CommandError(f"No nation with code {options['nation']!r}.")
        if options["password_stdin"]:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The two passwords differ.")
        user = User(
            username=options["username"],
            role=options["role"],
            nation=nation,
            email=options["email"],
            first_name=options["first_name"],
            last_name=options["last_name"],
            is_staff=options["role"] == Role.COORDINATOR,
        )
        try:
            validate_password(password, user)
            user.set_password(password)
            with transaction.atomic():
                save_audited(actor="createuser", instance=user)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {user.username} ({user.get_role_display()}"
                + (f" for {nation})" if nation else ")")
            )
        )
