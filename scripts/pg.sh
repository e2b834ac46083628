#!/usr/bin/env bash
# Starts (or reuses) a private PostgreSQL cluster under .data/pg and prints
# the server URL (database `postgres`). Used when DATABASE_URL is not set.
# Usage: pg.sh start | stop
source "$(dirname "$0")/lib.sh"

PGDATA_DIR="$ROOT/.data/pg/data"
PGSOCK_DIR="$ROOT/.data/pg/sock"
PORT_FILE="$ROOT/.data/pg/port"
BIN="$(pg_bindir)" || die "no PostgreSQL server binaries (apt-get install postgresql)"

as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-start}" in
  start)
    mkdir -p "$ROOT/.data/pg"
    if [ "$(id -u)" -eq 0 ]; then
      id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql postgres
      chown postgres "$ROOT/.data/pg"
      # initdb and the server must be able to reach the data directory.
      chmod o+x "$ROOT/.data" "$ROOT" 2>/dev/null || true
    fi
    if [ ! -f "$PGDATA_DIR/PG_VERSION" ]; then
      log "creating a private PostgreSQL cluster in .data/pg"
      as_pg mkdir -p "$PGDATA_DIR" "$PGSOCK_DIR"
      as_pg "$BIN/initdb" -D "$PGDATA_DIR" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    fi
    as_pg mkdir -p "$PGSOCK_DIR"
    if ! as_pg "$BIN/pg_ctl" -D "$PGDATA_DIR" status >/dev/null 2>&1; then
      # The preferred port, or the next free one (another cluster may hold it).
      PGPORT="${CARELEDGER_PG_PORT:-55432}"
      while (exec 3<>"/dev/tcp/127.0.0.1/$PGPORT") 2>/dev/null; do
        PGPORT=$((PGPORT + 1))
      done
      echo "$PGPORT" > "$PORT_FILE"
      log "starting PostgreSQL on 127.0.0.1:$PGPORT"
      as_pg "$BIN/pg_ctl" -D "$PGDATA_DIR" -l "$ROOT/.data/pg/server.log" -w \
        -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $PGSOCK_DIR -c max_connections=300 -c fsync=on -c synchronous_commit=on" \
        start >/dev/null
    fi
    echo "postgres://postgres@127.0.0.1:$(cat "$PORT_FILE")/postgres"
    ;;
  stop)
    as_pg "$BIN/pg_ctl" -D "$PGDATA_DIR" -m fast stop >/dev/null 2>&1 || true
    ;;
  *) die "usage: pg.sh start|stop" ;;
esac
