"""Growth curve: the heaviest pages and API calls on the small, medium and large demo scenarios.

    python benchmarks/bench_growth.py [--sizes small,medium,large] [--repeat 5] [--rebuild]

Each size is built once into its own SQLite database under ``var/bench/growth-<size>/`` (the
demo scenario with its audit trail, one committed first-fit allocation with its shipments, a
third of them moved along their lifecycle: see bench_dashboards.py) and reused by later runs;
``--rebuild`` makes them again (large takes a few minutes). Each size is measured in its own
process: every page is requested through Django's test client (middleware, session, templates;
no network) once to warm up, then ``--repeat`` times; the table gives the median server time,
the queries of one request, and the ratio large/small.

A paginated list should cost about the same at every size (flat or logarithmic): a ratio near 1
while the data grows 250 times. A ratio that follows the data (linear) names a page that reads
every row: an unindexed sort, a count, a deep OFFSET or an aggregate.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "var" / "bench"
SIZES = ["small", "medium", "large"]
HEAVIEST = 5


def pages(facts: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(label, user, url): the candidates; the table marks the heaviest at the largest size."""
    deep = max(1, int(facts["pledges"] / 50 * 0.9))  # 90% down the list: OFFSET grows with it
    deep_api = max(1, int(facts["pledges"] / 100 * 0.9))
    cursor = facts["audit_cursor"]
    run = facts["run"]
    return [
        ("coordinator dashboard", "coordinator", "/"),
        ("donor dashboard", "donor-de", "/"),
        ("reports page", "coordinator", "/reports/"),
        (
            "pledges: confirmed, by date",
            "coordinator",
            "/pledges/?status=confirmed&sort=-available_from",
        ),
        ("pledges: a donor's own", "donor-de", "/pledges/"),
        ("pledges: deep page", "coordinator", f"/pledges/?page={deep}"),
        ("requirements: open, by need", "coordinator", "/requirements/?status=open&sort=need_by"),
        ("shipments", "coordinator", "/logistics/"),
        ("shipment delays", "coordinator", "/logistics/delays/"),
        ("allocation run lines", "coordinator", f"/allocation/{run}/"),
        ("a donor's allocations", "donor-de", "/allocation/committed/"),
        ("audit trail", "auditor", "/audit/"),
        ("audit trail: by object type", "auditor", "/audit/?target_type=pledges.pledge"),
        (
            "API pledges: filtered",
            "coordinator",
            "/api/v1/pledges?status=confirmed&ordering=-available_from",
        ),
        ("API pledges: default order", "coordinator", "/api/v1/pledges"),
        ("API pledges: deep page", "coordinator", f"/api/v1/pledges?page={deep_api}&page_size=100"),
        ("API requirements", "coordinator", "/api/v1/requirements"),
        ("API audit events", "auditor", "/api/v1/audit-events"),
        ("API audit events: deep cursor", "auditor", f"/api/v1/audit-events?cursor={cursor}"),
    ]


# ---- one size, in its own process --------------------------------------------------------


def _setup(data_dir: Path) -> None:
    # WhiteNoise warns that the cached scenario has no collected static files: pages need none.
    warnings.filterwarnings("ignore", message="No directory at")
    os.environ["COORDCELL_DATA_DIR"] = str(data_dir)
    os.environ["DATABASE_URL"] = ""
    # The cost of computing the figures, not of reusing them (reports/reuse.py).
    os.environ["COORDCELL_FIGURES_SECONDS"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coordcell.settings")
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import django

    django.setup()
    from django.conf import settings

    # No collectstatic here: serve pages with the plain storage, as the tests do.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def _build(size: str) -> None:
    """The scenario into var/bench/growth-<size>/, made in a side folder and renamed when done
    so that an interrupted build is never reused."""
    final = BENCH / f"growth-{size}"
    building = BENCH / f"growth-{size}.building"
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    _setup(building)
    from bench_dashboards import _prepare

    began = time.perf_counter()
    facts = _prepare(size, allocate=True, optimiser=False)
    from django.db import connection

    connection.close()
    (building / "built.json").write_text(json.dumps(facts, default=str))
    shutil.rmtree(final, ignore_errors=True)
    building.rename(final)
    print(
        f"built {size}: {facts['rows']:,} rows, {facts.get('shipments', 0):,} shipments in "
        f"{time.perf_counter() - began:.0f} s",
        file=sys.stderr,
        flush=True,
    )


def _facts() -> dict[str, Any]:
    import base64
    from urllib.parse import quote

    from coordcell.allocation.models import AllocationRun
    from coordcell.audit.models import AuditEvent
    from coordcell.logistics.models import Shipment
    from coordcell.pledges.models import Pledge
    from coordcell.requirements.models import Requirement

    events = AuditEvent.objects.count()
    # A cursor 90% down the trail (newest first), as a client paging through it reaches.
    position = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True)[int(events * 0.9)]
    return {
        "pledges": Pledge.objects.count(),
        "requirements": Requirement.objects.count(),
        "shipments": Shipment.objects.count(),
        "audit events": events,
        "audit_cursor": quote(base64.b64encode(f"p={position}".encode()).decode()),
        "run": AllocationRun.objects.filter(status="committed").values_list("pk", flat=True)[0],
    }


