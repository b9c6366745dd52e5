"""`make bench-load`: many people at once on PostgreSQL and on SQLite, measured with locust.

    python benchmarks/load/run.py [--backends postgres,sqlite] [--pg-users 100]
        [--sqlite-users 20] [--duration 60] [--wait 2 8] [--reads 4] [--heavy 8]
        [--heavy-nice 10] [--single [--workers N] [--threads N]] [--server-nice 0] [--fresh]

For each backend: a cached copy of the large demo scenario (built once by ``prepare.py base``:
PostgreSQL in the database ``coordcell_load_base`` of the throwaway server ``scripts/testdb.sh``
starts, SQLite under ``var/bench/load/sqlite-base``) is cloned into a scratch database, so every
run starts from the same data; API tokens and each simulated person's work are made on the clone
(``prepare.py run``). The server runs on loopback (DEBUG off, plain HTTP: the non-production mode,
as COORDCELL_PRODUCTION=1 sends cookies over HTTPS only) as docs/deployment.md sets it up on one
machine: nginx in front of two ``coordcell serve``, one for reads (GET and HEAD, and the login
form) and one for writes and exports, whose CPU share is ``--heavy-nice`` lower, so that saves and
downloads neither hold the reads' processes nor take their cores (``--single``: one ``coordcell
serve`` answers everything, no proxy). locust drives the mix in ``locustfile.py`` headless; the
server is stopped and one table is printed: requests per second, p50/p95/p99 and errors by kind
(pages, API reads, writes, exports), measured after all users have logged in. On PostgreSQL, waits
for the audit chain's head row are sampled from pg_stat_activity; on SQLite, "database is locked"
is counted in the server's log.

The shared test PostgreSQL (port 54329) is left running, as ``make test`` leaves it; the scratch
database ``coordcell_load`` is dropped at the end. ``--fresh`` rebuilds the cached bases.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import math
import os
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
BIN = Path(sys.executable).parent
VAR = ROOT / "var" / "bench" / "load"
KINDS = [("page", "pages"), ("api", "API reads"), ("write", "writes"), ("export", "exports")]
TARGET_P95 = {"page": 300.0, "api": 100.0}
PG_BASE, PG_RUN = "coordcell_load_base", "coordcell_load"
TAIL = 5  # seconds locust runs after the measured window, so that no request is cut off in it
ACCESS_FORMAT = "access %(t)s %(m)s %(U)s %(s)s %(M)sms"
ACCESS_LINE = re.compile(r"access \[([^\]]+)\] (\w+) (\S+) (\d+) (\d+)ms")


def server_kind(method: str, path: str) -> str:
    """The kind of a request in the server's access log, as the locustfile names it."""
    if path.startswith("/login/"):
        return "login"
    if method not in ("GET", "HEAD"):
        return "write"
    if path.startswith("/api/"):
        return "api"
    return "export" if path.startswith("/export/") else "page"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


@dataclass
class Backend:
    name: str
    users: int
    env: dict[str, str]
    data_dir: Path
    pg_url: str = ""
    result: dict[str, Any] = field(default_factory=dict)


# ---- databases ----------------------------------------------------------------------------


