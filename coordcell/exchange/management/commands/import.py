from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from coordcell.exchange.cli import command_user, progress_display
from coordcell.exchange.engine import run_import
from coordcell.exchange.mapping import MappingError, load_mapping
from coordcell.exchange.rejects import XlsxRejects
from coordcell.exchange.report import ImportReport
from coordcell.exchange.specs import SPECS

SHOWN = 20  # problems printed; --errors has them all


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
        parser.add_argument(
            "--rejects",
            help="write rejected rows, with reasons, to this .csv (or .xlsx) file: fixed, it "
            "imports again with the same mapping",
        )
        parser.add_argument(
            "--errors", help="write every error and warning (row, column, ...) to this CSV"
        )
        parser.add_argument(
            "--accept-warnings",
            action="store_true",
            help="commit although the plausibility warnings (years far ahead, drag-filled "
            "years ...) are not fixed: you checked them",
        )
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
        rejects_path = Path(options["rejects"]) if options["rejects"] else None
        with contextlib.ExitStack() as files:
            rejects, rejects_xlsx = None, None
            if rejects_path is not None and rejects_path.suffix.lower() == ".xlsx":
                rejects_xlsx = XlsxRejects(files.enter_context(rejects_path.open("wb")))
                files.callback(rejects_xlsx.close)
            elif rejects_path is not None:
                rejects = files.enter_context(
                    rejects_path.open("w", newline="", encoding="utf-8-sig")
                )
            with progress_display(f"{spec.kind} {path.name}", self.stderr) as progress:
                report = run_import(
                    spec=spec,
                    path=path,
                    user=user,
                    mapping=mapping,
                    commit=not options["dry_run"],
                    skip_invalid=options["skip_invalid"],
                    rejects=rejects,
                    rejects_xlsx=rejects_xlsx,
                    progress=progress,
                    sheet=options["sheet"],
                    accept_warnings=options["accept_warnings"],
                )
        if options["print_mapping"] and report.mapping is not None:
            self.stdout.write(report.mapping.dumps())
        for note in report.notes:
            self.stdout.write(f"  note: {note}")
        if options["errors"]:
            Path(options["errors"]).write_bytes(report.errors_csv())
        self._show_problems(report, options["errors"])
        if report.unknown:
            for name, values in report.unknown.items():
                listed = ", ".join(
                    f"{v!r} ×{c}{_suggested(report.suggestions.get(name, {}).get(v, []))}"
                    for v, c in values.most_common(10)
                )
                more = f" and {len(values) - 10:,} more" if len(values) > 10 else ""
                self.stdout.write(
                    f"  unknown {name}: {listed}{more} (map them with 'values:' in --mapping, "
                    "or create them with 'create:')"
                )
        if report.unacknowledged:
            raise CommandError(report.summary())
        if report.fatal or (report.errors and not options["skip_invalid"]):
            raise CommandError(report.summary())
        self.stdout.write(self.style.SUCCESS(report.summary()))

    def _show_problems(self, report: ImportReport, errors_file: str | None) -> None:
        """A count by rule, then the first problems; where the rest are."""
        for label, problems in (("errors", report.errors), ("warnings", report.warnings)):
            if problems:
                counts = ", ".join(f"{rule} ×{count:,}" for rule, count in report.by_rule(problems))
                self.stdout.write(f"{len(problems):,} {label} by rule: {counts}")
        shown = report.problems()
        for level, problem in shown[:SHOWN]:
            where = f"row {problem.row}" + (
                f", column {problem.column!r}" if problem.column else ""
            )
            value = f" ({problem.value!r})" if problem.value else ""
            mark = "warning: " if level == "warning" else ""
            self.stdout.write(f"  {where}{value}: {mark}{problem.message}")
        if len(shown) > SHOWN:
            where = (
                f"all of them are in {errors_file}"
                if errors_file
                else "write all of them with --errors FILE.csv"
            )
            self.stdout.write(f"  … and {len(shown) - SHOWN:,} more: {where}")


def _suggested(suggestions: list[tuple[str, str, str]]) -> str:
    if not suggestions:
        return ""
    return (
        " ("
        + " or ".join(f"{label}{' (new)' if how == 'new' else ''}" for _, label, how in suggestions)
        + "?)"
    )
