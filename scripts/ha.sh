#!/usr/bin/env bash
# The high-availability topology on one machine, from the system's
# PostgreSQL binaries: a primary and a standby (streaming replication,
# synchronous unless HA_SYNC=off), three `careledger serve` processes that
# reach the primary through a multi-host connection string
# (target_session_attrs=read-write), and HAProxy in front of them,
# health-checked through /health/ready. Everything listens on 127.0.0.1 and
# lives under .data/ha (wiped by `start`).
#
# Usage: ha.sh start | stop | status | url | stall | kill-primary | promote | rebuild
#   start          fresh clusters, migrations, demo data, apis, HAProxy
#   stall          freeze the primary's WAL sender (a stalled replication link)
#   kill-primary   SIGKILL the primary's postmaster and every child at once
#   promote        pg_ctl promote on the standby; it becomes the primary
#   rebuild        the dead old primary becomes the new standby (pg_rewind,
#                  else a fresh pg_basebackup) and waits until it streams
# Environment: HA_SYNC (on|off, default on), CARELEDGER_BIN (default: the
# debug build), HA_PG_PORTS ("55441 55442"), HA_API_PORTS ("18081 18082
# 18083"), HA_LB_PORT (18080) — preferred ports; taken ones are skipped.
source "$(dirname "$0")/lib.sh"

HA="$ROOT/.data/ha"
BIN="$(pg_bindir)" || die "no PostgreSQL server binaries (apt-get install postgresql)"
# The ports `start` chose (the preferred ones, or the next free ones) are
# kept in $HA/ports for the later commands and the drill.
if [ "${1:-}" != start ] && [ -f "$HA/ports" ]; then
  # shellcheck disable=SC1091
  source "$HA/ports"
fi
read -r -a PG_PORTS <<<"${HA_PG_PORTS:-55441 55442}"
read -r -a API_PORTS <<<"${HA_API_PORTS:-18081 18082 18083}"
LB_PORT="${HA_LB_PORT:-18080}"
NODES=(n1 n2)
DB=careledger

as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

node_port() { [ "$1" = n1 ] && echo "${PG_PORTS[0]}" || echo "${PG_PORTS[1]}"; }
other() { [ "$1" = n1 ] && echo n2 || echo n1; }
primary() { cat "$HA/primary"; }
standby() { other "$(primary)"; }
psql_at() { # node, sql...
  local port
  port="$(node_port "$1")"
  shift
  "$BIN/psql" -X -q -At -h 127.0.0.1 -p "$port" -U postgres -d postgres -c "$*"
}

# The api's connection string: every node, the writable one wins.
db_url() {
  echo "postgres://postgres@127.0.0.1:${PG_PORTS[0]},127.0.0.1:${PG_PORTS[1]}/$DB?target_session_attrs=read-write&connect_timeout=2"
}

start_node() {
  local n="$1"
  as_pg "$BIN/pg_ctl" -D "$HA/$n/data" -l "$HA/$n/server.log" -w -t 60 \
    -o "-p $(node_port "$n") -k $HA/$n/sock" start >/dev/null
}

# Waits until the primary reports a streaming standby (a synchronous one
# when HA_SYNC=on): only then do commits wait for it.
wait_streaming() {
  local want=sync i
  [ "$(cat "$HA/sync")" = on ] || want=async
  for i in $(seq 1 300); do
    if [ "$(psql_at "$(primary)" "SELECT sync_state FROM pg_stat_replication WHERE state = 'streaming' LIMIT 1" 2>/dev/null)" = "$want" ]; then
      return 0
    fi
    sleep 0.1
  done
  die "the standby did not start streaming ($want) within 30 s"
}

# Waits until HAProxy forwards to at least one ready api.
wait_lb_ready() {
  local i
  for i in $(seq 1 600); do
    curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$LB_PORT/health/ready" 2>/dev/null && return 0
    sleep 0.1
  done
  die "no api became ready behind HAProxy within 60 s (see $HA/api*.log)"
}

kill_pidfile() {
  local f="$1" pid
  [ -f "$f" ] || return 0
  pid="$(cat "$f")"
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$f"
}

cmd_stop() {
  local n i
  [ -d "$HA" ] || return 0
  kill_pidfile "$HA/haproxy.pid"
  for i in 1 2 3; do kill_pidfile "$HA/api$i.pid"; done
  local pid c
  for n in "${NODES[@]}"; do
    [ -f "$HA/$n/data/PG_VERSION" ] || continue
    # A WAL sender left frozen by `stall` would hold the shutdown up.
    if [ -f "$HA/$n/data/postmaster.pid" ]; then
      pid="$(head -1 "$HA/$n/data/postmaster.pid")"
      for c in $(pgrep -P "$pid" 2>/dev/null); do kill -CONT "$c" 2>/dev/null || true; done
    fi
    as_pg "$BIN/pg_ctl" -D "$HA/$n/data" -m immediate stop >/dev/null 2>&1 || true
  done
}

