#!/usr/bin/env bash
# Sets up (scripts/setup.sh) and runs every test. This is what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# Release mode: burn's kernels in debug mode make the training tests minutes slower, and the
# release artifacts are shared with `cargo build --release`.
cargo test --release --locked 2>&1