def pg_server() -> str:
    url = os.environ.get("LOAD_PG_URL", "")
    if not url:
        out = subprocess.run(
            [str(ROOT / "scripts" / "testdb.sh"), "start"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        url = out.strip().splitlines()[-1]
    return url.rsplit("/", 1)[0]


def pg_admin(server: str, *statements: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        for sql in statements:
            conn.execute(sql)  # type: ignore[arg-type]


def pg_exists(server: str, name: str) -> bool:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    return row is not None


def prepare(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, str(HERE / "prepare.py"), *args], env=env, check=True, cwd=ROOT)


def coordcell_env(database_url: str, data_dir: Path) -> dict[str, str]:
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "COORDCELL_DATA_DIR": str(data_dir),
        "DEBUG": "0",
        "DJANGO_SETTINGS_MODULE": "coordcell.settings",
    }
    env.pop("COORDCELL_PRODUCTION", None)
    return env


def setup_postgres(users: int, fresh: bool) -> Backend:
    server = pg_server()
    if fresh and pg_exists(server, PG_BASE):
        pg_admin(server, f"DROP DATABASE {PG_BASE} WITH (FORCE)")
    if not pg_exists(server, PG_BASE):
        pg_admin(server, f"CREATE DATABASE {PG_BASE}")
    log(f"PostgreSQL base {PG_BASE} on {server.split('@')[-1]} (built once, then cached)")
    began = time.perf_counter()
    try:
        prepare(coordcell_env(f"{server}/{PG_BASE}", VAR / "pg"), "base")
    except subprocess.CalledProcessError:
        # Typically: migrations were renamed since the base was built. Build it again.
        log(f"the cached base does not migrate: building {PG_BASE} again")
        pg_admin(server, f"DROP DATABASE {PG_BASE} WITH (FORCE)", f"CREATE DATABASE {PG_BASE}")
        prepare(coordcell_env(f"{server}/{PG_BASE}", VAR / "pg"), "base")
    log(f"base ready in {time.perf_counter() - began:.0f} s; cloning it into {PG_RUN}")
    pg_admin(
        server,
        f"DROP DATABASE IF EXISTS {PG_RUN} WITH (FORCE)",
        f"CREATE DATABASE {PG_RUN} TEMPLATE {PG_BASE}",
    )
    url = f"{server}/{PG_RUN}"
    return Backend("PostgreSQL", users, coordcell_env(url, VAR / "pg"), VAR / "pg", pg_url=url)


def setup_sqlite(users: int, fresh: bool) -> Backend:
    base_dir, run_dir = VAR / "sqlite-base", VAR / "sqlite"
    if fresh:
        shutil.rmtree(base_dir, ignore_errors=True)
    log(f"SQLite base {base_dir.relative_to(ROOT)} (built once, then cached)")
    began = time.perf_counter()
    try:
        prepare(coordcell_env("", base_dir), "base")
    except subprocess.CalledProcessError:
        log(f"the cached base does not migrate: building {base_dir.name} again")
        shutil.rmtree(base_dir)
        prepare(coordcell_env("", base_dir), "base")
    log(f"base ready in {time.perf_counter() - began:.0f} s; copying it into {run_dir.name}/")
    run_dir.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        (run_dir / f"coordcell.sqlite3{suffix}").unlink(missing_ok=True)
    with (
        sqlite3.connect(base_dir / "coordcell.sqlite3") as src,
        sqlite3.connect(run_dir / "coordcell.sqlite3") as dst,
    ):
        src.backup(dst)
    return Backend("SQLite", users, coordcell_env("", run_dir), run_dir)


def teardown(backend: Backend) -> None:
    if backend.pg_url:
        server = backend.pg_url.rsplit("/", 1)[0]
        pg_admin(server, f"DROP DATABASE IF EXISTS {PG_RUN} WITH (FORCE)")


# ---- the server ---------------------------------------------------------------------------


NGINX_CONF = """\
# Written by benchmarks/load/run.py: the two-pool proxy of docs/deployment.md, on loopback.
{user}worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    upstream coordcell_reads {{ server 127.0.0.1:{reads_port}; }}
    upstream coordcell_heavy {{ server 127.0.0.1:{heavy_port}; }}
    map $request_method $coordcell_pool {{
        GET coordcell_reads;
        HEAD coordcell_reads;
        default coordcell_heavy;
    }}
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 210m;
        proxy_read_timeout 130s;
        proxy_set_header Host $http_host;
        proxy_set_header X-Forwarded-For $remote_addr;
        location / {{ proxy_pass http://$coordcell_pool; }}
        location /export/ {{ proxy_pass http://coordcell_heavy; }}
        location ~ ^/reports/briefing\\.(pdf|xlsx)$ {{ proxy_pass http://coordcell_heavy; }}
        location = /login/ {{ proxy_pass http://coordcell_reads; }}
    }}
}}
"""


@dataclass
class Serving:
    """What answers on the benchmark's port: one `coordcell serve`, or nginx in front of two."""

    processes: list[subprocess.Popen[bytes]]
    note: str

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.processes]