def _measure(size: str, repeat: int) -> dict[str, Any]:
    _setup(BENCH / f"growth-{size}")
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from coordcell.registry.models import User

    call_command("migrate", verbosity=0)  # a cached database gets the indexes added since
    facts = _facts()
    clients: dict[str, Client] = {}
    results = {}
    for label, username, url in pages(facts):
        if username not in clients:
            clients[username] = Client()
            clients[username].force_login(User.objects.get(username=username))
        client = clients[username]
        response = client.get(url)  # warm up, as a second visit finds it
        times = []
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as captured:
                began = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - began) * 1000)
        results[label] = {
            "ms": statistics.median(times),
            "queries": len(captured),
            "status": response.status_code,
        }
    facts.pop("audit_cursor")
    return {"facts": facts, "pages": results}


# ---- the table ---------------------------------------------------------------------------


def _run_size(size: str, repeat: int, rebuild: bool) -> dict[str, Any]:
    me = [sys.executable, str(Path(__file__).resolve())]
    if rebuild or not (BENCH / f"growth-{size}" / "built.json").exists():
        print(f"building the {size} scenario (cached in var/bench/growth-{size}/)", flush=True)
        subprocess.run([*me, "--build", size], check=True, cwd=ROOT)
    out = subprocess.run(
        [*me, "--measure", size, "--repeat", str(repeat)],
        check=True,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _table(by_size: dict[str, dict[str, Any]]) -> None:
    sizes = list(by_size)
    first, last = sizes[0], sizes[-1]
    print()
    print(f"{'rows':<32}" + "".join(f"{s:>22}" for s in sizes))
    for key in ("pledges", "requirements", "shipments", "audit events"):
        print(f"{'  ' + key:<32}" + "".join(f"{by_size[s]['facts'][key]:>22,}" for s in sizes))
    heaviest = sorted(by_size[last]["pages"], key=lambda k: -by_size[last]["pages"][k]["ms"])[
        :HEAVIEST
    ]
    print()
    header = f"{'page':<32}" + "".join(f"{s + ' ms (q)':>22}" for s in sizes)
    print(header + f"{last + '/' + first:>14}")
    for label in by_size[first]["pages"]:
        cells = []
        for s in sizes:
            page = by_size[s]["pages"][label]
            flag = "" if page["status"] == 200 else f" [{page['status']}]"
            cells.append(f"{page['ms']:>12.1f} ({page['queries']:>2}){flag:>6}")
        ratio = by_size[last]["pages"][label]["ms"] / max(by_size[first]["pages"][label]["ms"], 0.1)
        mark = "*" if label in heaviest else " "
        print(f"{mark}{label:<31}" + "".join(f"{c:>22}" for c in cells) + f"{ratio:>13.1f}x")
    print(
        f"\n* the {HEAVIEST} heaviest at {last}. Median server time of one request (ms) and its "
        "queries; ratio = time at the largest size / at the smallest."
    )
    grow = by_size[last]["facts"]["pledges"] / max(by_size[first]["facts"]["pledges"], 1)
    print(
        f"The data grows {grow:,.0f}x (pledges) from {first} to {last}: a paginated list "
        "should stay near 1x."
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(SIZES))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--build", help=argparse.SUPPRESS)
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.build:
        _build(args.build)
        return 0
    if args.measure:
        print(json.dumps(_measure(args.measure, args.repeat)))
        return 0
    sizes = [s for s in args.sizes.split(",") if s]
    by_size = {}
    for size in sizes:
        began = time.perf_counter()
        by_size[size] = _run_size(size, args.repeat, args.rebuild)
        print(f"{size}: measured in {time.perf_counter() - began:.0f} s", flush=True)
    _table(by_size)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
