#!/usr/bin/env bash
# The failover drill (`just ha-drill`): builds the api, starts the
# high-availability topology (scripts/ha.sh), runs scripts/ha_drill.py
# against it and always tears it down. Fails when an acknowledged write or
# its ledger event is lost, the ledger does not verify, or the checkpoint
# after a failover is not consistent with the one before.
# Usage: ha-drill.sh [--async] [drill options, e.g. --rounds 5 --stall-ms 500]
#   --async  an asynchronous standby; succeeds only when acknowledged events
#            WERE lost (showing why the standby must be synchronous)
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

sync=on
args=()
for arg in "$@"; do
  case "$arg" in
    --async) sync=off; args+=(--expect-loss) ;;
    *) args+=("$arg") ;;
  esac
done

"$ROOT/scripts/ensure-tools.sh" pg ha
if [ -z "${CARELEDGER_BIN:-}" ]; then
  log "building the api binary"
  cargo build -p api --bin careledger --quiet
fi
trap '"$ROOT/scripts/ha.sh" stop' EXIT
HA_SYNC="$sync" "$ROOT/scripts/ha.sh" start
# Bounded: a hung step fails the run instead of holding it.
timeout 900 python3 "$ROOT/scripts/ha_drill.py" "${args[@]}"
