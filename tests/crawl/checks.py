"""What the crawl asserts about one response, whatever its format.

A response is turned into text (HTML and JSON as sent; CSV cells; XLSX cells, sheet names and
headers; PDF text as pypdf extracts it, also with whitespace removed so that a wrapped token is
still found) and checked for:

- a canary token of a record the viewer may not read (rules.may_see);
- a time canary (a day of a canary shipment) or the canary hub where the viewer has no need;
  the hub's name is reference data in the location register and in a form's choices, so it counts
  only elsewhere;
- status 500 or a traceback;
- an unescaped markup payload in HTML;
- a CSV cell a spreadsheet would run as a formula (starts with = + - @ tab or CR and is not a
  number), an XLSX cell stored as a formula;
- another nation's discrepancy photo: its bytes, or an image of its size in a PDF or workbook.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from . import rules
from .rules import Canary, Viewer

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MARKUP_SIGNS = ("<svg/onload", '<img src="/etc/passwd"')
MONTHS = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"
MONTH_NO = {m: i for i, m in enumerate(MONTHS.split("|"), start=1)}
# The canary years: no other record has a day in them.
YEARS = "|".join(str(rules.CANARY_YEAR + n) for n in range(3))
DATE_RES = (
    (re.compile(rf"\b({YEARS})-(\d\d)-(\d\d)"), ("y", "m", "d")),
    (re.compile(rf"\b({MONTHS})[a-z]*\.? (\d{{1,2}}), ({YEARS})"), ("b", "d", "y")),
    (re.compile(rf"\b(\d{{1,2}}) ({MONTHS})[a-z]* ({YEARS})"), ("d", "b", "y")),
    (re.compile(rf"\b(\d\d)\.(\d\d)\.({YEARS})"), ("d", "m", "y")),
)
OPTION_RE = re.compile(r"<option\b[^>]*>.*?</option>", re.S)
REFERENCE_PATHS = ("/locations/", "/api/v1/locations", "/export/locations/")


@dataclass(frozen=True)
class Finding:
    role: str
    kind: str
    url: str
    what: str  # canary | route | 500 | markup | formula | photo | oracle | eta window
    detail: str  # what leaked (a canary's field) or went wrong
    owner: str = ""  # whose record it is
    where: str = ""  # in the answer: a cell...


@dataclass
class Inspector:
    canaries: dict[str, Canary]
    photos: dict[tuple[str, str], tuple[int, int]]  # (nation, klass) -> image size
    photo_bytes: dict[bytes, tuple[str, str]]
    findings: list[Finding] = field(default_factory=list)
    unknown_tokens: set[str] = field(default_factory=set)
    # viewer -> nation -> day offsets from that nation's canary ETA seen in one response
    eta_offsets: dict[str, dict[str, list[frozenset[int]]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list))
    )
    # viewer -> the canaries it read that it may read: proof the crawl reached the records
    read: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    _seen: set[tuple[str, str, str, str, str]] = field(default_factory=set)

    def add(
        self,
        viewer: Viewer,
        kind: str,
        url: str,
        what: str,
        detail: str,
        owner: str = "",
        where: str = "",
    ) -> None:
        key = (viewer.login, url, what, detail, owner)
        if key not in self._seen:
            self._seen.add(key)
            self.findings.append(Finding(viewer.login, kind, url, what, detail, owner, where))

    def leak(
        self, viewer: Viewer, kind: str, url: str, what: str, canary: Canary, note: str = ""
    ) -> None:
        klass = f" [{canary.klass}]" if canary.klass else ""
        self.add(viewer, kind, url, what, f"{canary.what}{klass}{note}", canary.nation)

    def check(
        self, viewer: Viewer, kind: str, url: str, response: Any, echo: Iterable[str] = ()
    ) -> str:
        """Check one response; return its text as sent (for links and comparisons)."""
        status = response.status_code
        body = _body(response)
        ctype = response.get("Content-Type", "")
        if status >= 500:
            self.add(viewer, kind, url, "500", f"status {status}{_exception(response)}")
        text, images = self._text(viewer, kind, url, body, ctype)
        if "Traceback (most recent call last)" in text:
            self.add(viewer, kind, url, "500", "a traceback in the answer")
        scanned = text
        for sent in echo:  # what the crawl itself sent is no leak when it comes back
            if len(sent) >= 6:
                for form in (sent, json.dumps(sent)[1:-1], html.escape(sent)):
                    scanned = scanned.replace(form, "«sent»")
        self._canaries(viewer, kind, url, scanned, ctype)
        self._dates(viewer, kind, url, scanned)
        for size in images:
            for (nation, klass), photo_size in self.photos.items():
                canary = Canary("", nation, "logistics.discrepancy.photo", klass)
                if size == photo_size and not rules.may_see(viewer, canary):
                    self.leak(viewer, kind, url, "photo", canary, " (embedded)")
        if ctype.startswith("image/") and status == 200:
            owner = self.photo_bytes.get(body)
            if owner:
                canary = Canary("", owner[0], "logistics.discrepancy.photo", owner[1])
                if not rules.may_see(viewer, canary):
                    self.leak(viewer, kind, url, "photo", canary, " (served)")
        return text

    # ---- formats ----

    def _text(
        self, viewer: Viewer, kind: str, url: str, body: bytes, ctype: str
    ) -> tuple[str, list[tuple[int, int]]]:
        if "pdf" in ctype:
            return _pdf_text(body)
        if "spreadsheetml" in ctype:
            text, formulas, images = _xlsx(body)
            for where, value in formulas:
                self.add(viewer, kind, url, "formula", f"XLSX formula cell {value!r}", where=where)
            return text, images
        text = body.decode("utf-8-sig", errors="replace")
        if "csv" in ctype:
            for where, value in _csv_formulas(text):
                self.add(viewer, kind, url, "formula", f"CSV cell {value!r}", where=where)
        if "html" in ctype or "svg" in ctype:
            for sign in MARKUP_SIGNS:
                if sign in text:
                    at = text.index(sign)
                    self.add(
                        viewer,
                        kind,
                        url,
                        "markup",
                        f"unescaped {sign!r}",
                        where=text[at - 60 : at + 40],
                    )
        return text, []

    # ---- leaks ----

    def _canaries(self, viewer: Viewer, kind: str, url: str, text: str, ctype: str) -> None:
        found = set(rules.CANARY_RE.findall(text))
        squeezed = re.sub(r"\s+", "", text) if "pdf" in ctype else ""
        found |= set(rules.CANARY_RE.findall(squeezed))
        for nation, digits in sorted(found):
            tok = f"CNRY-{nation}-{digits}"
            canary = self.canaries.get(tok)
            if canary is None:
                self.unknown_tokens.add(tok)
                continue
            if rules.may_see(viewer, canary):
                self.read[viewer.login].add(tok)
                continue
            if tok == rules.HUB.token:
                path = url.split("?")[0]
                outside = OPTION_RE.sub("", text) if "html" in ctype else text
                if path.startswith(REFERENCE_PATHS) or tok not in outside:
                    continue  # the hub as reference data, not as a shipment's route
                self.leak(viewer, kind, url, "route", canary)
                continue
            self.leak(viewer, kind, url, "canary", canary)

    def _dates(self, viewer: Viewer, kind: str, url: str, text: str) -> None:
        days = set(_days(text))
        if not days:
            return
        for day in days:
            canary = rules.DATES.get(day)
            if canary is not None and not rules.may_see(viewer, canary):
                self.leak(viewer, kind, url, "route", canary, f" ({day})")
        for nation, eta in rules.CANARY_ETA.items():
            route = Canary("", nation, "time: ETA", route=True)
            if rules.may_see(viewer, route):
                continue
            offsets = frozenset((d - eta).days for d in days if abs((d - eta).days) <= 7)
            if offsets:
                self.eta_offsets[viewer.login][nation].append(offsets)

    def eta_windows(self, viewer: Viewer) -> None:
        """A window at a fixed offset from the ETA gives the ETA: when every canary shipment the
        viewer saw a window for shows the same offsets (their ETAs fall on different weekdays, so
        a window of whole weeks would not), or a window ends on the documented −1/+2 days."""
        seen = self.eta_offsets.get(viewer.login, {})
        common: set[int] | None = None
        for nation, sets in seen.items():
            union = set().union(*sets)
            common = union if common is None else common & union
            if {-1, 2} <= union:
                self.add(
                    viewer,
                    "page",
                    "(all)",
                    "eta window",
                    "a window of ETA−1 … ETA+2 gives the exact ETA",
                    f"{nation} ({rules.CANARY_ETA[nation]})",
                )
        if len(seen) >= 2 and common and min(common) < 0 < max(common):
            self.add(
                viewer,
                "page",
                "(all)",
                "eta window",
                f"windows at the same offsets {sorted(common)} from every ETA",
            )


def _exception(response: Any) -> str:
    """The exception behind a 500 and the last line of coordcell's own code it passed."""
    info = getattr(response, "exc_info", None)
    if not info:
        return ""
    import traceback

    ours = [f for f in traceback.extract_tb(info[2]) if "/coordcell/" in f.filename]
    where = f" at {ours[-1].filename.split('/coordcell/', 1)[1]}:{ours[-1].lineno}" if ours else ""
    return f": {info[0].__name__}{where}"


