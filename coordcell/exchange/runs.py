"""Imports from the page as background jobs: an upload's dry run or commit, its progress, its files.

The page saves the upload and queues an ``ImportRun``; the worker (``coordcell worker``) runs it
with ``run_import``, acting as the user who uploaded, and writes its progress on the run as it
reads (rows read of the rows expected, the phase) for the page to show. The report, the errors
CSV and the rejected rows stay with the run, beside the upload, until the upload is forgotten two
days later. Nothing heavy runs in a web request.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from coordcell.registry.models import User

from .engine import READING, WRITING, run_import
from .layout import sheet_score
from .mapping import MappingError, key_field, mapping_from_dict, parse_mapping, propose
from .models import ImportRun, ImportUpload, SavedMapping
from .readers import UnreadableFile, open_table, sheet_names
from .rejects import XlsxRejects
from .selectors import uploads_visible_to
from .specs import SPECS

KEEP_SECONDS = 2 * 24 * 3600  # uploads, their runs and files are working files
FILES = ("errors.csv", "rejects.csv", "rejects.xlsx")
ACCEPTED_WARNINGS = "accepted_warnings"  # kept in the run's copy of the mapping
_PROGRESS_EVERY = 1.0  # seconds between two writes of a run's progress


def import_directory() -> Path:
    path = Path(settings.COORDCELL_IMPORT_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def upload_path(upload: ImportUpload) -> Path:
    return import_directory() / upload.stored_as


def run_file(run: ImportRun, name: str) -> Path:
    """Where a run keeps its ``errors.csv`` or ``rejects.csv``."""
    if name not in FILES:
        raise ValueError(name)
    return import_directory() / f"{run.upload.public_id}.{run.pk}.{name}"


def can_open_upload(user: User | None, upload: ImportUpload) -> bool:
    return uploads_visible_to(user).filter(pk=upload.pk).exists()


def import_upload_create(
    *,
    actor: User,
    kind: str,
    file: Any,
    saved_mapping: SavedMapping | None = None,
    mapping_text: str = "",
) -> ImportUpload:
    """Keep an uploaded file and its header row, with the mapping proposed, saved or given.

    Raises ``MappingError`` or ``UnreadableFile`` (the file is then not kept)."""
    spec = SPECS[kind]
    if not spec.can_import(actor):
        raise PermissionDenied(f"Your role does not import {kind}.")
    upload = ImportUpload(owner=actor, kind=kind, name=file.name[:255])
    upload.stored_as = f"{upload.public_id}{Path(file.name).suffix.lower()}"
    path = upload_path(upload)
    with path.open("wb") as handle:
        for chunk in file.chunks():
            handle.write(chunk)
    try:
        given = None
        if saved_mapping is not None:
            given = mapping_from_dict(saved_mapping.data, spec)
        elif mapping_text:
            given = parse_mapping(mapping_text, spec)
        # The sheet the mapping names, or the one whose headers fit it (or the fields) best.
        table = open_table(
            path,
            name=file.name,
            sheet=given.sheet if given is not None else "",
            score=sheet_score(given, spec),
        )
    except (MappingError, UnreadableFile):
        path.unlink(missing_ok=True)
        raise
    upload.headers = table.headers
    mapping = given or propose(upload.headers, spec)
    if len(table.sheets) > 1:
        mapping.sheet = table.sheet
    upload.mapping = mapping.as_dict()
    upload.save()
    return upload


def upload_sheets(upload: ImportUpload) -> tuple[str, ...]:
    """The worksheets of an uploaded workbook (none for a CSV), from its directory alone."""
    return sheet_names(upload_path(upload))


def import_upload_choose_sheet(*, actor: User, upload: ImportUpload, sheet: str) -> None:
    """Read another sheet of the workbook: its header row, for the page's selects. The mapping's
    columns stay as they are (those the sheet lacks are shown, to be chosen again); a field with
    no column yet gets one proposed from the new headers. A dry run is needed again.

    Raises ``UnreadableFile`` for a sheet the workbook does not have."""
    if not can_open_upload(actor, upload):
        raise PermissionDenied("Only the user who uploaded a file imports it.")
    spec = SPECS[upload.kind]
    table = open_table(upload_path(upload), sheet=sheet, name=upload.name)
    mapping = mapping_from_dict(upload.mapping, spec)
    mapping.sheet = table.sheet
    given = {*mapping.columns, *mapping.constants, *([key_field(spec)] if mapping.key else [])}
    for name, header in propose(table.headers, spec).columns.items():
        if name not in given:
            mapping.columns[name] = header
    upload.headers = table.headers
    upload.mapping = mapping.as_dict()
    upload.checked = False
    upload.save(update_fields=["headers", "mapping", "checked"])


def import_upload_map(*, actor: User, upload: ImportUpload, mapping: Any, checked: bool) -> None:
    """The mapping the user chose on the page, and whether a dry run has been seen with it."""
    if not can_open_upload(actor, upload):
        raise PermissionDenied("Only the user who uploaded a file imports it.")
    upload.mapping = mapping.as_dict()
    upload.checked = checked
    upload.save(update_fields=["mapping", "checked"])


def saved_mapping_save(*, actor: User, kind: str, name: str, mapping: Any) -> SavedMapping:
    """Keep a mapping under a name for the user's next file of the same kind."""
    saved, _ = SavedMapping.objects.update_or_create(
        owner=actor, kind=kind, name=name, defaults={"data": mapping.as_dict()}
    )
    return saved