def _launch(command: list[str], nice: int, env: dict[str, str], logfile: Any) -> Any:
    """Start ``command`` in a session of its own at ``nice``.

    With the kernel's autogroups (sched_autogroup_enabled), each session is one scheduling group
    and groups share the CPU by the group's own nice value: a process's nice only ranks it within
    its session. So the session's group gets ``nice`` too, as a cgroup's CPUWeight would.
    """
    if nice:
        command = ["nice", "-n", str(nice), *command]
    process = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=logfile, stderr=subprocess.STDOUT, start_new_session=True
    )
    group = Path(f"/proc/{process.pid}/autogroup")
    if nice and group.exists():
        with contextlib.suppress(OSError):
            group.write_text(str(nice))
    return process


def nginx_binary() -> str:
    found = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/sbin/nginx") if os.access(p, os.X_OK)), ""
    )
    if not found:
        raise SystemExit(
            "nginx not found: `make bench-load` installs it from Debian's packages "
            "(or run with --single for one `coordcell serve` and no proxy)"
        )
    return found


def start_server(backend: Backend, port: int, args: argparse.Namespace) -> Serving:
    subprocess.run(
        [str(BIN / "coordcell"), "collectstatic", "--no-input", "-v", "0"],
        env=backend.env,
        check=True,
        cwd=ROOT,
    )
    logfile = open(VAR / f"server-{backend.name.lower()}.log", "ab")  # noqa: SIM115
    logfile.truncate(0)
    # The access log with each request's time in the server, to tell it from time in the queue.
    env = {**backend.env, "GUNICORN_CMD_ARGS": f"--access-logformat '{ACCESS_FORMAT}'"}
    serve = [str(BIN / "coordcell"), "serve"]
    # --server-nice > 0 puts locust, which stands in for browsers on other machines, ahead of
    # the server (reads pool), so that it reads each response when it arrives.
    nice = args.server_nice
    processes = []
    try:
        if args.single:
            command = [*serve, "--bind", f"127.0.0.1:{port}"]
            command += ["--workers", str(args.workers)] if args.workers else []
            command += ["--threads", str(args.threads)] if args.threads else []
            processes.append(_launch(command, nice, env, logfile))
            note = "one coordcell serve"
        else:
            reads_port, heavy_port = port + 1, port + 2
            reads = [*serve, "--bind", f"127.0.0.1:{reads_port}", "--workers", str(args.reads)]
            heavy = [*serve, "--bind", f"127.0.0.1:{heavy_port}", "--workers", str(args.heavy)]
            processes.append(_launch(reads, nice, env, logfile))
            processes.append(_launch([*heavy, "--no-worker"], nice + args.heavy_nice, env, logfile))
            conf_dir = VAR / "nginx"
            conf_dir.mkdir(parents=True, exist_ok=True)
            (conf_dir / "nginx.conf").write_text(
                NGINX_CONF.format(
                    user="user root;\n" if os.geteuid() == 0 else "",
                    dir=conf_dir,
                    port=port,
                    reads_port=reads_port,
                    heavy_port=heavy_port,
                )
            )
            nginx = [nginx_binary(), "-p", str(conf_dir), "-c", str(conf_dir / "nginx.conf")]
            processes.append(_launch(nginx, nice, env, logfile))
            note = (
                f"nginx → reads (GET) to {args.reads} workers at nice {nice}, writes and "
                f"exports to {args.heavy} at nice {nice + args.heavy_nice}"
            )
        serving = Serving(processes, note)
        deadline = time.time() + 90
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=5) as r:
                    if r.status == 200:
                        return serving
            except OSError:
                time.sleep(0.5)
            if any(p.poll() is not None for p in processes):
                break
    except BaseException:
        stop_server(Serving(processes, ""))
        raise
    stop_server(serving)
    raise SystemExit(f"the server did not start: see {logfile.name}")


def stop_server(serving: Serving) -> None:
    for process in serving.processes:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
    for process in serving.processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


# ---- what happens during the run ----------------------------------------------------------


