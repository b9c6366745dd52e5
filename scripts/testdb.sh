#!/usr/bin/env bash
# A throwaway PostgreSQL on loopback for the test suite: installs it from Debian's packages
# when missing, starts it, and prints the DATABASE_URL to use.  Usage: testdb.sh start|stop
set -euo pipefail
PORT="${COORDCELL_TESTDB_PORT:-54329}"
DATA="${COORDCELL_TESTDB_DIR:-/tmp/coordcell-testdb-$PORT}"
URL="postgres://coordcell:coordcell@127.0.0.1:$PORT/coordcell"

pg_bin() {
  local found
  found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$found" ] && command -v pg_ctl >/dev/null 2>&1; then
    found=$(dirname "$(readlink -f "$(command -v pg_ctl)")")
  fi
  echo "$found"
}

as_owner() {
  # PostgreSQL refuses to run as root: run it as the 'postgres' account Debian's package made.
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

install_postgres() {
  echo "testdb: PostgreSQL not found; installing it from Debian's packages" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
}

start() {
  local bin
  bin=$(pg_bin)
  if [ -z "$bin" ] || [ ! -x "$bin/pg_ctl" ]; then install_postgres; bin=$(pg_bin); fi
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then install_postgres; fi
  if [ ! -f "$DATA/PG_VERSION" ]; then
    mkdir -p "$DATA"
    [ "$(id -u)" = 0 ] && chown postgres "$DATA"
    as_owner "$bin/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 >/dev/null
  fi
  if ! as_owner "$bin/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
    as_owner "$bin/pg_ctl" -D "$DATA" -w -l "$DATA/server.log" \
      -o "-p $PORT -k $DATA -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off" \
      start >/dev/null
  fi
  as_owner "$bin/psql" -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -qtAc \
    "SELECT 1 FROM pg_roles WHERE rolname='coordcell'" | grep -q 1 ||
    as_owner "$bin/psql" -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -qc \
      "CREATE ROLE coordcell LOGIN CREATEDB PASSWORD 'coordcell'"
  as_owner "$bin/psql" -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -qtAc \
    "SELECT 1 FROM pg_database WHERE datname='coordcell'" | grep -q 1 ||
    as_owner "$bin/psql" -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -qc \
      "CREATE DATABASE coordcell OWNER coordcell"
  echo "$URL"
}

stop() {
  local bin
  bin=$(pg_bin)
  [ -n "$bin" ] && [ -f "$DATA/PG_VERSION" ] && as_owner "$bin/pg_ctl" -D "$DATA" -m fast stop || true
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  url) echo "$URL" ;;
  *) echo "usage: $0 start|stop|url" >&2; exit 2 ;;
esac
