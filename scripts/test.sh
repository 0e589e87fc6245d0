#!/usr/bin/env bash
# Sets up (scripts/setup.sh) and runs every test. This is what CI runs (.ci/run).
#  0. gates: rustfmt, prettier and eslint (seconds), then clippy with -D warnings on the three
#     builds that ship (the native CLI, the page's full module, its generation module)
#  1. native: unit and integration tests (cargo test; wgpu tests run on Mesa's lavapipe)
#  2. browser: wasm-bindgen-test in headless Chromium, on WebGPU (SwiftShader) and the CPU
#  3. page: builds dist/ (three wasm modules) and drives it in headless Chromium with Playwright;
#     then the page offline (service worker) and the npm package in a fresh project
# Nothing is retried: a failure is a failure. docs/testing.md says how to run one part.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# Mesa's Vulkan loader complains on every device open without a runtime dir (harmless noise).
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"

echo "== gates: formatting and lints"
JS=(www tests/e2e scripts eslint.config.mjs)
cargo fmt --check
npx prettier --check --log-level warn "${JS[@]}"
npx eslint "${JS[@]}"
WASM=(--target wasm32-unknown-unknown --no-default-features)
cargo clippy --release --locked --all-targets --features test-hooks -- -D warnings
cargo clippy --release --locked "${WASM[@]}" --features train,webgpu,test-hooks --lib --test web -- -D warnings
cargo clippy --release --locked "${WASM[@]}" --lib -- -D warnings

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
# Every file runs, once; the suite fails if any of them failed.
failed=()
for f in page train latent find-face threads offline package; do
  node "tests/e2e/$f.mjs" || failed+=("$f")
done
[ ${#failed[@]} -eq 0 ] || { echo "== page tests failed: ${failed[*]}" >&2; exit 1; }
