#!/usr/bin/env bash
# Builds the SPA into web/dist: wasm (size-optimised profile), wasm-bindgen,
# wasm-opt -Oz, the static files; then names every asset but index.html by
# its content (app-<16 hex>.js, …) so the api can let browsers cache them for
# a year, and writes gzip and brotli twins of each text/wasm file, which the
# api serves to browsers that accept them (api/src/routes/static_files.rs).
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
cp "$ROOT/web/static/index.html" "$ROOT/web/static/style.css" "$out/"
# The keys the SPA checks the ledger with (log key, witness keys, quorum):
# pinned at build time when CARELEDGER_TRUST_POLICY names a policy file,
# otherwise placed next to the SPA at deploy (README, "Pinned keys in the
# browser"). Never content-hashed: operators replace it without a rebuild.
if [ -n "${CARELEDGER_TRUST_POLICY:-}" ]; then
  grep -q '^log ' "$CARELEDGER_TRUST_POLICY" || die "$CARELEDGER_TRUST_POLICY has no 'log <key>' line"
  cp "$CARELEDGER_TRUST_POLICY" "$out/trust-policy.txt"
fi

# Content-hashed names.
hashed() { # file stem ext -> new name (the file is renamed)
  local name
  name="$2-$(sha256sum "$out/$1" | cut -c1-16).$3"
  mv "$out/$1" "$out/$name"
  echo "$name"
}
wasm=$(hashed app_bg.wasm app_bg wasm)
js=$(hashed app.js app js)
css=$(hashed style.css style css)
printf 'import init from "/%s";\nawait init({ module_or_path: "/%s" });\n' "$js" "$wasm" > "$out/boot.js"
boot=$(hashed boot.js boot js)
sed -i -e "s|/style.css|/$css|" -e "s|/boot.js|/$boot|" \
  -e "s|<!-- preload -->|<link rel=\"modulepreload\" href=\"/$js\">\n  <link rel=\"preload\" href=\"/$wasm\" as=\"fetch\" type=\"application/wasm\" crossorigin>|" \
  "$out/index.html"
grep -q "/$boot" "$out/index.html" || die "index.html does not load /boot.js"

# Precompressed twins (brotli through Node's zlib: no extra tool).
for f in "$out"/*.wasm "$out"/*.js "$out"/*.css "$out"/*.html; do
  gzip -9 -n -k -f "$f"
done
node -e '
const fs = require("fs"), zlib = require("zlib");
for (const f of process.argv.slice(1)) {
  fs.writeFileSync(f + ".br", zlib.brotliCompressSync(fs.readFileSync(f), {
    params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11,
              [zlib.constants.BROTLI_PARAM_SIZE_HINT]: fs.statSync(f).size } }));
}' "$out"/*.wasm "$out"/*.js "$out"/*.css "$out"/*.html
log "web/dist ready ($wasm: $(( $(stat -c %s "$out/$wasm.gz") / 1024 )) KiB gzip, $(( $(stat -c %s "$out/$wasm.br") / 1024 )) KiB brotli)"
