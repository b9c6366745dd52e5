"""Import: read and check every row (no lock held), then write them in one short transaction.

``staging`` reads the file and checks each row (the model's own rules, the page's rules, the
user's scope, the natural key against the file and the database); a dry run stops there and
reports. A commit then hands the rows that passed to ``apply``, which writes them all in one
transaction, or none: any invalid row stops it unless ``skip_invalid`` asks to commit the valid
rows and write the rejected ones to a reject file, and rows changed by someone else meanwhile stop
it with a message. The file's limits (``readers``) are checked before any of this.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

from django.db import DatabaseError

from coordcell.audit.services import same_field_rules
from coordcell.escaping import csv_writer

from .apply import Conflict, apply_staged
from .mapping import Mapping, propose
from .readers import TooLarge, UnreadableFile, max_rows, open_table, too_many_rows
from .report import ImportReport, RowError
from .specs import ImportSpec
from .staging import CHUNK, READING, WRITING, Importer, Progress, stage

__all__ = ["CHUNK", "READING", "WRITING", "ImportReport", "Progress", "RowError", "run_import"]


def run_import(
    *,
    spec: ImportSpec,
    path: str | Path,
    user: Any,
    mapping: Mapping | None = None,
    commit: bool = False,
    skip_invalid: bool = False,
    rejects: IO[str] | None = None,
    progress: Progress | None = None,
    sheet: str = "",
    chunk_size: int = CHUNK,
    display_name: str = "",
) -> ImportReport:
    """Read, check and (with ``commit``) write one spreadsheet; the report says what happened.

    ``progress(phase, done, expected)`` is called after each chunk: ``READING`` rows read and
    checked, then (a commit) ``WRITING`` rows written; ``expected`` is None when unknown. A file
    past the limits, or that cannot be read, is refused in ``report.fatal`` before any of it.
    """
    path = Path(path)
    name = display_name or path.name
    report = ImportReport(kind=spec.kind, file=name, dry_run=not commit)
    if not spec.can_import(user):
        report.fatal = f"Your role does not import {spec.kind}."
        return report
    try:
        table = open_table(path, sheet=sheet, name=name)
        total = table.count()
        if total is not None and total > max_rows():
            raise too_many_rows(name, total, declared=table.declared_rows is not None)
        mapping = mapping or propose(table.headers, spec)
        report.mapping = mapping
        importer = Importer(spec, table, mapping, user, report)
    except (UnreadableFile, ValueError) as exc:  # ValueError: the mapping does not fit the sheet
        report.fatal = str(exc)
        return report
    reject_writer = csv_writer(rejects) if rejects is not None else None
    if reject_writer is not None:
        reject_writer.writerow(["row", *table.headers, "errors"])
    try:
        # A value a field accepted once in this file is not validated again (the record's own
        # rules across fields still run for every row).
        with same_field_rules():
            staged = stage(
                importer,
                report,
                reject_writer=reject_writer,
                progress=progress,
                total=total,
                chunk_size=chunk_size,
                keep=commit,
                skip_invalid=skip_invalid,
            )
            if commit and (skip_invalid or not report.errors):
                apply_staged(importer, staged, progress=progress, chunk_size=chunk_size)
                report.committed = True
    except (TooLarge, UnreadableFile, Conflict) as exc:  # more rows than declared; a bad cell
        report.fatal = str(exc)
    except DatabaseError as exc:
        report.fatal = f"The database refused the import, nothing was written: {exc}"
    if not report.committed and not report.dry_run:
        report.created = report.updated = 0
    return report
