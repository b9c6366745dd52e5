#!/usr/bin/env bash
# coordcell past one machine, on this machine: two web servers and two background-job workers,
# all sharing one PostgreSQL and one data folder (the secret key, so a session started on one
# server is valid on the other). No docker compose; see docs/deployment.md.
#
#   scripts/cluster.sh           start it all, print the addresses and logins; Ctrl-C stops all
#   scripts/cluster.sh --check   start it all, queue an allocation run through the first server,
#                                check both servers answer and a worker solves the run; stop all
#
# COORDCELL_CLUSTER_DATABASE_URL  the PostgreSQL to use (default: database coordcell_cluster on
#                                 the throwaway server of scripts/testdb.sh, started if needed)
# COORDCELL_CLUSTER_PORTS         the two servers' ports on 127.0.0.1 (default "8001 8002")
# COORDCELL_CLUSTER_DIR           the shared data folder, with the logs (default var/cluster)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BIN="$ROOT/.venv/bin"
read -r -a PORTS <<<"${COORDCELL_CLUSTER_PORTS:-8001 8002}"
DATA=${COORDCELL_CLUSTER_DIR:-$ROOT/var/cluster}
LOGS="$DATA/logs"
CHECK=0
case "${1:-}" in
  --check) CHECK=1 ;;
  "") ;;
  *) sed -n '2,13p' "$0" >&2; exit 2 ;;
esac
[ "${#PORTS[@]}" = 2 ] || { echo "COORDCELL_CLUSTER_PORTS needs two ports" >&2; exit 2; }

say() { echo "cluster: $*" >&2; }

database_url() {
  if [ -n "${COORDCELL_CLUSTER_DATABASE_URL:-}" ]; then
    echo "$COORDCELL_CLUSTER_DATABASE_URL"
    return
  fi
  local server
  server=$(scripts/testdb.sh start)
  # A database of its own: the test suite and the benchmarks use the server's others.
  "$BIN/python" - "$server" <<'PY'
import sys

import psycopg

with psycopg.connect(sys.argv[1], autocommit=True) as conn:
    if not conn.execute("SELECT 1 FROM pg_database WHERE datname = 'coordcell_cluster'").fetchone():
        conn.execute("CREATE DATABASE coordcell_cluster")
PY
  echo "${server%/*}/coordcell_cluster"
}

DATABASE_URL=$(database_url)
# Every process below shares these; a development DEBUG or production mode of this shell is not
# wanted here (production mode needs HTTPS in front).
export DATABASE_URL COORDCELL_DATA_DIR="$DATA" DEBUG=0 COORDCELL_PRODUCTION=0
mkdir -p "$LOGS"

say "migrating and loading the small demo (kept if the database has data) into ${DATABASE_URL##*@}"
"$BIN/coordcell" migrate --no-input -v 0
"$BIN/coordcell" demo-data --size small --seed 1 --if-empty >"$LOGS/demo-data.log"
# Static files once (compressing them takes a while), again when a source file changed.
if [ ! -f "$DATA/static/staticfiles.json" ] ||
  [ -n "$(find coordcell -path '*/static/*' -type f -newer "$DATA/static/staticfiles.json" -print -quit)" ]; then
  "$BIN/coordcell" collectstatic --no-input -v 0
fi

pids=()
names=()
stop_all() {
  trap - EXIT INT TERM
  if [ "${#pids[@]}" -gt 0 ]; then
    say "stopping ${names[*]}"
    # One SIGTERM each: gunicorn finishes its requests, a worker its job.
    kill -TERM "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
  fi
}
trap stop_all EXIT
trap 'exit 130' INT TERM

start() {  # name, command...: in a session of its own, so Ctrl-C reaches only this script
  local name=$1
  shift
  setsid "$@" >"$LOGS/$name.log" 2>&1 &
  pids+=("$!")
  names+=("$name")
}

for port in "${PORTS[@]}"; do
  # --no-worker: the two workers below are all the cluster has.
  # Each gunicorn its own control socket (the default path is one per user).
  GUNICORN_CMD_ARGS="--control-socket $DATA/gunicorn-$port.ctl" \
    start "serve-$port" "$BIN/coordcell" serve --bind "127.0.0.1:$port" --workers 2 --no-worker
