#!/usr/bin/env bash
# Sets up and runs the demo: builds the page (scripts/build-web.sh) and serves dist/ with
# scripts/serve.mjs on http://127.0.0.1:18932/ (open it in a browser with WebGPU; others fall
# back to the CPU). The shipped models (models/*.wgan) are used; no data is needed.
#   PORT=18932 HOST=127.0.0.1    where to serve (HOST=0.0.0.0 to reach it from another machine)
#   PROFILE=wasm-release         the size-optimised build (release: shares the tests' build)
#   SKIP_WASM_OPT=1              skip wasm-opt (faster build, larger module)
#   scripts/demo.sh --no-build   serve the dist/ built last time
# For development with rebuild-on-save, `trunk serve` (scripts/setup.sh --trunk installs it).
set -euo pipefail
cd "$(dirname "$0")/.."
phase() { printf 'demo: %-44s %4d s\n' "$1" $(( $(date +%s) - $2 )); }

if [ "${1:-}" != "--no-build" ]; then
  t=$(date +%s); scripts/setup.sh --demo; phase "setup (tools; nothing when installed)" "$t"
  t=$(date +%s); PROFILE="${PROFILE:-wasm-release}" scripts/build-web.sh; phase "page build (wasm, bindings, dist/)" "$t"
fi
command -v node >/dev/null || { echo "demo: node is needed to serve the page (apt-get install nodejs)" >&2; exit 1; }
exec node scripts/serve.mjs dist --port "${PORT:-18932}" --host "${HOST:-127.0.0.1}"
