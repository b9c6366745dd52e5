"""The canary crawl (issue 23): every role reads everything it can reach, and nothing it reads may
carry another nation's record, a route or time it has no need of, a 500, markup that runs, or a
cell a spreadsheet would run as a formula.

The access matrix (test_access_matrix.py) asks each endpoint whether the access function of its
object type lets a role open an object; it cannot see what a page, an export, a chart or an error
message *prints*. This test looks at what is printed. It runs in both passes of ``make test``.

Fixture (tests/crawl/estate.py): the small demo scenario, a committed allocation (and a second
plan against it), shipments of DE, PL and US in every state with their events, serials,
discrepancies with photos (one at the hub, one at handover), an end-use check, a hub check that
finds another nation's serial, cohorts booked at a British and a German site, a queued scheduler
run, readiness computed — all through the services. Then every free-text field (CharField or
TextField without choices, walked generically so that a new field is covered; a new model with
free text fails the test until rules.OWNED or rules.EXEMPT says who owns it) of every record a
nation owns holds ``CNRY-<nation>-<hex>-<pk>``, the hex naming the field and the record's
visibility class. References are canaried before the events that quote them are recorded, so
texts the app derives (a check's discrepancy, readiness texts) quote canaries too. Owners: the
donor of a pledge, its depot, a shipment and everything on it (events, serials, discrepancies,
end-use checks); the recipient of requirements and cohorts; the host nation of a site's sessions
and blackouts; a user of its names, tokens and saved mappings. Payloads: markup
(``"><svg/onload=alert(1)>``, ``<img src="/etc/passwd"/>``), formulas (``=1+1``, ``-2+3``,
``@SUM(A1)``, ``+1+1``, tab, CR) and oversize text (a field's whole length, 20,000 characters in a
TextField) in a few records of each nation (before their canary) and in reference records that
charts and the briefing print (nation, coalition, capability, package, category, course and
location names); the largest numbers some fields accept (2^31 − 1; Pledge.value 99999999999999.99).

Who may see what (tests/crawl/rules.py) is written down once from README.md, docs/logistics.md
and docs/training.md — never taken from the app's access functions, which are what is tested.
Routes and times: one in-transit shipment of each of DE, PL and US carries days 11 to 13 years
ahead, which no other record has (planned, expected and actual leg times, ETA, next
milestone, status time, event times), PL's through a hub whose name is a canary, and each has a
capability package of its own, so readiness (computed after these days are planted) reads them.
The cell and the shipment's donor have need of them; the recipient of the handover point, an ETA
window and the handover events; a site officer of nothing. A window at a fixed offset of the ETA
gives the ETA: the ETAs fall on different weekdays, so a window that shows the same offsets for
every shipment (or the documented −1/+2 days) is a finding.

Decisions about what is *not* a finding (each a false positive seen and checked by hand):
the canary hub's name is reference data in the location register (pages, API, export) and in a
form's choices; a refusal of a serial already on another manifest is documented
(docs/logistics.md), so only its wording is checked (naming the other shipment is a leak), not
that it refuses; values the crawl itself sent (a search, a probe's id) are blanked in the answer.

Crawl (tests/crawl/crawler.py), for each role and anonymous: links from the home page followed
breadth-first (href and src, hx-get as htmx fragments, GET forms with their defaults and their
last choices), every URL pattern filled with ids of each nation's records (others' too; a
pattern it cannot fill fails the test), every GET operation of the OpenAPI schema (lists on two
pages, details by id), every register's CSV and XLSX export, the briefing (PDF text by pypdf,
images by size; XLSX cells by openpyxl) and the reports page with its charts' data tables,
unscoped and scoped. Writes that name other nations' records (tests/crawl/probes.py: the event
feed, the shipment page, merges, end-use checks, pledges by form, API and import, sessions), in
savepoints rolled back, for their error messages: an answer that differs for another nation's
record and for an unknown one says the record exists — a leak too. Oversize numbers (2^63,
2^63 − 1, a 16-digit value) are written and the lists read right after. Every request runs in a
savepoint rolled back after it, so the crawl changes nothing and, on PostgreSQL, one failing
query does not abort the rest. Bounded by shape (two URLs per view, with and without a query),
the crawl prints its requests per role and kind, the canaries each role read (proof it reached
the records), its time (wall and CPU), the views no role got a 2xx from, and every finding:
role, URL, what leaked and whose. Findings are collected, not stopped at.

Run it alone: ``DATABASE_URL= .venv/bin/pytest tests/test_canary_crawl.py -q -s``.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from typing import Any

import pytest

from tests.crawl import estate as estate_module
from tests.crawl.canaries import uncovered_models
from tests.crawl.checks import Inspector
from tests.crawl.crawler import KINDS, Crawl, view_names
from tests.crawl.probes import UPLOAD_RE, Probes
from tests.crawl.rules import VIEWERS
from tests.crawl.samples import samples as samples_of

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture
def estate(django_capture_on_commit_callbacks: Any, settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.COORDCELL_IMPORT_DIR = tmp_path / "uploads"
    return estate_module.build(capture=django_capture_on_commit_callbacks)


def test_no_role_reads_what_it_may_not(estate: Any, caplog: Any) -> None:
    caplog.set_level(logging.CRITICAL, logger="django.request")  # 404s by the thousand
    assert not uncovered_models(), (
        "models with free text and no canary rule (tests/crawl/rules.py OWNED or EXEMPT): "
        f"{uncovered_models()}"
    )
    began, cpu = time.perf_counter(), time.process_time()
    samples = samples_of(estate)
    inspector = Inspector(estate.canaries, estate_module.PHOTO_SIZES, estate.photos)
    counts: dict[str, Counter[str]] = {}
    unfilled: set[str] = set()
    answered: set[str] = set()
    seconds: dict[str, float] = {}
    cost: Counter[str] = Counter()
    for viewer in VIEWERS:
        crawl = Crawl(viewer, estate.users.get(viewer.login), inspector, samples)
        crawl.links()
        crawl.url_conf()
        crawl.api()
        crawl.exports()
        crawl.briefing()
        Probes(crawl, estate).run()
        inspector.eta_windows(viewer)
        unfilled |= crawl.unfilled
        answered |= crawl.answered
        counts[viewer.login], seconds[viewer.login] = crawl.counts, crawl.seconds
        cost.update(crawl.cost)
    crawl_seconds = (time.perf_counter() - began, time.process_time() - cpu)
    print(_report(estate, counts, seconds, crawl_seconds, inspector))
    print("views no role got a 2xx from:", ", ".join(sorted(view_names() - answered)))
    print("slowest views:", ", ".join(f"{v} {s:.1f}" for v, s in cost.most_common(15)))
    assert not unfilled, (
        f"URL patterns the crawl has no ids for (crawler.pattern_model): {unfilled}"
    )
    assert not inspector.findings, f"{len(inspector.findings)} findings: see the list above"


def _report(
    estate: Any,
    counts: dict[str, Counter[str]],
    seconds: dict[str, float],
    crawl_seconds: tuple[float, float],
    inspector: Inspector,
) -> str:
    findings = inspector.findings
    lines = ["", "canary crawl: requests per role and kind"]
    header = f"{'role':<12}" + "".join(f"{k:>12}" for k in KINDS) + f"{'total':>8}{'s':>7}"
    header += "  canaries read"
    lines.append(header)
    total: Counter[str] = Counter()
    for role, by_kind in counts.items():
        total.update(by_kind)
        cells = "".join(f"{by_kind[k]:>12}" for k in KINDS)
        read = len(inspector.read.get(role, ()))
        lines.append(f"{role:<12}{cells}{sum(by_kind.values()):>8}{seconds[role]:>7.1f}{read:>16}")
    lines.append(
        f"{'all':<12}" + "".join(f"{total[k]:>12}" for k in KINDS) + f"{sum(total.values()):>8}"
    )
    setup = ", ".join(f"{k} {v:.1f} s" for k, v in estate.timings.items())
    wall, cpu = crawl_seconds
    lines.append(f"fixture: {setup}; crawl {wall:.1f} s ({cpu:.1f} s of CPU)")
    lines.append(f"{len(estate.canaries)} canaries planted")
    groups: dict[tuple[str, str, str], tuple[set[str], list[str]]] = {}
    for f in findings:
        owners, where = groups.setdefault((f.what, f.detail, f.role), (set(), []))
        if f.owner:
            owners.add(f.owner)
        url = UPLOAD_RE.sub("<upload>", f.url)
        where.append(f"{f.kind} {url}" + (f" ({f.where})" if f.where else ""))
    lines.append(f"{len(findings)} findings, {len(groups)} distinct:")
    for (what, detail, role), (owners, where) in sorted(groups.items()):
        whose = f" of {', '.join(sorted(owners))}" if owners else ""
        seen = list(dict.fromkeys(where))
        shown = ", ".join(seen[:3]) + (f" and {len(seen) - 3} more" if len(seen) > 3 else "")
        lines.append(f"  [{what}] {role}: {detail}{whose} — {shown}")
    return "\n".join(lines)


def test_the_checks_catch_what_they_look_for() -> None:
    """The crawl passes only if its checks work: each kind of finding, from a made-up answer."""
    import datetime as dt
    import io

    from django.http import HttpResponse
    from openpyxl import Workbook
    from reportlab.pdfgen.canvas import Canvas

    from tests.crawl import rules

    pledge = rules.Canary(
        rules.token("PL", "pledges.pledge.conditions", "offered"),
        "PL",
        "pledges.pledge.conditions",
        "offered",
    )
    inspector = Inspector({pledge.token: pledge}, {}, {})
    donor, recipient = rules.VIEWERS[3], rules.VIEWERS[5]
    eta = rules.CANARY_ETA["PL"]

    def answer(body: bytes | str, ctype: str = "text/html", status: int = 200) -> HttpResponse:
        return HttpResponse(body, content_type=ctype, status=status)

    workbook, pdf = Workbook(), io.BytesIO()
    workbook.active["A1"] = "=1+1"
    xlsx = io.BytesIO()
    workbook.save(xlsx)
    canvas = Canvas(pdf)
    canvas.drawString(72, 720, f"conditions: {pledge.token}-17")
    canvas.save()
    inspector.check(donor, "page", "/a", answer(f"<p>{pledge.token}-17</p>"))
    inspector.check(donor, "page", "/b", answer('<p>"><svg/onload=alert(1)></p>'))
    inspector.check(donor, "export", "/c", answer("a,b\n-5,-2+3 x\n", "text/csv"))
    inspector.check(
        donor,
        "xlsx",
        "/d",
        answer(
            xlsx.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        ),
    )
    inspector.check(donor, "page", "/e", answer("", status=500))
    inspector.check(donor, "page", "/f", answer(f"<td>{eta.isoformat()}</td>"))
    inspector.check(donor, "pdf", "/g", answer(pdf.getvalue(), "application/pdf"))
    window = [eta - dt.timedelta(days=1), eta + dt.timedelta(days=2)]
    inspector.check(recipient, "page", "/h", answer(" – ".join(d.isoformat() for d in window)))
    inspector.eta_windows(recipient)
    found = {(f.url, f.what) for f in inspector.findings}
    assert found == {
        ("/a", "canary"),
        ("/b", "markup"),
        ("/c", "formula"),
        ("/d", "formula"),
        ("/e", "500"),
        ("/f", "route"),
        ("/g", "canary"),
        ("(all)", "eta window"),
    }, found
