#!/usr/bin/env bash
# Sets up and runs the demo: builds the page (scripts/build-web.sh) and serves dist/ with
# scripts/serve.mjs on http://127.0.0.1:18932/ (open it in a browser with WebGPU; others fall
# back to the CPU). The shipped models (models/*.wgan) are used; no data is needed.
# A dist/ newer than every source is served as it is (a warm start takes a second).
#   PORT=18932 HOST=127.0.0.1    where to serve (HOST=0.0.0.0 to reach it from another machine)
#   PROFILE=wasm-release         the size-optimised build (release: shares the tests' build)
#   SKIP_WASM_OPT=1 (default)    skip wasm-opt: its modules are smaller raw but larger gzipped, and
#                                this server sends them gzipped (measured: build-web.sh kept
#                                wasm-bindgen's output for both, after 4 minutes of wasm-opt);
#                                SKIP_WASM_OPT= runs it (for servers that do not compress)
#   scripts/demo.sh --rebuild    build even when dist/ looks up to date
# For development with rebuild-on-save there is `trunk serve` (scripts/setup.sh --trunk).
set -euo pipefail
cd "$(dirname "$0")/.."
phase() { printf 'demo: %-48s %4d s\n' "$1" $(( $(date +%s) - $2 )); }

t=$(date +%s); scripts/setup.sh --demo; phase "setup (nothing to do when installed)" "$t"
sources=(src www models Cargo.toml Cargo.lock scripts/build-web.sh)
if [ ! -f dist/index.html ] || [ "${1:-}" = "--rebuild" ] ||
   [ -n "$(find "${sources[@]}" -newer dist/index.html -print -quit)" ]; then
  t=$(date +%s); PROFILE="${PROFILE:-wasm-release}" SKIP_WASM_OPT="${SKIP_WASM_OPT-1}" scripts/build-web.sh; phase "page build (wasm, bindings, dist/)" "$t"
else
  echo "demo: dist/ is newer than the sources: serving it as it is (--rebuild to build anyway)"
fi
command -v node >/dev/null || { echo "demo: node is needed to serve the page (apt-get install nodejs)" >&2; exit 1; }
exec node scripts/serve.mjs dist --port "${PORT:-18932}" --host "${HOST:-127.0.0.1}"
