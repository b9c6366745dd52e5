"""Import throughput, memory and write time: 200,000 pledges (CSV, XLSX) against a plain read.

    python benchmarks/bench_import.py [--rows 200000] [--keep DIR] [--backends sqlite,postgres]

Each measurement runs in its own process and reports its wall time, CPU time and peak memory
(max RSS). Each backend starts from a fresh database: SQLite in a temporary COORDCELL_DATA_DIR
(WAL, synchronous=FULL, as in production), PostgreSQL in a database ``coordcell_bench_import``
on the server ``scripts/testdb.sh start`` runs (created for the run, dropped after it). The
plain reads (csv module, openpyxl read-only) of the same files are the floor an import cannot
beat; the ratios say what parsing, validation, the natural-key checks, the inserts and one audit
event per row cost on top. "write s" is the length of the import's one write transaction: how
long other writers wait for it. After the imports, the audit chain is verified whole.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "coordcell_bench_import"
HEADER = ["Donor", "Donor reference", "Category", "Quantity", "Available from", "Origin", "Status"]


def _row(i: int, prefix: str) -> list[object]:
    day = dt.date(2027, 1, 4) + dt.timedelta(days=i % 700)
    return [
        "DE" if i % 3 else "Poland",
        f"{prefix}-{i:07d}",
        ("ammo-155", "155 mm HE round", "AMMO 155")[i % 3] if i % 2 else "drone-recon",
        1 + i % 500,
        day.strftime("%d.%m.%Y") if i % 2 else day.isoformat(),
        "depot-de" if i % 3 else "depot-pl",
        "offered" if i % 4 else "Confirmed",
    ]


def make_files(directory: Path, rows: int) -> tuple[Path, Path]:
    from openpyxl import Workbook

    csv_path = directory / "pledges.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(rows):
            writer.writerow(_row(i, "CSV"))
    xlsx_path = directory / "pledges.xlsx"
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Pledges")
    sheet.append(HEADER)
    for i in range(rows):
        sheet.append(_row(i, "XLSX"))
    workbook.save(xlsx_path)
    return csv_path, xlsx_path


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coordcell.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def seed() -> None:
    _setup_django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from decimal import Decimal

    from coordcell.registry.models import ItemCategory, Location, Nation

    de = Nation.objects.create(code="DE", name="Germany", is_donor=True)
    pl = Nation.objects.create(code="PL", name="Poland", is_donor=True)
    for nation, code in ((de, "depot-de"), (pl, "depot-pl")):
        Location.objects.create(
            code=code,
            name=f"{nation.name} depot",
            kind=Location.Kind.DEPOT,
            nation=nation,
            latitude=Decimal("50"),
            longitude=Decimal("10"),
        )
    ItemCategory.objects.create(
        code="ammo-155", name="155 mm HE round", domain="artillery", unit="round"
    )
    ItemCategory.objects.create(
        code="drone-recon", name="Reconnaissance drone", domain="drones", unit="system"
    )


def child(task: str, path: str) -> None:
    """One measurement, in its own process: prints seconds, rows and peak memory as JSON."""
    start = time.perf_counter()
    begun = resource.getrusage(resource.RUSAGE_SELF)
    cpu_start = begun.ru_utime + begun.ru_stime
    rows = 0
    detail = ""
    write = 0.0
    if task == "csv-read":
        with open(path, newline="", encoding="utf-8") as handle:
            for _ in csv.reader(handle):
                rows += 1
        rows -= 1
    elif task == "xlsx-read":
        from openpyxl import load_workbook

        workbook = load_workbook(path, read_only=True, data_only=True)
        for _ in workbook.worksheets[0].iter_rows(values_only=True):
            rows += 1
        workbook.close()
        rows -= 1
    elif task == "verify":
        _setup_django()
        from coordcell.audit.services import verify

        result = verify()
        rows = result.events
        detail = "chain intact" if result.ok else f"FAILED {result.problem}"
    else:
        _setup_django()
        from coordcell.exchange.cli import command_user
        from coordcell.exchange.engine import WRITING, run_import
        from coordcell.exchange.specs import PLEDGES

        began: list[float] = []

        def progress(phase: str, done: int, total: int | None) -> None:
            if phase == WRITING and not began:
                began.append(time.perf_counter())

        report = run_import(
            spec=PLEDGES,
            path=path,
            user=command_user(None),
            commit=task != "dry-run",
            progress=progress,
        )
        write = time.perf_counter() - began[0] if began else 0.0
        rows = report.rows
        detail = report.summary()
        if report.errors or report.fatal:
            detail = "FAILED " + detail
    seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime - cpu_start
    peak_mib = usage.ru_maxrss / 1024
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu": cpu,
                "rows": rows,
                "peak_mib": peak_mib,
                "detail": detail,
                "write": write,
            }
        )
    )


def measure(task: str, path: Path | str, env: dict[str, str]) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", task, str(path)],
        env=env,
        capture_output=True,
        text=True,
    )
    if out.returncode:
        print(out.stderr[-3000:])
        raise SystemExit(out.returncode)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


@contextlib.contextmanager
def database(backend: str, directory: Path) -> Iterator[str]:
    """DATABASE_URL of a fresh database for ``backend`` ("" is SQLite under ``directory``)."""
    if backend == "sqlite":
        for name in ("coordcell.sqlite3", "coordcell.sqlite3-wal", "coordcell.sqlite3-shm"):
            (directory / name).unlink(missing_ok=True)
        yield ""
        return
    import psycopg

    url = (
        subprocess.run(
            [str(ROOT / "scripts/testdb.sh"), "start"], capture_output=True, text=True, check=True
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    server = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")
        conn.execute(f"CREATE DATABASE {BENCH_DB}")
    try:
        yield url.rsplit("/", 1)[0] + "/" + BENCH_DB
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")


HEADING = (
    f"{'measurement':<34}{'rows/s':>10}{'seconds':>9}{'rows/cpu-s':>12}{'cpu s':>8}"
    f"{'peak MiB':>10}{'write s':>9}{'vs plain read':>16}"
)


def run_backend(
    backend: str, directory: Path, csv_path: Path, xlsx_path: Path, rows: int
) -> list[str]:
    """The table's lines for one database."""
    lines = []
    with database(backend, directory) as url:
        env = {**os.environ, "COORDCELL_DATA_DIR": str(directory), "DATABASE_URL": url}
        # More rows than an installation imports at once by default: measure them all the same.
        env["COORDCELL_IMPORT_MAX_ROWS"] = str(max(rows, 100_000))
        subprocess.run([sys.executable, __file__, "--child", "seed", "-"], env=env, check=True)
        results = [
            ("plain csv read", "csv-read", csv_path),
            ("import CSV, dry run", "dry-run", csv_path),
            ("import CSV, commit", "commit", csv_path),
            ("re-import CSV (all unchanged)", "commit", csv_path),
            ("plain openpyxl read (read-only)", "xlsx-read", xlsx_path),
            ("import XLSX, commit", "commit", xlsx_path),
        ]
        floors = {}
        for label, task, path in results:
            result = measure(task, path, env)
            if str(result["detail"]).startswith("FAILED"):
                lines.append(f"  {label}: {result['detail']}")
            rate = int(result["rows"]) / float(result["seconds"])  # type: ignore[arg-type]
            if task.endswith("-read"):
                floors[path.suffix] = (rate, float(result["peak_mib"]))  # type: ignore[arg-type]
                ratio = "1.0× / 1.0×"
            else:
                floor_rate, floor_mem = floors[path.suffix]
                ratio = f"{floor_rate / rate:.1f}× / {float(result['peak_mib']) / floor_mem:.1f}×"  # type: ignore[arg-type]
            cpu = float(result["cpu"])  # type: ignore[arg-type]
            lines.append(
                f"{label:<34}{rate:>10,.0f}{float(result['seconds']):>9.1f}"  # type: ignore[arg-type]
                f"{int(result['rows']) / max(cpu, 1e-9):>12,.0f}{cpu:>8.1f}"  # type: ignore[call-overload]
                f"{float(result['peak_mib']):>10.0f}{float(result.get('write', 0)):>9.1f}"  # type: ignore[arg-type]
                f"{ratio:>16}"
            )
        check = measure("verify", "-", env)
        lines.append(f"audit trail: {int(check['rows']):,} events, {check['detail']}")  # type: ignore[call-overload]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--keep", help="work in this directory and keep it")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    directory = Path(args.keep or tempfile.mkdtemp(prefix="coordcell-bench-"))
    directory.mkdir(parents=True, exist_ok=True)
    print(f"{args.rows:,} pledges; files in {directory}", flush=True)
    started = time.perf_counter()
    csv_path, xlsx_path = make_files(directory, args.rows)
    print(f"  files written in {time.perf_counter() - started:.1f} s", flush=True)
    tables = []
    for backend in args.backends.split(","):
        print(f"  {backend} …", flush=True)
        tables.append((backend, run_backend(backend, directory, csv_path, xlsx_path, args.rows)))
    print(f"\nload average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for backend, lines in tables:
        print(f"\n{backend}\n{HEADING}")
        print("\n".join(lines))
    print("\n'vs plain read': wall-time ratio / peak-memory ratio against reading the same file.")
    print("cpu s: the process's own CPU time; on a busy machine it is the steadier figure.")
    print("write s: the one write transaction (others' writes wait for it); 0 without writes.")


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "--child" and sys.argv[2] == "seed":
        seed()
    else:
        main()
