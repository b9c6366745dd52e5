"""Cell references (P-000123, R-000042, S-000007, ...), distinct under any concurrency.

One counter row per prefix, locked (``SELECT ... FOR UPDATE``) in the transaction that saves the
records it numbers, so two coordinators creating pledges at the same moment get P-000201 and
P-000202 on PostgreSQL as on SQLite (whose write transactions queue anyway). Each allocation
starts above both the counter and the highest reference stored, so rows numbered elsewhere (the
demo data, an import) are never numbered again. A number is not reused when its record is
deleted; a transaction that rolls back gives its numbers back.

Lock order: a transaction takes its counter before any other lock, above all before the audit
head (``audit.services.record``). One that holds the head and waits for a counter deadlocks with
one that holds the counter and waits for the head; so an action that numbers records only after
an audited write (a plan's commit making shipments, an import's later chunks) calls ``hold()``
first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import IntegrityError, models, transaction

from .models import ReferenceCounter


@dataclass(frozen=True)
class Numbering:
    """References ``<prefix>-<number, zero-padded to width>`` of one model's ``field``."""

    prefix: str
    width: int
    model: type[models.Model]
    field: str = "reference"

    def format(self, number: int) -> str:
        return f"{self.prefix}-{number:0{self.width}d}"

    def next(self) -> str:
        """The next reference, for a record the caller's transaction saves."""
        return self.take(1)[0]

    def take(self, count: int) -> list[str]:
        """The next ``count`` references, in order, for records the caller's transaction saves
        (with ``count=0``, only take the counter: see ``hold``)."""
        with transaction.atomic():
            counter = _locked(self.prefix)
            start = max(counter.last, self.highest_stored()) + 1
            if count:
                counter.last = start + count - 1
                counter.save(update_fields=["last"])
        return [self.format(n) for n in range(start, start + count)]

    def hold(self) -> None:
        """Take the counter now, until the caller's transaction ends (see the lock order)."""
        self.take(0)

    def highest_stored(self) -> int:
        # The unique index on the reference gives the last one at once. Numbers past the width
        # (P-1000000) sort below P-999999 here: the counter itself carries those.
        last = (
            self.model._default_manager.filter(
                **{f"{self.field}__regex": rf"^{re.escape(self.prefix)}-[0-9]+$"}
            )
            .order_by(f"-{self.field}")
            .values_list(self.field, flat=True)
            .first()
        )
        return int(str(last).rsplit("-", 1)[1]) if last else 0


def _locked(prefix: str) -> ReferenceCounter:
    counter = ReferenceCounter.objects.select_for_update().filter(prefix=prefix).first()
    if counter is not None:
        return counter
    try:
        with transaction.atomic():  # a savepoint: another transaction may create it first
            ReferenceCounter.objects.create(prefix=prefix, last=0)
    except IntegrityError:
        pass
    return ReferenceCounter.objects.select_for_update().get(prefix=prefix)