class Sampler(threading.Thread):
    """CPU of the server, locust and (PostgreSQL) this database's backends; on PostgreSQL also
    how many transactions wait for a lock, and how many of them for the audit chain's head."""

    def __init__(self, server_pids: list[int], pg_url: str) -> None:
        super().__init__(daemon=True)
        self.server_pids, self.pg_url = server_pids, pg_url
        self.locust_pid = 0
        self.stopping = threading.Event()
        self.samples: list[tuple[float, int, int, int]] = []  # time, lock waits, head waits, active
        self.cpu_first: dict[int, float] = {}
        self.cpu_last: dict[int, float] = {}
        self.group: dict[int, str] = {}

    def _cpu(self, pid: int, group: str) -> None:
        import psutil

        try:
            t = psutil.Process(pid).cpu_times()
        except psutil.Error:
            return
        self.cpu_first.setdefault(pid, t.user + t.system)
        self.cpu_last[pid] = t.user + t.system
        self.group[pid] = group

    def _tree(self) -> None:
        import psutil

        for pid in self.server_pids:
            try:
                root = psutil.Process(pid)
                for proc in [root, *root.children(recursive=True)]:
                    self._cpu(proc.pid, "server")
            except psutil.Error:
                pass
        if self.locust_pid:
            self._cpu(self.locust_pid, "locust")

    def run(self) -> None:
        import psutil

        self.cpu_start = psutil.cpu_times()
        conn = None
        if self.pg_url:
            import psycopg

            conn = psycopg.connect(self.pg_url, autocommit=True)
        last_cpu = 0.0
        while not self.stopping.wait(0.2):
            now = time.time()
            if now - last_cpu > 1:
                self._tree()
                last_cpu = now
            if conn is None:
                continue
            row = conn.execute(
                "SELECT count(*) FILTER (WHERE wait_event_type = 'Lock'),"
                " count(*) FILTER (WHERE wait_event_type = 'Lock'"
                "   AND query ILIKE '%%audit_audithead%%'),"
                " count(*) FILTER (WHERE state = 'active'), array_agg(pid)"
                " FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                [PG_RUN],
            ).fetchone()
            assert row is not None
            self.samples.append((now, row[0], row[1], row[2]))
            if now - last_cpu < 0.2:
                for pid in row[3] or []:
                    self._cpu(pid, "postgres")
        self._tree()
        self.cpu_end = psutil.cpu_times()
        if conn is not None:
            conn.close()

    def cpu_seconds(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for pid, last in self.cpu_last.items():
            group = self.group[pid]
            out[group] = out.get(group, 0.0) + last - self.cpu_first[pid]
        busy = sum(
            getattr(self.cpu_end, f) - getattr(self.cpu_start, f)
            for f in ("user", "system", "nice", "irq", "softirq")
        )
        out["machine"] = busy
        # Time the hypervisor gave this VM's cores to others: a run with much of it is slower
        # for reasons outside the machine.
        out["steal"] = getattr(self.cpu_end, "steal", 0.0) - getattr(self.cpu_start, "steal", 0.0)
        return out


def run_locust(
    backend: Backend, port: int, args: argparse.Namespace, plan: Path, sampler: Sampler
) -> dict[str, Any]:
    samples = VAR / f"samples-{backend.name.lower()}.json"
    samples.unlink(missing_ok=True)
    ramp = math.ceil(backend.users / args.spawn_rate)
    run_time = ramp + args.settle + args.duration + TAIL
    env = {
        **os.environ,
        "LOAD_PLAN": str(plan),
        "LOAD_SAMPLES": str(samples),
        "LOAD_WAIT_MIN": str(args.wait[0]),
        "LOAD_WAIT_MAX": str(args.wait[1]),
    }
    command = [
        str(BIN / "locust"),
        "-f",
        str(HERE / "locustfile.py"),
        "--headless",
        "-u",
        str(backend.users),
        "-r",
        str(args.spawn_rate),
        "-t",
        f"{run_time}s",
        "--host",
        f"http://127.0.0.1:{port}",
        "--only-summary",
        "--stop-timeout",
        "5",
        "--loglevel",
        "WARNING",
        "--exit-code-on-error",
        "0",
    ]
    log(
        f"locust: {backend.users} users, {args.spawn_rate}/s, {run_time} s "
        f"({ramp} s ramp-up with log-ins, {args.settle} s settling, {args.duration} s measured)"
    )
    with open(VAR / f"locust-{backend.name.lower()}.log", "wb") as out:
        proc = subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        sampler.locust_pid = proc.pid
        proc.wait()
    if not samples.exists():
        raise SystemExit(f"locust wrote no samples: see {out.name}")
    return json.loads(samples.read_text())


# ---- figures ------------------------------------------------------------------------------


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))
    return ordered[k]


