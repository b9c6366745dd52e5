from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from coordcell.exchange.cli import command_user
from coordcell.exchange.export import (
    FORMATS,
    export_queryset,
    filtered_queryset,
    registers,
)
from coordcell.registry.registers import BadFilter


class Command(BaseCommand):
    help = "Export a list (pledges, requirements, ...) as CSV or XLSX, with the page's filters."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("register", help="what to export: " + ", ".join(sorted(registers())))
        parser.add_argument("--format", choices=sorted(FORMATS), default="csv")
        parser.add_argument("--output", "-o", help="file to write (default: standard output)")
        parser.add_argument(
            "--filter",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="a filter of the list page, e.g. --filter status=offered --filter q=155",
        )
        parser.add_argument("--user", help="export what this user may see (default: everything)")

    def handle(self, *args: Any, **options: Any) -> None:
        register = registers().get(options["register"])
        if register is None:
            raise CommandError(
                f"No list {options['register']!r}; choose from {', '.join(sorted(registers()))}."
            )
        params = {}
        for item in options["filter"]:
            name, sep, value = item.partition("=")
            if not sep:
                raise CommandError(f"Write filters as NAME=VALUE, not {item!r}.")
            params[name] = value
        user = command_user(options["user"])
        fmt = options["format"]
        try:  # a filter value the list cannot read: say so before writing any file
            filtered_queryset(register.for_user(user), user, params)
        except BadFilter as exc:
            raise CommandError(f"Nothing exported: {exc}") from None
        if options["output"]:
            with open(options["output"], "wb") as handle:
                count = export_queryset(register, user, params, fmt, handle)
            self.stderr.write(f"{count:,} {register.slug} written to {options['output']}.")
        else:
            if fmt == "xlsx" and sys.stdout.isatty():
                raise CommandError("An .xlsx file is not for the terminal: give --output FILE.")
            export_queryset(register, user, params, fmt, sys.stdout.buffer)
