#!/usr/bin/env bash
# The real-GPU check of the wgpu path (issue 9), prepared here, run on a machine with an NVIDIA
# GPU that cannot build it (no Rust, no network: e.g. a lent device machine).
#
#   scripts/gpu-check.sh pack    here: builds webgan with fusion (this checkout), the same
#                                without fusion (a worktree of HEAD with `gpu = ["burn/wgpu"]`)
#                                and the agreement-test binaries, strips them and packs them
#                                into .gpu/payload.tar.xz (~33 MB with one large xz window:
#                                the binaries share most of their code)
#   scripts/gpu-check.sh run     there, from the checkout's root, with .gpu/ beside it (and
#                                Vulkan's loader: where `ldconfig -p | grep libvulkan` prints
#                                nothing, unpack libvulkan1's .deb from .gl/ first); OUT=DIR
#                                (default gpu-check-out) receives the logs; BATCHES (64,256)
#                                and REPEATS (20) size the timings
#
# `run` prints, each against PyTorch CUDA on the same GPU (scripts/torch_reference.py):
# `webgan bench --backend wgpu` with and without fusion, alternated; cubecl's per-kernel log of
# one generation and one iteration of each (profile-*.txt: kernel names and GPU times); and the
# wgpu-vs-flex agreement tests (tests/backends.rs, tests/latent_backends.rs) on that GPU.
set -uo pipefail
cd "$(dirname "$0")/.."

pack() {
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/webgan-ci/target}"
  local stage=/tmp/webgan-gpu-stage tree=/tmp/webgan-nofusion
  rm -rf "$stage" && mkdir -p "$stage" .gpu
  cargo build --release --locked --bin webgan && cp "$CARGO_TARGET_DIR/release/webgan" "$stage/webgan-fusion"
  cargo test --release --locked --no-run --test backends --test latent_backends 2>&1 |
    sed -n 's/.*(\(.*\/deps\/\([a-z_]*\)-[0-9a-f]*\))$/\1 \2/p' |
    while read -r exe name; do cp "$exe" "$stage/$name"; done
  git worktree remove --force "$tree" 2>/dev/null; rm -rf "$tree"
  git worktree add --detach "$tree" HEAD
  sed -i 's|^gpu = \["burn/wgpu", "burn/fusion"\]|gpu = ["burn/wgpu"]|' "$tree/Cargo.toml"
  grep -q '^gpu = \["burn/wgpu"\]' "$tree/Cargo.toml" || { echo "pack: could not turn fusion off" >&2; return 1; }
  (cd "$tree" && cargo build --release --bin webgan) && cp "$CARGO_TARGET_DIR/release/webgan" "$stage/webgan-nofusion"
  git worktree remove --force "$tree"
  # The last build was the variant: leave this checkout's binary in place again.
  cargo build --release --locked --bin webgan
  strip "$stage"/*
  ls -l "$stage"
  (cd "$stage" && tar cf - ./*) | xz -6 --lzma2=preset=6,dict=1024MiB -T1 > .gpu/payload.tar.xz
  ls -l .gpu/payload.tar.xz
}

run() {
  local out="${OUT:-gpu-check-out}" bin=/tmp/webgan-gpu-bin t0
  local batches="${BATCHES:-64,256}" repeats="${REPEATS:-20}"
  mkdir -p "$out" "$bin" /tmp/webgan-gpu-run /tmp/webgan-gpu-prof
  out=$(cd "$out" && pwd); t0=$(date +%s)
  step() { echo; echo "=== [$(( $(date +%s) - t0 ))s] $*"; }
  exec > >(tee -a "$out/log.txt") 2>&1
  step setup
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  local icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  # Only NVIDIA's driver: no software adapter can stand in for it unnoticed.
  [ -f "$icd" ] && export VK_DRIVER_FILES=$icd VK_ICD_FILENAMES=$icd
  export XDG_RUNTIME_DIR=/tmp
  xz -dc .gpu/payload.tar.xz | tar xf - -C "$bin" && ls "$bin"
  step "PyTorch CUDA, the same DCGAN"
  PYTHONUNBUFFERED=1 timeout 120 python3 scripts/torch_reference.py --device cuda --batch ${batches//,/ } --repeats "$repeats" > "$out/torch-cuda.txt" 2>&1
  cat "$out/torch-cuda.txt"
  local reference=()
  grep -q '^{' "$out/torch-cuda.txt" && reference=(--reference "$out/torch-cuda.txt")
  bench() {
    step "webgan bench --backend wgpu: $1"
    (cd /tmp/webgan-gpu-run && timeout 180 "$bin/webgan-$1" bench --backend wgpu --batch "$batches" --repeats "$repeats" "${reference[@]}")
  }
  bench fusion; bench nofusion; bench fusion; bench nofusion
  for v in fusion nofusion; do
    step "cubecl's kernel log (one warm-up and two of each): $v"
    (cd /tmp/webgan-gpu-prof && printf '[profiling.logger]\nlevel = "basic"\nstdout = true\n' > cubecl.toml &&
      timeout 120 "$bin/webgan-$v" bench --backend wgpu --batch 64 --repeats 2 > "$out/profile-$v.txt" 2>&1; tail -2 "$out/profile-$v.txt")
  done
  step "agreement tests on this GPU (wgpu vs flex)"
  (cd /tmp/webgan-gpu-run && timeout 200 "$bin/backends" && timeout 200 "$bin/latent_backends")
  step done
}

case "${1:-}" in
  pack) pack ;;
  run) run ;;
  *) sed -n 2,18p "$0"; exit 2 ;;
esac