def summarise(
    data: dict[str, Any],
    args: argparse.Namespace,
    sampler: Sampler,
    log_text: str,
    workers_note: str,
) -> dict[str, Any]:
    marks = data["marks"]
    begin = marks.get("spawned", marks["start"]) + args.settle
    # Before locust stops: the requests it cuts off when it stops are no answers of the server.
    end = min(begin + args.duration, marks.get("stop", time.time()))
    window = max(end - begin, 1e-9)
    rows = [s for s in data["samples"] if begin <= s[0] <= end]
    out: dict[str, Any] = {"window": window, "kinds": {}, "endpoints": {}}
    for kind, _label in [*KINDS, ("login", "log-ins")]:
        mine = [s for s in (rows if kind != "login" else data["samples"]) if s[1] == kind]
        times = [s[3] for s in mine]
        out["kinds"][kind] = {
            "n": len(mine),
            "rps": len(mine) / window,
            "p50": pct(times, 50),
            "p95": pct(times, 95),
            "p99": pct(times, 99),
            "max": max(times) if times else float("nan"),
            "errors": sum(1 for s in mine if s[5] == "error"),
            "conflicts": sum(1 for s in mine if s[5] == "conflict"),
        }
    for s in rows:
        out["endpoints"].setdefault(f"{s[1]} {s[2]}", []).append(s[3])
    out["errors_sample"] = sorted({f"{s[4]} {s[1]} {s[2]}" for s in rows if s[5] == "error"})[:8]
    out["error_texts"] = data.get("errors", [])[:3]
    out["all"] = {
        "n": len(rows),
        "rps": len(rows) / window,
        "errors": sum(1 for s in rows if s[5] == "error"),
    }
    server: dict[str, list[float]] = {}
    for at, method, path, _status, ms in ACCESS_LINE.findall(log_text):
        when = dt.datetime.strptime(at, "%d/%b/%Y:%H:%M:%S %z").timestamp()
        if begin - 1 <= when <= end + 1:  # the log has whole seconds
            server.setdefault(server_kind(method, path), []).append(float(ms))
    for kind, times in server.items():
        if kind in out["kinds"]:
            out["kinds"][kind]["server_p50"] = pct(times, 50)
            out["kinds"][kind]["server_p95"] = pct(times, 95)
    out["locked"] = log_text.count("database is locked")
    out["server_errors"] = len(re.findall(r'" 5\d\d ', log_text))
    out["worker_timeouts"] = log_text.count("WORKER TIMEOUT")
    waits = [x for x in sampler.samples if begin <= x[0] <= end]
    if waits:
        writes = out["kinds"]["write"]["n"] or 1
        head = [w[2] for w in waits]
        out["locks"] = {
            "mean_waiting": statistics.mean(w[1] for w in waits),
            "mean_head": statistics.mean(head),
            "max_head": max(head),
            "share_head": sum(1 for h in head if h) / len(head),
            "mean_active": statistics.mean(w[3] for w in waits),
            # Little's law: mean number waiting x time = total waiting time.
            "head_wait_per_write_ms": statistics.mean(head) * window / writes * 1000,
        }
    out["cpu"] = sampler.cpu_seconds()
    out["workers"] = workers_note
    return out