def _body(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return bytes(response.content)


def _days(text: str) -> Iterable[dt.date]:
    for regex, order in DATE_RES:
        for match in regex.finditer(text):
            parts = dict(zip(order, match.groups(), strict=True))
            month = MONTH_NO[parts["b"][:3]] if "b" in parts else int(parts["m"])
            try:
                yield dt.date(int(parts["y"]), month, int(parts["d"]))
            except ValueError:
                continue


def _number(value: str) -> bool:
    try:
        float(value.replace(",", ""))
    except ValueError:
        return False
    return True


def _csv_formulas(text: str) -> list[tuple[str, str]]:
    found = []
    for r, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        for c, cell in enumerate(row, start=1):
            if cell.startswith(FORMULA_START) and not _number(cell):
                found.append((f"row {r} column {c}", cell.split(" ")[0][:12]))
    return found


def _xlsx(body: bytes) -> tuple[str, list[tuple[str, str]], list[tuple[int, int]]]:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(body))
    parts, formulas, images = [], [], []
    for sheet in workbook.worksheets:
        parts.append(sheet.title)
        for header in (sheet.oddHeader, sheet.oddFooter):
            for part in (header.left, header.center, header.right):
                parts.append(part.text or "")
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value is None:
                    continue
                if cell.data_type == "f":
                    formulas.append((f"{sheet.title}!{cell.coordinate}", str(cell.value)[:12]))
                value = cell.value
                parts.append(value.isoformat() if isinstance(value, dt.date) else str(value))
        images += [(int(img.width), int(img.height)) for img in getattr(sheet, "_images", [])]
    return "\n".join(parts), formulas, images


def _pdf_text(body: bytes) -> tuple[str, list[tuple[int, int]]]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(body))
    parts, images = [], []
    for page in reader.pages:
        parts.append(page.extract_text() or "")
        for image in page.images:
            images.append(image.image.size if image.image is not None else (0, 0))
    meta = reader.metadata or {}
    parts += [str(v) for v in meta.values()]
    return "\n".join(parts), images
