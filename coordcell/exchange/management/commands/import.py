from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from coordcell.exchange.cli import command_user, progress_display
from coordcell.exchange.engine import run_import
from coordcell.exchange.mapping import MappingError, load_mapping
from coordcell.exchange.specs import SPECS


class Command(BaseCommand):
    help = "Import pledges, requirements or locations from a .csv or .xlsx file (dry run first)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("type", choices=sorted(SPECS), help="what the file holds")
        parser.add_argument("file", help="the .csv or .xlsx file")
        parser.add_argument("--mapping", help="YAML/JSON column mapping (default: guessed)")
        parser.add_argument(
            "--sheet",
            default="",
            help="the workbook's sheet (default: the mapping's 'sheet:', else the sheet whose "
            "headers fit the mapping best)",
        )
        parser.add_argument("--dry-run", action="store_true", help="check and report only")
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="commit the valid rows, reject the others (default: all or nothing)",
        )
        parser.add_argument("--rejects", help="write rejected rows, with reasons, to this CSV")
        parser.add_argument("--errors", help="write the error report (row, column, ...) as CSV")
        parser.add_argument("--user", help="import as this user, with its access")
        parser.add_argument("--print-mapping", action="store_true", help="print the mapping used")

    def handle(self, *args: Any, **options: Any) -> None:
        spec = SPECS[options["type"]]
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No file {path}.")
        if options["skip_invalid"] and not options["rejects"] and not options["dry_run"]:
            raise CommandError("With --skip-invalid, name a --rejects file for the rejected rows.")
        user = command_user(options["user"])
        try:
            mapping = load_mapping(options["mapping"], spec) if options["mapping"] else None
        except (OSError, MappingError) as exc:
            raise CommandError(str(exc)) from exc
        rejects = (
            open(options["rejects"], "w", newline="", encoding="utf-8")  # noqa: SIM115  # closed below
            if options["rejects"]
            else None
        )
        try:
            with progress_display(f"{spec.kind} {path.name}", self.stderr) as progress:
                report = run_import(
                    spec=spec,
                    path=path,
                    user=user,
                    mapping=mapping,
                    commit=not options["dry_run"],
                    skip_invalid=options["skip_invalid"],
                    rejects=rejects,
                    progress=progress,
                    sheet=options["sheet"],
                )
        finally:
            if rejects is not None:
                rejects.close()
        if options["print_mapping"] and report.mapping is not None:
            self.stdout.write(report.mapping.dumps())
        for error in report.errors[:20]:
            where = f"row {error.row}" + (f", column {error.column!r}" if error.column else "")
            value = f" ({error.value!r})" if error.value else ""
            self.stdout.write(f"  {where}{value}: {error.message}")
        if len(report.errors) > 20:
            self.stdout.write(f"  … and {len(report.errors) - 20:,} more errors")
        for warning in report.warnings[:20]:
            self.stdout.write(
                f"  warning, row {warning.row}, column {warning.column!r}: {warning.message}"
            )
        if len(report.warnings) > 20:
            self.stdout.write(f"  … and {len(report.warnings) - 20:,} more warnings")
        for note in report.notes:
            self.stdout.write(f"  note: {note}")
        if report.unknown:
            for name, values in report.unknown.items():
                listed = ", ".join(f"{v!r} ×{c}" for v, c in values.most_common(10))
                self.stdout.write(
                    f"  unknown {name}: {listed} (map them with 'values:' in --mapping)"
                )
        if options["errors"]:
            Path(options["errors"]).write_bytes(report.errors_csv())
        if report.fatal or (report.errors and not options["skip_invalid"]):
            raise CommandError(report.summary())
        self.stdout.write(self.style.SUCCESS(report.summary()))
