"""The ``coordcell`` command: a thin front over Django's management commands.

``coordcell demo-data`` runs the ``demo_data`` command; ``coordcell --help`` lists coordcell's own
commands with one line each. Any other Django command works too (``coordcell shell``).
"""

from __future__ import annotations

import os
import sys

# The commands a user of coordcell needs, in the order the help lists them.
COMMANDS = [
    "serve",
    "worker",
    "migrate",
    "demo-data",
    "demo-logins",
    "createuser",
    "allocate",
    "schedule-training",
    "notifications-digest",
    "import",
    "export",
    "token",
    "audit",
    "backup",
    "restore",
    "check",
    "collectstatic",
    "shell",
    "dbshell",
]


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coordcell.settings")
    import django

    django.setup()


def print_help() -> None:
    from django.core.management import get_commands, load_command_class

    _setup()
    commands = get_commands()
    print("usage: coordcell COMMAND [options]   (coordcell COMMAND --help for its options)\n")
    print("commands:")
    for name in COMMANDS:
        django_name = name.replace("-", "_")
        app = commands.get(django_name)
        if app is None:
            continue
        help_text = load_command_class(app, django_name).help.strip().splitlines()
        first = help_text[0] if help_text else ""
        print(f"  {name:<18} {first}")
    print("\nAny other Django management command also works, e.g. 'coordcell showmigrations'.")


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        print_help()
        return 0
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coordcell.settings")
    from django.core.management import execute_from_command_line

    name = args[0]
    if not name.startswith("-"):
        name = name.replace("-", "_")
    execute_from_command_line(["coordcell", name, *args[1:]])
    return 0


if __name__ == "__main__":
    sys.exit(main())
