"""Import: read and check every row (no lock held), then write them in one short transaction.

``staging`` reads the file and checks each row (the model's own rules, the page's rules, the
user's scope, the natural key against the file and the database); a dry run stops there and
reports. A commit then hands the rows that passed to ``apply``, which writes them all in one
transaction, or none: any invalid row stops it unless ``skip_invalid`` asks to commit the valid
rows and write the rejected ones to a reject file, and rows changed by someone else meanwhile stop
it with a message. The file's limits (``readers``) are checked before any of this.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _

from coordcell.audit.services import same_field_rules

from .apply import Conflict, apply_staged
from .layout import KEY_COLUMN, sheet_score
from .mapping import Mapping, propose
from .readers import TooLarge, UnreadableFile, max_rows, open_table, too_many_rows
from .references import attach
from .rejects import XlsxRejects
from .rejects import reject_writer as rejected_rows
from .report import UNKNOWN_LISTED, ImportReport, RowError
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
    rejects_xlsx: XlsxRejects | None = None,
    progress: Progress | None = None,
    sheet: str = "",
    chunk_size: int = CHUNK,
    display_name: str = "",
    accept_warnings: bool | str = False,
) -> ImportReport:
    """Read, check and (with ``commit``) write one spreadsheet; the report says what happened.

    ``progress(phase, done, expected)`` is called after each chunk: ``READING`` rows read and
    checked, then (a commit) ``WRITING`` rows written; ``expected`` is None when unknown. A file
    past the limits, or that cannot be read, is refused in ``report.fatal`` before any of it.

    Plausibility warnings (``report.warnings``) do not reject rows, but a commit waits for them
    to be acknowledged: ``accept_warnings`` True accepts any, a fingerprint (the page's dry run,
    ``ImportReport.warning_fingerprint``) exactly those. Reference records the mapping creates
    (``create:``) are created in the commit's transaction, before its rows.
    """
    path = Path(path)
    name = display_name or path.name
    report = ImportReport(kind=spec.kind, file=name, dry_run=not commit)
    if not spec.can_import(user):
        report.fatal = f"Your role does not import {spec.kind}."
        return report
    try:
        # The sheet: as asked (--sheet), as the mapping names it, or the one that fits best.
        sheet = sheet or (mapping.sheet if mapping is not None else "")
        table = open_table(path, sheet=sheet, name=name, score=sheet_score(mapping, spec))
        report.sheet = table.sheet
        if len(table.sheets) > 1 and not sheet:
            report.notes.append(
                _(
                    "Read the sheet %(sheet)r of %(sheets)s: its headers fit best. Choose another "
                    "with --sheet, or 'sheet:' in the mapping."
                )
                % {"sheet": table.sheet, "sheets": ", ".join(map(repr, table.sheets))}
            )
        total = table.count()
        if total is not None and total > max_rows():
            raise too_many_rows(name, total, declared=table.declared_rows is not None)
        mapping = mapping or propose(table.headers, spec)
        report.mapping = mapping
        importer = Importer(spec, table, mapping, user, report)
    except (UnreadableFile, ValueError) as exc:  # ValueError: the mapping does not fit the sheet
        report.fatal = str(exc)
        return report
    reject_writer = rejected_rows(rejects, rejects_xlsx)
    if reject_writer is not None:
        made_keys = [KEY_COLUMN] if importer.layout.key is not None else []
        reject_writer.writerow(["row", *table.headers, "errors", *made_keys])
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
            # Dates read as approximate (noted while reading), then the file's plausibility.
            report.warnings = sorted(
                [*report.warnings, *importer.plausibility.warnings()], key=lambda w: w.row
            )
            _suggest(importer, report)
            report.created_references = importer.new_references.codes()
            waiting = report.to_acknowledge
            if commit and waiting and accept_warnings not in (True, report.warning_fingerprint):
                report.unacknowledged = True
            elif commit and (skip_invalid or not report.errors):
                # New reference records go in the rows' transaction (apply_staged's own, nested).
                new = importer.new_references
                with transaction.atomic() if new else contextlib.nullcontext():
                    new.save(user)
                    attach(row[-1] for row in staged.updates)  # the new rows: as built
                    apply_staged(importer, staged, progress=progress, chunk_size=chunk_size)
                report.committed = True
    except (TooLarge, UnreadableFile, Conflict) as exc:  # more rows than declared; a bad cell
        report.fatal = str(exc)
    except ValidationError as exc:  # a record's bulk action refused the batch as it wrote it
        report.fatal = "The records' rules refused the import, nothing was written: " + "; ".join(
            exc.messages
        )
    except DatabaseError as exc:
        report.fatal = f"The database refused the import, nothing was written: {exc}"
    if not report.committed and not report.dry_run:
        report.created = report.updated = 0
        report.created_references = {}
    return report


def _suggest(importer: Importer, report: ImportReport) -> None:
    """What each unknown value may stand for (``Lookups.suggest``), for the values the report
    lists (the most frequent ``UNKNOWN_LISTED`` of each field)."""
    for name, values in report.unknown.items():
        kind = importer.spec.field(name).kind
        report.suggestions[name] = {
            raw: importer.lookups.suggest(kind, raw)
            for raw, _ in values.most_common(UNKNOWN_LISTED)
        }
