"""Serial numbers as people enter them: pasted or scanned, one per line or separated by spaces,
commas or semicolons; and a check of such a list against a shipment's manifest, per line, in
words. Plain functions over plain values: tested without a database."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

SEPARATORS = re.compile(r"[\s,;]+")
SHOWN = 20  # serials named in one sentence; the rest are counted


def parse_serials(text: str) -> list[str]:
    """The serial numbers in ``text``, in the order given (duplicates kept, to be reported)."""
    return [s for s in SEPARATORS.split(text or "") if s]


def duplicates(values: Sequence[str]) -> list[str]:
    return sorted(s for s, n in Counter(values).items() if n > 1)


@dataclass
class LineCheck:
    """What a pasted list found for one serial-numbered line of a shipment."""

    line_id: int
    label: str
    expected: int
    counted: int = 0
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    other_line: list[tuple[str, str]] = field(default_factory=list)  # (serial, its line's label)
    repeated: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.missing or self.extra or self.other_line or self.repeated)

    def sentences(self) -> list[str]:
        """The findings in words, one sentence per kind."""
        said = []
        if self.missing:
            said.append(
                ngettext(
                    "%(n)d serial on the manifest is missing: %(list)s.",
                    "%(n)d serials on the manifest are missing: %(list)s.",
                    len(self.missing),
                )
                % {"n": len(self.missing), "list": _named(self.missing)}
            )
        if self.extra:
            said.append(
                ngettext(
                    "%(n)d serial is not on the manifest: %(list)s.",
                    "%(n)d serials are not on the manifest: %(list)s.",
                    len(self.extra),
                )
                % {"n": len(self.extra), "list": _named(self.extra)}
            )
        for serial, where in self.other_line:
            said.append(
                _("%(serial)s belongs to another line of this shipment (%(line)s).")
                % {"serial": serial, "line": where}
            )
        if self.repeated:
            said.append(
                ngettext(
                    "%(n)d serial is listed more than once: %(list)s.",
                    "%(n)d serials are listed more than once: %(list)s.",
                    len(self.repeated),
                )
                % {"n": len(self.repeated), "list": _named(self.repeated)}
            )
        return said

    def summary(self) -> str:
        head = _("%(line)s: %(counted)d of %(expected)d serials counted.") % {
            "line": self.label,
            "counted": self.counted,
            "expected": self.expected,
        }
        if self.clean:
            return head + " " + _("All match the manifest.")
        return " ".join([head, *self.sentences()])


def _named(serials: Sequence[str]) -> str:
    shown = ", ".join(serials[:SHOWN])
    rest = len(serials) - SHOWN
    if rest > 0:
        shown += " " + ngettext("and %(n)d more", "and %(n)d more", rest) % {"n": rest}
    return shown


def check_against_manifest(
    manifest: Mapping[int, Sequence[str]],
    labels: Mapping[int, str],
    scanned: Mapping[int | None, Sequence[str]],
) -> list[LineCheck]:
    """Per serial-numbered line (``manifest``: line id -> its serials), what a pasted list found.

    ``scanned`` maps a line id to what was pasted for that line, or ``None`` to a list for the
    whole shipment (one box for a shipment with one serial-numbered line, or a scan of
    everything): each of its serials is then counted on the line whose manifest has it.
    A serial listed under a line whose manifest does not have it is "not on the manifest", or
    "belongs to another line" when another line's manifest has it.
    """
    owner = {serial: line_id for line_id, serials in manifest.items() for serial in serials}
    checks = {
        line_id: LineCheck(line_id, labels.get(line_id, str(line_id)), len(serials))
        for line_id, serials in manifest.items()
    }
    seen: dict[int, set[str]] = {line_id: set() for line_id in manifest}
    loose = list(scanned.get(None, ()))
    for serial in duplicates(loose):
        line_id = owner.get(serial)
        target = checks[line_id] if line_id in checks else next(iter(checks.values()), None)
        if target is not None:
            target.repeated.append(serial)
    for serial in dict.fromkeys(loose):
        line_id = owner.get(serial)
        if line_id is None:
            if checks:
                next(iter(checks.values())).extra.append(serial)
        else:
            seen[line_id].add(serial)
    for line_id, values in scanned.items():
        if line_id is None or line_id not in checks:
            continue
        check = checks[line_id]
        check.repeated += duplicates(values)
        for serial in dict.fromkeys(values):
            home = owner.get(serial)
            if home == line_id:
                seen[line_id].add(serial)
            elif home is not None:
                check.other_line.append((serial, checks[home].label))
            else:
                check.extra.append(serial)
    for line_id, check in checks.items():
        check.counted = len(seen[line_id])
        check.missing = sorted(set(manifest[line_id]) - seen[line_id])
        check.extra.sort()
        check.repeated = sorted(set(check.repeated))
    return list(checks.values())
