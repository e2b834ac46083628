# CareLedger tasks. The README's two commands (scripts/dev, scripts/test)
# install `just` themselves; these recipes are shortcuts once it is present.

# Run the whole app: database, migrations, demo accounts, API + SPA.
dev:
    ./scripts/dev

# Every check and test (what CI runs).
test:
    ./scripts/test

# Only the Rust tests (needs DATABASE_URL or starts the private cluster).
test-rust:
    #!/usr/bin/env bash
    set -euo pipefail
    if [ -z "${DATABASE_URL:-}" ]; then export DATABASE_URL="$(./scripts/pg.sh start)"; fi
    cargo nextest run --workspace

# Build the SPA into web/dist.
web:
    ./scripts/build-web.sh

# Regenerate openapi/openapi.json from the code.
openapi:
    cargo run -q -p api -- openapi > openapi/openapi.json

# Start / stop the private PostgreSQL cluster under .data/pg.
pg-start:
    ./scripts/pg.sh start
pg-stop:
    ./scripts/pg.sh stop

# Failover drill: a PostgreSQL primary with a synchronous standby, three
# apis behind HAProxy; 5 x (SIGKILL the primary, promote, rewind). Extra
# arguments go to the drill, e.g. `just ha-drill --async --rounds 1`.
ha-drill *args:
    ./scripts/ha-drill.sh {{args}}

# Start / stop the high-availability topology alone (HAProxy on 127.0.0.1:18080).
ha-start:
    ./scripts/ha.sh start
ha-stop:
    ./scripts/ha.sh stop

lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings

# Fuzz the live api from its OpenAPI document (schemathesis), as every role.
fuzz-api:
    ./scripts/fuzz-api.sh

# Fuzz the token verifier, request body parsers and ledger verifier,
# SECONDS each (default 60). Needs cargo-fuzz; runs on stable via RUSTC_BOOTSTRAP.
fuzz seconds="60":
    #!/usr/bin/env bash
    set -euo pipefail
    cargo fuzz --version >/dev/null 2>&1 || cargo install cargo-fuzz --locked
    cd fuzz
    for target in access_token request_bodies ledger_verifier; do
        RUSTC_BOOTSTRAP=1 cargo fuzz run "$target" -- -max_total_time={{seconds}}
    done

# Benchmarks: release build, throwaway PostgreSQL + api, wrk/pgbench load;
# writes the "API load" section of BENCHMARKS.md (see scripts/bench.sh for knobs).
bench:
    ./scripts/bench.sh