def import_run_create(
    *,
    actor: User,
    upload: ImportUpload,
    mode: str,
    mapping: dict[str, Any],
    accepted_warnings: str = "",
) -> ImportRun:
    """Queue a dry run or a commit of ``upload`` with ``mapping``; its job starts after commit.

    ``accepted_warnings``: the fingerprint of the dry run's warnings the user acknowledged (a
    commit that finds other warnings waits for them to be acknowledged)."""
    if accepted_warnings:
        mapping = {**mapping, ACCEPTED_WARNINGS: accepted_warnings}
    if not can_open_upload(actor, upload):
        raise PermissionDenied("Only the user who uploaded a file imports it.")
    if mode not in ImportRun.Mode.values:
        raise ValueError(mode)
    with transaction.atomic():
        run = ImportRun.objects.create(upload=upload, mode=mode, mapping=mapping)
        from .tasks import execute_import_run

        transaction.on_commit(lambda: execute_import_run.enqueue(run.pk))
    return run


class _Progress:
    """Writes a run's progress as it reads, at most once a second, in short writes of its own.

    While the rows are written the transaction is open: the page then shows "writing" from the
    moment before it opened, and nothing is written in between (it would not be seen anyway).
    """

    def __init__(self, run_id: int) -> None:
        self.run_id = run_id
        self.phase = ""
        self.last = 0.0

    def __call__(self, phase: str, done: int, expected: int | None) -> None:
        now = time.monotonic()
        if phase == self.phase and (phase == WRITING or now - self.last < _PROGRESS_EVERY):
            return
        self.phase, self.last = phase, now
        text = (
            "Reading and checking the rows"
            if phase == READING
            else f"Writing {expected or 0:,} rows in one transaction"
        )
        ImportRun.objects.filter(pk=self.run_id).update(
            phase=text, rows_done=done, rows_expected=expected
        )


def import_run_execute(run_id: int) -> ImportRun | None:
    """Run a queued dry run or commit to its end and keep its report and files."""
    claimed = ImportRun.objects.filter(pk=run_id, status=ImportRun.Status.QUEUED).update(
        status=ImportRun.Status.RUNNING, started_at=timezone.now(), phase="Opening the file"
    )
    run = ImportRun.objects.select_related("upload", "upload__owner").filter(pk=run_id).first()
    if run is None or not claimed:
        return run  # taken by another worker, finished, or its upload was forgotten
    try:
        _execute(run)
    except Exception as exc:  # a failed run must say why, never vanish
        import_run_mark_failed(run_id=run.pk, message=f"{type(exc).__name__}: {exc}")
        raise
    run.refresh_from_db()
    return run