def print_table(backends: list[Backend], args: argparse.Namespace, facts: dict[str, Any]) -> None:
    print()
    print(
        "coordcell load benchmark — large demo scenario "
        f"({facts.get('rows', '?')}), {os.cpu_count()} cores"
    )
    print(
        f"each person thinks between({args.wait[0]:g}, {args.wait[1]:g}) s between actions and "
        "1–3 s between opening a form and saving it; measured for "
        f"{args.duration} s after all users logged in (+{args.settle} s settling); "
        + (
            f"server at nice {args.server_nice}, locust at 0"
            if args.server_nice
            else "server and locust at the same priority"
        )
    )
    head = (
        f"{'backend':<11} {'users':>5} {'kind':<10} {'share':>6} {'requests':>8} "
        f"{'req/s':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'max ms':>7} "
        f"{'errors':>6} {'409s':>5} {'srv p50':>7} {'srv p95':>7}  target"
    )
    print(head)
    print("-" * len(head))
    for b in backends:
        r = b.result
        if not r:
            continue
        total = r["all"]["n"] or 1
        first = True
        for kind, label in [*KINDS, ("login", "log-ins")]:
            k = r["kinds"][kind]
            target = ""
            if kind in TARGET_P95 and b.name == "PostgreSQL":
                ok = k["p95"] < TARGET_P95[kind] and k["errors"] == 0
                target = f"p95 < {TARGET_P95[kind]:.0f}, 0 errors: {'met' if ok else 'MISSED'}"
            share = f"{100 * k['n'] / total:5.1f}%" if kind != "login" else "     -"
            print(
                f"{b.name if first else '':<11} {str(b.users) if first else '':>5} {label:<10} "
                f"{share:>6} {k['n']:>8} {k['rps']:>6.1f} {k['p50']:>7.0f} {k['p95']:>7.0f} "
                f"{k['p99']:>7.0f} {k['max']:>7.0f} {k['errors']:>6} "
                f"{k['conflicts'] if kind == 'write' else '':>5} "
                f"{k.get('server_p50', float('nan')):>7.0f} "
                f"{k.get('server_p95', float('nan')):>7.0f}  {target}"
            )
            first = False
        a = r["all"]
        verdict = ""
        if b.name == "SQLite":
            verdict = (
                f"  'database is locked': {r['locked']} ({'met' if not r['locked'] else 'MISSED'})"
            )
        print(
            f"{'':<11} {'':>5} {'all':<10} {'':>6} {a['n']:>8} {a['rps']:>6.1f} "
            f"{'':>7} {'':>7} {'':>7} {'':>7} {a['errors']:>6} {'':>5}{verdict}"
        )
        print(
            f"{'':<17} server: {r['workers']}; 5xx in its log: {r['server_errors']}, "
            f"worker timeouts: {r['worker_timeouts']}"
        )
        cpu = r["cpu"]
        window = r["cpu_window"]
        print(
            f"{'':<17} load average before/after: {r['load_before']} / {r['load_after']}; "
            f"CPU over the run (cores): server {cpu.get('server', 0) / window:.2f}, "
            f"PostgreSQL {cpu.get('postgres', 0) / window:.2f}, "
            f"locust {cpu.get('locust', 0) / window:.2f}, "
            f"whole machine {cpu.get('machine', 0) / window:.2f}, "
            f"taken by the hypervisor (steal) {cpu.get('steal', 0) / window:.2f}"
        )
        if "locks" in r:
            lk = r["locks"]
            print(
                f"{'':<17} audit chain head: a transaction waits for it in "
                f"{100 * lk['share_head']:.0f}% of samples (mean {lk['mean_head']:.2f}, max "
                f"{lk['max_head']} waiting) ≈ {lk['head_wait_per_write_ms']:.0f} ms per write; "
                f"all lock waits mean {lk['mean_waiting']:.2f}; active queries mean "
                f"{lk['mean_active']:.2f}"
            )
        if r["errors_sample"]:
            print(f"{'':<17} errors, e.g.: {'; '.join(r['errors_sample'])}")
            for text in r["error_texts"]:
                print(f"{'':<17}   {text[:200]}")
    print()
    print("slowest endpoints (p95, measured window):")
    for b in backends:
        if not b.result:
            continue
        rows = sorted(
            ((pct(v, 95), name, len(v), pct(v, 50)) for name, v in b.result["endpoints"].items()),
            reverse=True,
        )
        for p95, name, n, p50 in rows[: args.top]:
            print(f"  {b.name:<11} {name:<40} n={n:<5} p50 {p50:>6.0f} ms  p95 {p95:>6.0f} ms")
    print()
    print(
        "p50..max: as the client saw them (queueing included); srv p50/p95: time inside the "
        "server (gunicorn's access log), for the same window."
    )
    print(
        "targets (PostgreSQL, 100 users): 0 errors, p95 pages < 300 ms, API reads < 100 ms; "
        "SQLite, 20 users: 0 'database is locked'. 409 = stale version, a correct answer."
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="postgres,sqlite")
    parser.add_argument("--pg-users", type=int, default=100)
    parser.add_argument("--sqlite-users", type=int, default=20)
    parser.add_argument("--spawn-rate", type=float, default=2)
    parser.add_argument("--duration", type=int, default=60, help="seconds measured")
    parser.add_argument("--settle", type=int, default=10, help="seconds after the ramp-up")
    parser.add_argument("--wait", type=float, nargs=2, default=[2.0, 8.0], metavar=("MIN", "MAX"))
    parser.add_argument(
        "--single",
        action="store_true",
        help="one `coordcell serve` on the port, no proxy (default: nginx in front of a pool "
        "for reads and one for writes and exports, as docs/deployment.md sets it up)",
    )
    parser.add_argument(
        "--reads", type=int, default=4, help="workers of the reads pool (3 and 4 measured best)"
    )
    parser.add_argument("--heavy", type=int, default=8, help="workers of the writes pool")
    parser.add_argument(
        "--heavy-nice",
        type=int,
        default=10,
        help="the writes pool's nice above the reads pool's (its CPU weight: 10 = a tenth)",
    )
    parser.add_argument(
        "--workers", type=int, default=0, help="with --single: gunicorn workers (serve's default)"
    )
    parser.add_argument(
        "--threads", type=int, default=0, help="with --single: threads per worker (serve's default)"
    )
    parser.add_argument(
        "--server-nice",
        type=int,
        default=0,
        help="the reads' (or --single) server's nice value; >0 puts locust, which shares the "
        "cores, ahead of it",
    )
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--top", type=int, default=8, help="slowest endpoints listed")
    parser.add_argument("--fresh", action="store_true", help="rebuild the cached bases")
    parser.add_argument("--keep", action="store_true", help="keep the scratch PG database")
    args = parser.parse_args(argv)
    VAR.mkdir(parents=True, exist_ok=True)
    wanted = [b.strip() for b in args.backends.split(",") if b.strip()]
    began = time.perf_counter()
    log(f"load average {loadavg()}")
    done: list[Backend] = []
    facts: dict[str, Any] = {}
    for name in wanted:
        if name.startswith("pg") or name.startswith("postgres"):
            backend = setup_postgres(args.pg_users, args.fresh)
        elif name == "sqlite":
            backend = setup_sqlite(args.sqlite_users, args.fresh)
        else:
            raise SystemExit(f"unknown backend {name!r}")
        plan = VAR / f"plan-{backend.name.lower()}.json"
        try:
            prepare(backend.env, "run", str(plan))
            facts["rows"] = json.loads(plan.read_text()).get("summary", "")
            server = start_server(backend, args.port, args)
            banner = (VAR / f"server-{backend.name.lower()}.log").read_text(errors="replace")
            match = re.search(r"Serving on \S+ (with .*?)\(Ctrl-C", banner)
            workers_note = (
                f"{server.note} {match.group(1).strip()}" if args.single and match else server.note
            )
            sampler = Sampler(server.pids, backend.pg_url)
            sampler.start()
            load_before = loadavg()
            t0 = time.time()
            try:
                data = run_locust(backend, args.port, args, plan, sampler)
            finally:
                sampler.stopping.set()
                sampler.join()
                load_after = loadavg()
                stop_server(server)
            text = (VAR / f"server-{backend.name.lower()}.log").read_text(errors="replace")
            backend.result = summarise(data, args, sampler, text, workers_note)
            backend.result.update(
                load_before=load_before, load_after=load_after, cpu_window=time.time() - t0
            )
            done.append(backend)
        finally:
            if not args.keep:
                teardown(backend)
    print_table(done, args, facts)
    log(f"done in {time.perf_counter() - began:.0f} s; load average {loadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
