#!/usr/bin/env bash
# Sets up (scripts/setup.sh) and runs every test. This is what CI runs (.ci/run).
#  1. native: unit and integration tests (cargo test; wgpu tests run on Mesa's lavapipe)
#  2. browser: wasm-bindgen-test in headless Chromium, on WebGPU (SwiftShader) and the CPU
#  3. page: builds dist/ (three wasm modules) and drives it in headless Chromium with Playwright
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# Mesa's Vulkan loader complains on every device open without a runtime dir (harmless noise).
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"

echo "== native tests"
# Release mode: burn's kernels in debug mode make the training tests minutes slower.
# test-hooks: hooks only tests use (e.g. poisoning a run with NaN); the shipped page lacks them.
cargo test --release --locked --features test-hooks

echo "== browser tests (wasm32, headless Chromium)"
export CHROMEDRIVER=/usr/bin/chromedriver
export WASM_BINDGEN_TEST_TIMEOUT=1500
cargo test --target wasm32-unknown-unknown --no-default-features --features train,webgpu,test-hooks --release --locked --test web

echo "== page tests (Playwright, headless Chromium)"
WEBGAN_FEATURES=test-hooks SKIP_WASM_OPT=1 scripts/build-web.sh
# A Chromium run of these files has, rarely, stalled or lost its page (measured: 1 of 10 WebGPU
# latent runs, 1 of 4 train runs; cause not yet found). A failing file is run once more, saying
# so loudly; a second failure fails the suite.
e2e() {
  node "$1" && return 0
  echo "== $1 failed; running it once more (see above for the failure)"
  node "$1"
}
e2e tests/e2e/page.mjs
e2e tests/e2e/train.mjs
e2e tests/e2e/latent.mjs
e2e tests/e2e/threads.mjs