done
start worker-1 "$BIN/coordcell" worker
start worker-2 "$BIN/coordcell" worker

status_of() { curl -s -o /dev/null -w '%{http_code}' "$@" || true; }

for port in "${PORTS[@]}"; do
  for _ in $(seq 120); do
    [ "$(status_of "http://127.0.0.1:$port/login/")" = 200 ] && break
    sleep 0.5
  done
done

failed() {
  say "CHECK FAILED: $*"
  for name in "${names[@]}"; do
    echo "---- $LOGS/$name.log (end)" >&2
    tail -n 15 "$LOGS/$name.log" >&2 || true
  done
  exit 1
}

shell() { "$BIN/coordcell" shell --no-imports -c "$1"; }

check() {
  local jar="$LOGS/cookies.txt" first="http://127.0.0.1:${PORTS[0]}"
  local second="http://127.0.0.1:${PORTS[1]}" code token monday location run
  rm -f "$jar"
  for url in "$first" "$second"; do
    code=$(status_of "$url/login/")
    [ "$code" = 200 ] || failed "$url/login/ answered $code"
    say "$url/login/ answers 200"
  done
  workers=$(shell "from coordcell.jobs.models import WorkerHeartbeat as W; print(W.objects.count())")
  [ "$workers" = 2 ] || failed "$workers workers have a heartbeat, not 2"
  say "2 workers have a heartbeat"

  # Log in as the coordinator on the first server and queue an allocation run there.
  curl -s -c "$jar" -b "$jar" -o /dev/null "$first/login/"
  token=$(awk '$6 == "csrftoken" {print $7}' "$jar")
  code=$(status_of -c "$jar" -b "$jar" --data-urlencode "csrfmiddlewaretoken=$token" \
    --data-urlencode username=coordinator --data-urlencode password=coordcell-demo "$first/login/")
  [ "$code" = 302 ] || failed "login on $first answered $code"
  token=$(awk '$6 == "csrftoken" {print $7}' "$jar")  # a new token after the login
  monday=$("$BIN/python" -c 'import datetime as d; t = d.date.today(); print(t - d.timedelta(t.weekday()))')
  location=$(curl -s -c "$jar" -b "$jar" -o /dev/null -w '%{http_code} %{redirect_url}' \
    --data-urlencode "csrfmiddlewaretoken=$token" -d "planning_start=$monday" \
    -d horizon_weeks=26 "$first/allocation/")
  [[ "$location" =~ ^302\ .*/allocation/([0-9]+)/$ ]] || failed "queueing a run answered $location"
  run=${BASH_REMATCH[1]}
  say "allocation run $run queued through $first"

  local outcome=""
  for _ in $(seq 300); do
    outcome=$(shell "from coordcell.allocation.models import AllocationRun as R; print(R.objects.get(pk=$run).status)")
    case "$outcome" in solved | failed) break ;; esac
    sleep 1
  done
  [ "$outcome" = solved ] || failed "allocation run $run is $outcome"
  worker=$(shell "
from django_tasks_db.models import DBTaskResult as J
job = J.objects.filter(task_path__endswith='execute_allocation_run').order_by('enqueued_at').last()
print(job.status, job.worker_ids)")
  say "allocation run $run solved; its job: $worker"
  # The session made on the first server is good on the second (one database, one key).
  code=$(status_of -b "$jar" "$second/allocation/$run/")
  [ "$code" = 200 ] || failed "$second/allocation/$run/ answered $code with the session of $first"
  say "the run's page answers 200 on $second with the session made on $first"
  say "check passed"
}

if [ "$CHECK" = 1 ]; then
  check
  exit 0
fi

echo
echo "coordcell cluster: two servers and two workers on one PostgreSQL (${DATABASE_URL##*@})"
for port in "${PORTS[@]}"; do echo "  http://127.0.0.1:$port/"; done
echo "  logs in $LOGS"
"$BIN/coordcell" demo-logins
echo "Ctrl-C stops everything."
# Stop all when any one of them stops by itself.
wait -n "${pids[@]}" || true
say "a process stopped by itself; see $LOGS"
exit 1
