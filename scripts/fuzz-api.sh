#!/usr/bin/env bash
# Fuzzes the live api from its own OpenAPI document with schemathesis, signed
# in as each role in turn, against a fresh database seeded with demo data.
# Fails on any server error, any response that violates the spec, or any
# stack trace / internal detail in a body. Fixed seed: reruns are repeatable.
#   SCHEMATHESIS_MAX_EXAMPLES (default 100), SCHEMATHESIS_SEED (default 20261123)
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

venv="$TOOLS/venv"
# Pinned with schemathesis so a new hypothesis release cannot change a run.
HYPOTHESIS_VERSION=6.170.15
if [ ! -x "$venv/bin/st" ]; then
  log "installing schemathesis into $venv"
  python3 -m venv "$venv" 2>/dev/null || { apt_install python3-venv; python3 -m venv "$venv"; }
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==4.32.5" "hypothesis==$HYPOTHESIS_VERSION"
fi

if [ -z "${DATABASE_URL:-}" ]; then
  DATABASE_URL="$("$ROOT/scripts/pg.sh" start)"
fi
server="${DATABASE_URL%/*}"
db="careledger_fuzz_$$"
psql "$DATABASE_URL" -qc "CREATE DATABASE $db" >/dev/null
data_dir="$(mktemp -d)"
cleanup() {
  [ -n "${api_pid:-}" ] && kill "$api_pid" 2>/dev/null && wait "$api_pid" 2>/dev/null
  psql "$DATABASE_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$data_dir"
}
trap cleanup EXIT

cargo build -p api --quiet
bin="${CARGO_TARGET_DIR:-$ROOT/target}/debug/careledger"
export DATABASE_URL="$server/$db" CARELEDGER_DATA_DIR="$data_dir" CARELEDGER_PORT=0 RUST_LOG=warn
"$bin" seed --demo >/dev/null
"$bin" serve > "$data_dir/serve.log" 2>&1 &
api_pid=$!
for _ in $(seq 1 100); do
  url="$(grep -o 'http://[0-9.:]*' "$data_dir/serve.log" | head -1 || true)"
  [ -n "$url" ] && break
  sleep 0.2
done
[ -n "$url" ] || { cat "$data_dir/serve.log"; die "the api did not start"; }
log "api at $url"

token() {
  curl -fsS "$url/api/v1/auth/login" -H 'Content-Type: application/json' \
    -d "{\"username\":\"$1\",\"password\":\"CareLedger-demo-1\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}

max="${SCHEMATHESIS_MAX_EXAMPLES:-100}"
seed="${SCHEMATHESIS_SEED:-20261123}"
status=0
for user in admin dr_smith nurse_kim patient1; do
  log "schemathesis as $user ($max examples per operation, seed $seed)"
  # Sign-out and password change would end the run's own session; they are
  # fuzzed anonymously below instead.
  "$venv/bin/st" run "$url/api-docs/openapi.json" \
    --header "Authorization: Bearer $(token "$user")" \
    --phases examples,coverage,fuzzing,stateful \
    --max-examples "$max" --seed "$seed" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance \
    --exclude-path /api/v1/auth/logout --exclude-path /api/v1/auth/password \
    --no-color --workers 1 || status=1
done
# One worker: hypothesis' lambda-description cache is not thread-safe and
# two workers made schemathesis report its own "Inconsistent results"
# runtime error (not a finding about the api) in CI.
# Without any credentials schemathesis 4.32 tries to bootstrap a sign-up
# flow and crashes inside itself; an unknown token exercises the same
# unauthenticated paths (public endpoints ignore it, the rest answer 401).
log "schemathesis without a valid session"
"$venv/bin/st" run "$url/api-docs/openapi.json" \
  --header "Authorization: Bearer not-a-session" \
  --phases examples,coverage,fuzzing,stateful \
  --max-examples "$max" --seed "$seed" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance \
  --no-color --workers 1 || status=1

if grep -qiE 'panicked|stack backtrace' "$data_dir/serve.log"; then
  log "the api log shows a panic"; status=1
fi
exit $status
