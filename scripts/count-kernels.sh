#!/usr/bin/env bash
# Counts the GPU kernels of one 64-digit generation and of one digits training iteration
# (batch 64) natively, on whatever adapter wgpu picks (lavapipe on a machine without a GPU).
# cubecl logs each kernel it runs ("Executing NAME") when a cubecl.toml in the working
# directory asks for it; `webgan bench --only PART` runs a warm-up and then R timed repeats,
# so (count with R = 2) - (count with R = 1) is one run of PART.
#   scripts/count-kernels.sh [WEBGAN_BINARY]    (default: the release build)
# The browser's figures, with queue submits and uploads, are `npm run bench:gpu`'s.
set -euo pipefail
bin=$(realpath "${1:-${CARGO_TARGET_DIR:-target}/release/webgan}")
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
printf '[profiling.logger]\nlevel = "minimal"\nstdout = true\n' > "$dir/cubecl.toml"
count() {
  (cd "$dir" && XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}" "$bin" bench --backend wgpu --batch 64 --only "$1" --repeats "$2" 2>/dev/null) |
    grep -c '^Executing'
}
for part in generate train; do
  echo "$part: $(( $(count "$part" 2) - $(count "$part" 1) )) kernels"
done
