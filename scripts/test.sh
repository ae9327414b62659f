#!/usr/bin/env bash
# The README's second command: install everything the tests need, start a throw-away
# PostgreSQL cluster on 127.0.0.1, then run ruff, mypy and pytest (SQLite and PostgreSQL).
# usage: scripts/test.sh [pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh --dev

pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$pg_bin" ]; then
  echo "PostgreSQL binaries not found under /usr/lib/postgresql" >&2
  exit 1
fi
pg_dir=$(mktemp -d /tmp/triage-pg.XXXXXX)
pg_port=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
run_pg() {
  # PostgreSQL refuses to run as root: use its own system user then.
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}
[ "$(id -u)" -eq 0 ] && chown postgres "$pg_dir"
stop_pg() {
  run_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$pg_dir"
}
trap stop_pg EXIT
run_pg "$pg_bin/initdb" -D "$pg_dir/data" -U triage --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
run_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w \
  -o "-c listen_addresses=127.0.0.1 -c port=$pg_port -k $pg_dir -c fsync=off -c max_connections=200" start >/dev/null
export TRIAGE_TEST_POSTGRES_URL="postgresql+psycopg://triage@127.0.0.1:$pg_port/postgres"
echo "PostgreSQL test cluster on 127.0.0.1:$pg_port"

.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy triage
# Two workers: the 2-core machine is idle half the time while a test waits on the database
# or a subprocess. TRIAGE_TEST_WORKERS=0 runs everything in one process.
.venv/bin/pytest -n "${TRIAGE_TEST_WORKERS:-2}" --dist worksteal "$@"
