#!/usr/bin/env bash
# Sets up and runs the demo: builds the page and serves it with trunk on
# http://127.0.0.1:18932/ (open it in a browser with WebGPU; others fall back to the CPU).
# The shipped models (models/*.wgan) are used; no data is needed.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --trunk
# The size-optimised profile (LTO, opt-level s): 2.9 MB of gzipped wasm instead of 4.3 MB.
# trunk's pre-build hook (scripts/build-web.sh) builds with it, now and on every rebuild.
export PROFILE=wasm-release
echo "demo: trunk builds the page (the first build of burn for wasm takes about 15 minutes,"
echo "      wasm-opt 2-3 more), then serves it on http://127.0.0.1:18932/ (Ctrl-C stops)"
exec trunk serve
