import getpass
import sys
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from coordcell.registry.models import Nation, Role, User
from coordcell.registry.services import user_create


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
            try:
                password = getpass.getpass("Password: ")
                if password != getpass.getpass("Password (again): "):
                    raise CommandError("The two passwords differ.")
            except EOFError:  # no terminal and nothing on standard input
                raise CommandError(
                    "No password given: type it at the prompt, or pipe it in with "
                    '--password-stdin (echo "$PASSWORD" | coordcell createuser ... '
                    "--password-stdin)."
                ) from None
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
            user_create(actor="createuser", user=user, password=password)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {user.username} ({user.get_role_display()}"
                + (f" for {nation})" if nation else ")")
            )
        )