cmd_start() {
  command -v haproxy >/dev/null || die "haproxy missing (scripts/ensure-tools.sh ha)"
  local cl="${CARELEDGER_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/debug/careledger}"
  [ -x "$cl" ] || die "no api binary at $cl (cargo build -p api --bin careledger)"
  cmd_stop
  rm -rf "$HA"
  mkdir -p "$HA/keys"
  # A private copy: a rebuild elsewhere cannot swap the binary mid-drill.
  cp "$cl" "$HA/careledger"
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql postgres
    chown postgres "$HA"
    chmod o+x "$ROOT/.data" "$ROOT" 2>/dev/null || true
  fi
  local n sync_names="'*'"
  [ "${HA_SYNC:-on}" = on ] || sync_names="''"
  # Another checkout's topology (or anything else) may hold a port.
  local taken=" " i
  free_port() {
    local p="$1"
    while [[ "$taken" == *" $p "* ]] || (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do
      p=$((p + 1))
    done
    echo "$p"
  }
  for i in 0 1; do PG_PORTS[i]="$(free_port "${PG_PORTS[i]}")"; taken+="${PG_PORTS[i]} "; done
  for i in 0 1 2; do API_PORTS[i]="$(free_port "${API_PORTS[i]}")"; taken+="${API_PORTS[i]} "; done
  LB_PORT="$(free_port "$LB_PORT")"
  printf 'HA_PG_PORTS="%s"\nHA_API_PORTS="%s"\nHA_LB_PORT=%s\n' \
    "${PG_PORTS[*]}" "${API_PORTS[*]}" "$LB_PORT" >"$HA/ports"
  for n in "${NODES[@]}"; do as_pg mkdir -p "$HA/$n/sock"; done

  log "ha: primary n1 on 127.0.0.1:${PG_PORTS[0]} (synchronous standby: ${HA_SYNC:-on})"
  # Checksums let pg_rewind turn a dead primary into a standby.
  as_pg "$BIN/initdb" -D "$HA/n1/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
    --data-checksums >/dev/null
  # Shared by both nodes (pg_basebackup and pg_rewind copy it); the port
  # and socket directory are per node, on the command line.
  as_pg tee -a "$HA/n1/data/postgresql.conf" >/dev/null <<EOF
listen_addresses = '127.0.0.1'
max_connections = 200
wal_level = replica
max_wal_senders = 5
wal_keep_size = '256MB'
hot_standby = on
fsync = on
synchronous_commit = on
# A crashed node syncs its data directory before recovery: one syncfs() per
# file system instead of one fsync per file.
recovery_init_sync_method = syncfs
EOF
  echo n1 >"$HA/primary"
  echo "${HA_SYNC:-on}" >"$HA/sync"
  start_node n1
  psql_at n1 "CREATE DATABASE $DB"

  log "ha: standby n2 on 127.0.0.1:${PG_PORTS[1]} (pg_basebackup -R)"
  as_pg "$BIN/pg_basebackup" -D "$HA/n2/data" -h 127.0.0.1 -p "${PG_PORTS[0]}" -U postgres \
    -R -X stream -c fast
  # Only now: with no standby yet, every commit would wait.
  for n in "${NODES[@]}"; do
    echo "synchronous_standby_names = $sync_names" | as_pg tee -a "$HA/$n/data/postgresql.conf" >/dev/null
  done
  start_node n2
  as_pg "$BIN/pg_ctl" -D "$HA/n1/data" reload >/dev/null
  wait_streaming

  local env=(DATABASE_URL="$(db_url)" CARELEDGER_DATA_DIR="$HA/keys" CARELEDGER_RATE_LIMITS=off
    CARELEDGER_POOL_SIZE=8 CARELEDGER_CHECKPOINT_SECS="${HA_CHECKPOINT_SECS:-1}" RUST_LOG=info)
  log "ha: migrations and demo data"
  env "${env[@]}" "$HA/careledger" migrate >"$HA/migrate.log" 2>&1 || die "migrate failed: $HA/migrate.log"
  env "${env[@]}" "$HA/careledger" seed --demo >"$HA/seed.log" 2>&1 || die "seed failed: $HA/seed.log"

  local i
  for i in 1 2 3; do
    log "ha: api$i on 127.0.0.1:${API_PORTS[$((i - 1))]}"
    env "${env[@]}" CARELEDGER_PORT="${API_PORTS[$((i - 1))]}" \
      setsid "$HA/careledger" serve >"$HA/api$i.log" 2>&1 </dev/null &
    echo $! >"$HA/api$i.pid"
  done

  cat >"$HA/haproxy.cfg" <<EOF
global
    maxconn 1000
defaults
    mode http
    timeout connect 1s
    timeout client 30s
    timeout server 30s
    # Only failed connections are retried (never a request once sent).
    retries 2
    option redispatch
frontend careledger
    bind 127.0.0.1:$LB_PORT
    default_backend api
backend api
    balance roundrobin
    option httpchk GET /health/ready
    http-check expect status 200
    default-server inter 500ms fastinter 250ms fall 2 rise 1
    server api1 127.0.0.1:${API_PORTS[0]} check
    server api2 127.0.0.1:${API_PORTS[1]} check
    server api3 127.0.0.1:${API_PORTS[2]} check
EOF
  haproxy -c -q -f "$HA/haproxy.cfg" || die "bad HAProxy configuration"
  log "ha: HAProxy on 127.0.0.1:$LB_PORT"
  haproxy -D -p "$HA/haproxy.pid" -f "$HA/haproxy.cfg"
  wait_lb_ready
  log "ha: ready — http://127.0.0.1:$LB_PORT (primary $(primary), standby $(standby))"
}

# Freezes the primary's WAL sender (SIGSTOP): the link to the standby
# stalls; the primary keeps committing (asynchronous standby) or its commits
# wait (synchronous). The following kill-primary ends it.
cmd_stall() {
  local ws
  for ws in $(psql_at "$(primary)" "SELECT pid FROM pg_stat_replication"); do
    kill -STOP "$ws"
  done
}

cmd_kill_primary() {
  local pid kids
  pid="$(head -1 "$HA/$(primary)/data/postmaster.pid")"
  # As a lost host: freeze the postmaster (no new children) and every child
  # (each is its own process group), then SIGKILL them all. A frozen child
  # would otherwise never notice its postmaster's death.
  kill -STOP "$pid"
  kids="$(pgrep -P "$pid" | tr '\n' ' ')"
  # shellcheck disable=SC2086
  kill -STOP $kids 2>/dev/null || true
  # shellcheck disable=SC2086
  kill -KILL "$pid" $kids 2>/dev/null || true
  local p
  for _ in $(seq 1 200); do
    p=0
    for k in $pid $kids; do kill -0 "$k" 2>/dev/null && p=1; done
    [ "$p" = 0 ] && return 0
    sleep 0.05
  done
  die "processes of the killed primary are still alive: $pid $kids"
}

cmd_promote() {
  local s
  s="$(standby)"
  as_pg "$BIN/pg_ctl" -D "$HA/$s/data" -w -t 60 promote >/dev/null
  echo "$s" >"$HA/primary"
  # pg_rewind reads the new timeline from the control file, which the
  # promotion updates only at its next checkpoint.
  psql_at "$s" "CHECKPOINT"
}

cmd_rebuild() {
  local p old
  p="$(primary)"
  old="$(other "$p")"
  as_pg "$BIN/pg_ctl" -D "$HA/$old/data" status >/dev/null 2>&1 && die "$old is still running"
  rm -f "$HA/$old/data/postmaster.pid"
  local t0
  t0="$(date +%s.%N)"
  # pg_rewind recovers the crashed cluster, then rewinds it to where the
  # new primary's timeline forked; -R makes it a standby of the source.
  # --no-sync: the standby's start syncs the data directory anyway (it was
  # not shut down cleanly), before it replays anything.
  if ! as_pg "$BIN/pg_rewind" --no-sync --target-pgdata="$HA/$old/data" -R \
    --source-server="host=127.0.0.1 port=$(node_port "$p") user=postgres dbname=postgres" \
    >"$HA/$old/rewind.log" 2>&1; then
    log "ha: pg_rewind failed (see $HA/$old/rewind.log); fresh pg_basebackup"
    rm -rf "$HA/$old/data"
    as_pg "$BIN/pg_basebackup" -D "$HA/$old/data" -h 127.0.0.1 -p "$(node_port "$p")" \
      -U postgres -R -X stream -c fast
  fi
  local t1
  t1="$(date +%s.%N)"
  start_node "$old"
  wait_streaming
  log "ha: $old rewound in $(awk "BEGIN{printf \"%.2f\", $t1 - $t0}") s, streaming $(awk "BEGIN{printf \"%.2f\", $(date +%s.%N) - $t1}") s after its start"
}

cmd_status() {
  local n
  for n in "${NODES[@]}"; do
    printf '%s 127.0.0.1:%s %s\n' "$n" "$(node_port "$n")" \
      "$(psql_at "$n" "SELECT CASE WHEN pg_is_in_recovery() THEN 'standby' ELSE 'primary' END" 2>/dev/null || echo down)"
  done
  psql_at "$(primary)" "SELECT 'replication: ' || state || ' ' || sync_state FROM pg_stat_replication" 2>/dev/null || true
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  url) db_url ;;
  stall) cmd_stall ;;
  kill-primary) cmd_kill_primary ;;
  promote) cmd_promote ;;
  rebuild) cmd_rebuild ;;
  *) die "usage: ha.sh start|stop|status|url|stall|kill-primary|promote|rebuild" ;;
esac