def _execute(run: ImportRun) -> None:
    upload = run.upload
    spec = SPECS[upload.kind]
    user = User.objects.select_related("nation").get(pk=upload.owner_id)
    if not can_open_upload(user, upload):
        import_run_mark_failed(run_id=run.pk, message="Your account can no longer import this.")
        return
    commit = run.mode != ImportRun.Mode.DRY_RUN
    skip_invalid = run.mode == ImportRun.Mode.COMMIT_VALID
    data = dict(run.mapping)
    # The page's acknowledgement of a dry run's warnings: the run's, never the mapping's.
    accepted = str(data.pop(ACCEPTED_WARNINGS, ""))
    workbook = upload.stored_as.lower().endswith(".xlsx")
    with contextlib.ExitStack() as files:
        rejects = files.enter_context(
            run_file(run, "rejects.csv").open("w", newline="", encoding="utf-8-sig")
        )
        rejects_xlsx = None
        if workbook:  # the rejected rows of a workbook as a workbook too
            rejects_xlsx = XlsxRejects(
                files.enter_context(run_file(run, "rejects.xlsx").open("wb"))
            )
            files.callback(rejects_xlsx.close)
        report = run_import(
            spec=spec,
            path=upload_path(upload),
            user=user,
            mapping=mapping_from_dict(data, spec),
            commit=commit,
            skip_invalid=skip_invalid,
            rejects=rejects,
            rejects_xlsx=rejects_xlsx,
            progress=_Progress(run.pk),
            display_name=upload.name,
            accept_warnings=accepted,
        )
    if not report.rejected:
        run_file(run, "rejects.csv").unlink(missing_ok=True)
        run_file(run, "rejects.xlsx").unlink(missing_ok=True)
    run_file(run, "errors.csv").write_bytes(report.errors_csv())
    summary = report.as_dict()
    with transaction.atomic():
        ImportRun.objects.filter(pk=run.pk).update(
            status=ImportRun.Status.DONE,
            phase="Done",
            rows_done=report.rows,
            summary=report.summary(),
            report=summary,
            committed=report.committed,
            finished_at=timezone.now(),
        )
        changes: dict[str, Any] = {"checked": not commit and not report.fatal}
        if not commit and not report.fatal:
            changes["unknown"] = summary["unknown_values"]
        ImportUpload.objects.filter(pk=upload.pk).update(**changes)


def import_run_mark_failed(*, run_id: int, message: str) -> bool:
    """Fail a run that stopped without an outcome (its worker was killed, or it raised), saying
    why. A commit wrote nothing then: its rows are written in one transaction at its end.
    Called by the worker's recovery sweep (coordcell/jobs) too. Returns whether the run changed."""
    changed = ImportRun.objects.filter(
        pk=run_id, status__in=[ImportRun.Status.QUEUED, ImportRun.Status.RUNNING]
    ).update(
        status=ImportRun.Status.FAILED,
        phase="Failed",
        error=message,
        finished_at=timezone.now(),
    )
    return bool(changed)


def imports_forget_old() -> int:
    """Delete uploads older than two days (with their runs and files), unless a run of theirs
    is still queued or running; and any file left in the folder that old. Returns how many."""
    cutoff = timezone.now() - dt.timedelta(seconds=KEEP_SECONDS)
    old = ImportUpload.objects.filter(created_at__lt=cutoff).exclude(
        runs__status__in=[ImportRun.Status.QUEUED, ImportRun.Status.RUNNING]
    )
    forgotten = 0
    directory = import_directory()
    for upload in old:
        for path in directory.glob(f"{upload.public_id}*"):
            path.unlink(missing_ok=True)
        upload.delete()
        forgotten += 1
    stale = time.time() - KEEP_SECONDS
    kept = set(ImportUpload.objects.values_list("public_id", flat=True))
    for path in directory.iterdir():
        if path.is_file() and path.stat().st_mtime < stale and path.name[:32] not in kept:
            path.unlink(missing_ok=True)
    return forgotten
