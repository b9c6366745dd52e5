"""Dashboards and reports on the medium demo scenario: server time and queries per role.

    python benchmarks/bench_dashboards.py [--size medium] [--repeat 10] [--keep DIR] [--optimiser]

Loads the demo scenario into a fresh SQLite database under a temporary COORDCELL_DATA_DIR,
commits one allocation so that committed lines, shipments and hub load exist (a first-fit
matching by default: page timings do not depend on how the plan was made; ``--optimiser``
commits a real optimiser run instead), moves a share of the shipments along their lifecycle
(some received), then requests each role's home dashboard, the reports page and the briefing
through Django's test client (middleware, session, templates; no network) and prints a table
per role: median and worst server time and the number of queries. The target: a dashboard
under 300 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 300
SIGNED = {"handed_over_by": "Sgt. Weber", "taken_over_by": "Capt. Shevchenko"}
STAGES = ["ready_at_origin", "departed", "at_hub", "departed_hub", "handed_over", "received"]


def _setup(data_dir: str) -> None:
    os.environ["COORDCELL_DATA_DIR"] = data_dir
    os.environ["DATABASE_URL"] = ""
    # The cost of computing the figures, not of reusing them (reports/reuse.py).
    os.environ["COORDCELL_FIGURES_SECONDS"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coordcell.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings

    # No collectstatic here: serve pages with the plain storage, as the tests do.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def _prepare(size: str, allocate: bool, optimiser: bool) -> dict[str, Any]:
    from django.core.management import call_command

    from coordcell.demo.scenario import load_demo
    from coordcell.registry.models import Role, User

    began = time.perf_counter()
    call_command("migrate", verbosity=0)
    summary = load_demo(size=size, seed=1, audit=True)
    facts: dict[str, Any] = {"load_s": time.perf_counter() - began, "rows": summary.total_rows}
    if not allocate:
        return facts
    from first_fit import commit_first_fit

    from coordcell.allocation.services import run_commit, run_create, run_execute

    coordinator = User.objects.filter(role=Role.COORDINATOR).first()
    began = time.perf_counter()
    if not optimiser:
        run = commit_first_fit(coordinator, _open_requirements())
        facts["how"] = "simple first-fit matching"
        facts["allocate_s"] = time.perf_counter() - began
        facts["lines"] = run.lines.count()
        facts.update(_move_shipments(coordinator))
        return facts
    run = run_create(actor=coordinator, enqueue=False, parameters={"lexicographic": True})
    try:
        run = run_execute(run.pk)
        run_commit(actor=coordinator, run=run)
        facts["how"] = "optimiser"
    except Exception as exc:  # noqa: BLE001 - the benchmark measures pages, not the solver
        print(f"(the allocation run failed: {exc!r}; committing a simple matching instead)")
        run = commit_first_fit(coordinator, _open_requirements())
        facts["how"] = "simple matching"
    facts["allocate_s"] = time.perf_counter() - began
    facts["lines"] = run.lines.count()
    facts.update(_move_shipments(coordinator))
    return facts


def _open_requirements() -> Any:
    from coordcell.requirements.models import Requirement

    return Requirement.objects.filter(status=Requirement.Status.OPEN).order_by(
        "priority", "need_by", "pk"
    )


def _move_shipments(coordinator: Any) -> dict[str, Any]:
    """Move every third shipment some way along; every ninth is received."""
    from django.utils import timezone

    from coordcell.logistics.models import Shipment
    from coordcell.logistics.services import events_ingest
    from coordcell.registry.models import Role, User

    recipient = User.objects.filter(role=Role.RECIPIENT_LIAISON).first()
    shipments = list(Shipment.objects.order_by("pk").values_list("reference", "pk"))
    now = timezone.now() - dt.timedelta(days=2)
    staff, receipts = [], []
    for i, (ref, _pk) in enumerate(shipments):
        if i % 3:
            continue
        depth = 6 if i % 9 == 0 else 1 + i % 5
        for n, status in enumerate(STAGES[:depth]):
            event = {
                "id": f"bench-{ref}-{status}",
                "shipment": ref,
                "status": status,
                "occurred_at": (now + dt.timedelta(hours=n)).isoformat(),
                **SIGNED,
            }
            (receipts if status == "received" else staff).append(event)
    began = time.perf_counter()
    for batch in range(0, len(staff), 1000):
        events_ingest(actor=coordinator, events=staff[batch : batch + 1000])
    for batch in range(0, len(receipts), 1000):
        events_ingest(actor=recipient, events=receipts[batch : batch + 1000])
    return {
        "shipments": len(shipments),
        "events": len(staff) + len(receipts),
        "events_s": time.perf_counter() - began,
    }


def _measure(client: Any, url: str, repeat: int) -> tuple[list[float], int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times = []
    status = 0
    queries = 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            began = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - began) * 1000)
        status = response.status_code
        queries = len(captured.captured_queries)
    return times, queries, status


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="medium", choices=["small", "medium", "large"])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--no-allocate", action="store_true")
    parser.add_argument("--keep", help="build the database in this folder, or reuse it if there")
    parser.add_argument(
        "--optimiser",
        action="store_true",
        help="commit a real optimiser run (slow on medium); default: a first-fit matching",
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="coordcell-bench-dash-") as temp:
        data_dir = args.keep or temp
        reuse = bool(args.keep) and (Path(data_dir) / "coordcell.sqlite3").exists()
        Path(data_dir).mkdir(parents=True, exist_ok=True)
        _setup(data_dir)
        if reuse:
            print(f"reusing the database in {data_dir}")
            return _report(args.repeat)
        facts = _prepare(args.size, not args.no_allocate, args.optimiser)
        print(f"{args.size} demo: {facts['rows']:,} rows loaded in {facts['load_s']:.1f} s", end="")
        if "lines" in facts:
            print(
                f"; allocation ({facts['how']}) committed ({facts['lines']:,} lines) in "
                f"{facts['allocate_s']:.1f} s; {facts['events']:,} events on "
                f"{facts['shipments']:,} shipments in {facts['events_s']:.1f} s"
            )
        else:
            print()
        return _report(args.repeat)


def _report(repeat: int) -> int:
    from django.test import Client

    from coordcell.registry.models import User

    slow = []
    users = User.objects.exclude(role="").order_by("role", "username")
    seen: set[str] = set()
    for user in users:
        if user.role in seen:
            continue
        seen.add(user.role)
        client = Client()
        client.force_login(user)
        print(f"\n{user.get_role_display()} ({user.username})")
        print(f"  {'page':<28} {'status':>6} {'median ms':>10} {'worst ms':>9} {'queries':>8}")
        pages = [("home dashboard", "/", repeat)]
        if user.sees_everything or user.is_donor_liaison or user.is_recipient_liaison:
            pages += [
                ("reports page", "/reports/", max(2, repeat // 3)),
                ("briefing PDF", "/reports/briefing.pdf", 1),
                ("briefing XLSX", "/reports/briefing.xlsx", 1),
            ]
        for name, url, n in pages:
            client.get(url)  # warm the caches, as a second visit would
            times, queries, status = _measure(client, url, n)
            median = statistics.median(times)
            print(f"  {name:<28} {status:>6} {median:>10.0f} {max(times):>9.0f} {queries:>8}")
            if url == "/" and median > TARGET_MS:
                slow.append(f"{user.username}: {median:.0f} ms")
            if url.endswith(".pdf"):
                from pypdf import PdfReader

                pdf = PdfReader(io.BytesIO(client.get(url).content))
                print(f"  {'':<28} briefing PDF: {len(pdf.pages)} pages")
    print(f"\nTarget: each home dashboard under {TARGET_MS} ms (median server time).")
    if slow:
        print("Over target: " + ", ".join(slow))
        return 1
    print("All dashboards within target.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
