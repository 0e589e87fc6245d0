#!/usr/bin/env bash
# Builds the npm package of the library from the modules scripts/build-web.sh wrote, and packs
# it with `npm pack`:
#   "."         the generation module (pkg-gen/: generate, latent tools; no autodiff, no WebGPU)
#   "./full"    the full module (pkg/: WebGPU, training, inversion)
#   "./models/*"  the shipped weights (digits, faces, their classifiers), for those who want them
# with wasm-bindgen's .d.ts types (the Rust API's doc comments) and npm/README.md. The version is
# Cargo.toml's. Output (ignored by git): $NPM_OUT (default dist-npm/): webgan/ and the tarball.
# A release: PROFILE=wasm-release scripts/build-web.sh, then scripts/package.sh. The tests pack
# the test build (WEBGAN_FEATURES=test-hooks), which carries a test-only hook; this says so.
#   scripts/package.sh     (prints the tarball's path last)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${NPM_OUT:-dist-npm}"
for f in pkg/webgan.js pkg/webgan_bg.wasm pkg-gen/webgan.js pkg-gen/webgan_bg.wasm; do
  [ -f "$f" ] || { echo "package: $f missing: run scripts/build-web.sh first" >&2; exit 1; }
done
if grep -q injectNan pkg/webgan.d.ts; then
  echo "package: pkg/ was built with the tests' hooks (WEBGAN_FEATURES=test-hooks): fine for a test, not for a release" >&2
fi
VERSION="$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)"
LICENSE="$(sed -n 's/^license = "\(.*\)"$/\1/p' Cargo.toml | head -1)"
DESCRIPTION="$(sed -n 's/^description = "\(.*\)"$/\1/p' Cargo.toml | head -1)"

dir="$OUT/webgan"
rm -rf "$dir" && mkdir -p "$dir/gen" "$dir/full" "$dir/models"
for f in webgan.js webgan_bg.wasm webgan.d.ts webgan_bg.wasm.d.ts; do
  cp "pkg-gen/$f" "$dir/gen/"
  cp "pkg/$f" "$dir/full/"
done
cp models/*.wgan models/README.md "$dir/models/"
cp npm/README.md "$dir/"

VERSION="$VERSION" LICENSE="$LICENSE" DESCRIPTION="$DESCRIPTION" node -e '
const { env } = process;
const entry = (dir) => ({ types: `./${dir}/webgan.d.ts`, default: `./${dir}/webgan.js` });
const pkg = {
  name: "webgan",
  version: env.VERSION,
  description: env.DESCRIPTION,
  license: env.LICENSE,
  type: "module",
  main: "./gen/webgan.js",
  types: "./gen/webgan.d.ts",
  exports: {
    ".": entry("gen"),
    "./full": entry("full"),
    // The modules themselves, for bundlers that copy assets (esbuild --loader:.wasm=file).
    "./gen/webgan_bg.wasm": "./gen/webgan_bg.wasm",
    "./full/webgan_bg.wasm": "./full/webgan_bg.wasm",
    "./models/*": "./models/*",
    "./package.json": "./package.json",
  },
  files: ["gen/", "full/", "models/", "README.md"],
  // wasm-bindgen glue: importing it runs nothing until init(); unused exports can be dropped.
  sideEffects: false,
  keywords: ["gan", "webassembly", "wasm", "webgpu", "generative", "burn"],
};
require("fs").writeFileSync(process.argv[1], JSON.stringify(pkg, null, 2) + "\n");
' "$dir/package.json"

tarball="$(cd "$dir" && npm pack --silent --pack-destination ..)"
gz() { gzip -9 -c "$1" | wc -c; }
echo "package: $OUT/$tarball: $(wc -c <"$OUT/$tarball") bytes; gzipped wasm: \".\" $(gz "$dir/gen/webgan_bg.wasm") bytes, \"./full\" $(gz "$dir/full/webgan_bg.wasm") bytes" >&2
echo "$OUT/$tarball"
