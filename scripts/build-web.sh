#!/usr/bin/env bash
# Builds the SPA into web/dist: wasm (size-optimised profile), wasm-bindgen,
# wasm-opt -Oz, and the static files.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

log "building the web app (wasm32)"
cargo build -p web --target wasm32-unknown-unknown --profile wasm-release --quiet
out="$ROOT/web/dist"
rm -rf "$out" && mkdir -p "$out"
target_dir="${CARGO_TARGET_DIR:-$ROOT/target}"
wasm-bindgen --target web --no-typescript --out-dir "$out" --out-name app \
  "$target_dir/wasm32-unknown-unknown/wasm-release/web.wasm"
if command -v wasm-opt >/dev/null; then
  wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals "$out/app_bg.wasm" -o "$out/app_bg.wasm"
fi
cp -r "$ROOT/web/static/." "$out/"
size=$(gzip -9 -c "$out/app_bg.wasm" | wc -c)
log "web/dist ready (app_bg.wasm: $(( size / 1024 )) KiB gzip)"
