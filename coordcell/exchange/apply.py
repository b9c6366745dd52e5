"""Write the staged rows in one short transaction: the database work alone.

Everything slow (reading, parsing, validating, the lookups) happened before, in ``staging``, with
no lock held; this transaction holds SQLite's write lock (and, on PostgreSQL, the audit chain's
head row and the rows it updates) only while the rows go in. Between the two, someone may have
changed what the rows were checked against. Inside the transaction, before writing, this checks:

- no record with the natural key of a new row exists now (someone else created it);
- every record to update still has the version it was read with (or, without a version, the same
  values), and still exists.

Any such row fails the whole import with a message naming the rows: nothing is written, and
nothing is overwritten. Running the import again compares with the records as they are then.

``_write`` is the one place the rows are handed to the write services.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

from django.db import IntegrityError, transaction

from .staging import CHUNK, WRITING, Importer, Progress, Staged


class Conflict(Exception):
    """Rows changed by someone else since they were checked; the message names them."""


def _chunks(rows: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _taken[T](rows: list[T], size: int) -> Iterator[list[T]]:
    """``rows`` in chunks, each taken out of the list before it is handed on."""
    while rows:
        chunk = rows[:size]
        del rows[:size]
        yield chunk


def apply_staged(
    importer: Importer,
    staged: Staged,
    *,
    progress: Progress | None = None,
    chunk_size: int = CHUNK,
) -> None:
    """Write every staged row, all or nothing; ``Conflict`` when someone changed them since.

    Consumes ``staged``: each chunk's objects are let go once written (200,000 new pledges
    held in memory are most of an import's peak)."""
    total = len(staged.creates) + len(staged.updates)
    importer.seen.clear()  # the file's keys, to find duplicates while reading: done with
    if progress is not None:
        progress(WRITING, 0, total)
    try:
        with transaction.atomic():
            _check_unchanged(importer, staged, chunk_size)
            done = 0
            for chunk in staged.creates.take(chunk_size):
                _write(importer, creates=[obj for _, obj in chunk], updates=[])
                done += len(chunk)
                if progress is not None:
                    progress(WRITING, done, total)
            for update_chunk in _taken(staged.updates, chunk_size):
                _write(importer, creates=[], updates=[(b, obj) for _, b, obj in update_chunk])
                done += len(update_chunk)
                if progress is not None:
                    progress(WRITING, done, total)
    except IntegrityError as exc:
        # PostgreSQL: a record with one of the new keys was committed after the check above.
        raise Conflict(
            "Nothing was written: while the import was being written someone else created or "
            "changed one of its records (the database refused a duplicate). Run the import "
            f"again: it will compare with the records as they are now. ({exc})"
        ) from exc


def _write(importer: Importer, *, creates: list[Any], updates: list[tuple[Any, Any]]) -> None:
    """The seam between the import and the record's own bulk action (``spec.save_many``: the
    record's rules, references, one audit event per row, its consequences)."""
    importer.spec.save_many(actor=importer.user, creates=creates, updates=updates)


def _check_unchanged(importer: Importer, staged: Staged, chunk_size: int) -> None:
    created: list[str] = []
    changed: list[str] = []
    # the keys read from the packed rows: no object is built for the check but a clash's
    for chunk in staged.creates.keys(importer.key_attnames, chunk_size):
        found = importer.existing([key for _, key, _ in chunk])
        if found:
            created += [
                f"row {number}: {importer.key_text(staged.creates.built(position))}"
                for number, key, position in chunk
                if key in found
            ]
    model = importer.model
    for update_chunk in _chunks(staged.updates, chunk_size):
        rows = {obj.pk: (number, before, obj) for number, before, obj in update_chunk}
        names = ["version"] if importer.versioned else list(update_chunk[0][1])
        locked = model._default_manager.select_for_update().filter(pk__in=rows).order_by("pk")
        now = {values["pk"]: values for values in locked.values("pk", *names)}
        for pk, (number, before, obj) in rows.items():
            current = now.get(pk)
            if current is None or any(current[name] != before[name] for name in names):
                changed.append(f"row {number}: {importer.key_text(obj)}")
    if not created and not changed:
        return
    parts = []
    if created:
        parts.append(f"created {_some(created)}")
    if changed:
        parts.append(f"changed or deleted {_some(changed)}")
    raise Conflict(
        "Nothing was written: while the file was being checked, someone else "
        + " and ".join(parts)
        + ". Run the import again: it will compare with the records as they are now."
    )


def _some(rows: list[str]) -> str:
    listed = "; ".join(rows[:5])
    more = f" and {len(rows) - 5:,} more" if len(rows) > 5 else ""
    count = "1 record" if len(rows) == 1 else f"{len(rows):,} records"
    return f"{count} of this file ({listed}{more})"
