"""The canary crawl (issue 23): every role reads everything it can reach, and nothing it reads may
carry another nation's record, a route or time it has no need of, a 500, markup run as markup or
a cell a spreadsheet would run as a formula.

The access matrix (test_access_matrix.py) asks each endpoint whether the access function of its
object type lets a role open an object; it cannot see what a page, an export, a chart or an error
message *prints*. This test looks at what is printed.

Fixture (tests/crawl/estate.py): the small demo scenario, a committed allocation, shipments of
DE, PL and US in every state with their events, serials, discrepancies with photos, an end-use
check, cohorts booked at a British and a German site, readiness computed — all through the
services. Then every free-text field (CharField/TextField without choices, walked generically, so
a new field is covered; a new model with free text fails the test until it is given an owner or
an exemption in tests/crawl/rules.py) of every record a nation owns holds ``CNRY-<nation>-<hex>``
unique to that nation, field and visibility class. Owners: the donor of a pledge, a shipment and
everything on it (events, serials, discrepancies, end-use checks); the recipient of requirements
and cohorts; the host nation of a site's sessions and blackouts; a donor of its depot; a user of
its names and tokens. Records hold markup (``"><svg/onload=alert(1)>``,
``<img src="/etc/passwd"/>``), formula (``=1+1``, ``-2+3``, ``@SUM(A1)``, ``+1+1``, tab, CR) and
oversize payloads (text up to the field's limit, 20,000 characters in a TextField), and so do
reference records that charts and the briefing print (a nation's, a coalition's, a capability's,
a package's, a category's, a course's, a location's name); some numbers hold the largest value
their field accepts.

Who may see which canary (tests/crawl/rules.py) is written down once from README.md,
docs/logistics.md and docs/training.md — not taken from the app's access functions, which are
what is tested. Routes and times: one shipment of each of DE, PL and US carries days of 2037-2039
no other record has (planned, expected and actual leg times, ETA, next milestone, status time,
event times), PL's goes through a hub whose name is a canary; the cell and the shipment's donor
have need of them, the recipient only of an ETA window (a window at a fixed offset of the ETA
gives the ETA: the ETAs fall on different weekdays to tell), a site officer of nothing.

Crawl (tests/crawl/crawler.py), for each role and anonymous: links from the home page followed
breadth-first (href, hx-get as htmx fragments, GET forms with their choices), every URL pattern
filled with ids of each nation's records (others' too), every GET operation of the OpenAPI
schema, every register's CSV and XLSX export, the briefing (PDF text by pypdf, XLSX cells by
openpyxl) and the reports page with two scopes, and writes that name other nations' records
(tests/crawl/probes.py) for their error messages: an answer that tells another nation's record
exists (differs from the answer for an unknown one) is a leak too. Bounded by shape (two URLs per
view and query parameters), it prints its requests per role and kind and its time.

Findings are collected, not stopped at: each names the role, the URL, and what leaked.
Run it alone: ``DATABASE_URL= .venv/bin/pytest tests/test_canary_crawl.py -q -s``.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from typing import Any

import pytest

from tests.crawl import estate as estate_module
from tests.crawl.checks import Inspector
from tests.crawl.crawler import KINDS, Crawl
from tests.crawl.probes import Probes
from tests.crawl.rules import VIEWERS
from tests.crawl.samples import samples as samples_of

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture
def estate(django_capture_on_commit_callbacks: Any, settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path / "media"
    return estate_module.build(capture=django_capture_on_commit_callbacks)


def test_no_role_reads_what_it_may_not(estate: Any, caplog: Any) -> None:
    caplog.set_level(logging.CRITICAL, logger="django.request")  # 404s by the thousand
    assert not estate_module.uncovered_models(), (
        "models with free text and no canary rule (tests/crawl/rules.py OWNED or EXEMPT): "
        f"{estate_module.uncovered_models()}"
    )
    began, cpu = time.perf_counter(), time.process_time()
    samples = samples_of(estate)
    inspector = Inspector(estate.canaries, estate_module.PHOTO_SIZES, estate.photos)
    counts: dict[str, Counter[str]] = {}
    unfilled: set[str] = set()
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
        counts[viewer.login], seconds[viewer.login] = crawl.counts, crawl.seconds
        cost.update(crawl.cost)
    crawl_seconds = (time.perf_counter() - began, time.process_time() - cpu)
    print(_report(estate, counts, seconds, crawl_seconds, inspector))
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
        where.append(f"{f.kind} {f.url}" + (f" ({f.where})" if f.where else ""))
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
