#!/usr/bin/env bash
# `just bench`: builds the release api, starts a throwaway PostgreSQL cluster
# (its own data directory and port — never the dev cluster under .data/pg),
# migrates and seeds it, starts `careledger serve`, drives the scenarios with
# wrk and pgbench (bench/run.py) and writes the results into BENCHMARKS.md.
# Everything it starts is stopped and deleted on exit, failure included.
#
# Knobs (environment): BENCH_DURATION (s per run, 10), BENCH_RUNS (3),
# BENCH_WARMUP (3), BENCH_CONNECTIONS (64), BENCH_PATIENTS (1000),
# BENCH_DOCTORS (20), BENCH_RECORDS_PER_PATIENT (10), BENCH_SEED_SECONDS
# (cap on record seeding, 240), BENCH_LEDGER_EVENTS (1000000),
# BENCH_ONLY (comma list of write,consent,accesslog,login,ledger,guessing),
# BENCH_GUESS_SECONDS (the guessing flood's length, 15),
# CARELEDGER_BIN (skip the build and use this binary), BENCH_OUT (BENCHMARKS.md).
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

OUT="${BENCH_OUT:-$ROOT/BENCHMARKS.md}"
BIN_DIR="$(pg_bindir)" || die "no PostgreSQL server binaries (apt-get install postgresql)"
command -v wrk >/dev/null || { log "installing wrk"; apt_install wrk; }
command -v pgbench >/dev/null || die "pgbench missing (apt-get install postgresql-contrib / postgresql-client)"

if [ -z "${CARELEDGER_BIN:-}" ]; then
  log "building the release api (cargo build --release -p api --bin careledger --example argon2_hash)"
  cargo build --release -p api --bin careledger --example argon2_hash
  CARELEDGER_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/careledger"
  BENCH_ARGON2_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/examples/argon2_hash"
  export BENCH_ARGON2_BIN
fi
[ -x "$CARELEDGER_BIN" ] || die "no binary at $CARELEDGER_BIN"
export CARELEDGER_BIN

WORK="$(mktemp -d /tmp/careledger-bench.XXXXXX)"
chmod 755 "$WORK"
PGDATA_DIR="$WORK/pg/data"
PGSOCK_DIR="$WORK/pg/sock"
API_PID=""
PG_STARTED=""

as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$API_PID" ] && kill -0 "$API_PID" 2>/dev/null; then
    log "stopping the api (pid $API_PID)"
    kill "$API_PID" 2>/dev/null || true
    wait "$API_PID" 2>/dev/null || true
  fi
  if [ -n "$PG_STARTED" ]; then
    log "stopping and deleting the bench PostgreSQL cluster"
    as_pg "$BIN_DIR/pg_ctl" -D "$PGDATA_DIR" -m immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- private cluster (same settings as scripts/pg.sh: fsync and synchronous commit on)
mkdir -p "$WORK/pg"
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql postgres
  chown postgres "$WORK/pg"
fi
as_pg mkdir -p "$PGDATA_DIR" "$PGSOCK_DIR"
log "initdb in $PGDATA_DIR"
as_pg "$BIN_DIR/initdb" -D "$PGDATA_DIR" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
PGPORT="${BENCH_PG_PORT:-56432}"
while (exec 3<>"/dev/tcp/127.0.0.1/$PGPORT") 2>/dev/null; do PGPORT=$((PGPORT + 1)); done
log "starting the bench PostgreSQL on 127.0.0.1:$PGPORT"
PG_STARTED=1
as_pg "$BIN_DIR/pg_ctl" -D "$PGDATA_DIR" -l "$WORK/pg/server.log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $PGSOCK_DIR -c max_connections=300 -c fsync=on -c synchronous_commit=on -c shared_buffers=512MB" \
  start >/dev/null
# The api and pgbench reach PostgreSQL over its Unix socket, as a database on
# the same host is normally reached (about 10 % more requests/s than TCP
# loopback here); the HTTP load still goes over TCP loopback.
pg_url() { echo "postgresql:///$1?host=$PGSOCK_DIR&port=$PGPORT&user=postgres"; }
psql -X -q -d "$(pg_url postgres)" -c "CREATE DATABASE careledger_bench" -c "CREATE DATABASE bench_ref"
export DATABASE_URL="$(pg_url careledger_bench)"
export BENCH_DB="$DATABASE_URL" BENCH_REF_DB="$(pg_url bench_ref)"

# ---- api
export CARELEDGER_DATA_DIR="$WORK/data" CARELEDGER_RATE_LIMITS=off RUST_LOG=warn
mkdir -p "$CARELEDGER_DATA_DIR"
API_PORT="${BENCH_API_PORT:-18080}"
while (exec 3<>"/dev/tcp/127.0.0.1/$API_PORT") 2>/dev/null; do API_PORT=$((API_PORT + 1)); done
export CARELEDGER_PORT="$API_PORT"
log "migrate + seed --demo"
"$CARELEDGER_BIN" migrate
"$CARELEDGER_BIN" seed --demo >/dev/null
log "starting careledger serve on 127.0.0.1:$API_PORT"
"$CARELEDGER_BIN" serve >"$WORK/api.log" 2>&1 &
API_PID=$!
for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$API_PORT/health" >/dev/null 2>&1 && break
  kill -0 "$API_PID" 2>/dev/null || { cat "$WORK/api.log" >&2; die "the api exited"; }
  sleep 0.5
done
curl -fsS "http://127.0.0.1:$API_PORT/health" >/dev/null || die "the api did not come up"

export BENCH_BASE="http://127.0.0.1:$API_PORT" BENCH_API_PID="$API_PID" BENCH_WORK="$WORK"
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
RUN_RC=0
python3 "$ROOT/bench/run.py" || RUN_RC=$?
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"

# ---- report
COMMAND="${BENCH_COMMAND:-just bench}"
BENCH_LOAD_BEFORE="$LOAD_BEFORE" BENCH_LOAD_AFTER="$LOAD_AFTER" BENCH_COMMAND="$COMMAND" \
  BENCH_COMMIT="$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- api shared migrations || echo '+dirty')" \
  python3 "$ROOT/bench/report.py" "$WORK/results.json" "$OUT"
cp "$WORK/results.json" "$ROOT/.data/bench-results.json" 2>/dev/null || true
log "wrote $OUT"
[ "$RUN_RC" -eq 0 ] || die "the run stopped early (see the report's note); partial results written"
