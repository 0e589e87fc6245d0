#!/usr/bin/env bash
# Sets up and runs the demo: trains the 2-D ring GAN and draws its samples to demo/ring.png.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo build --release --locked
mkdir -p demo
target/release/webgan train --preset ring --steps 2000 --out demo/ring-run
target/release/webgan sample --model demo/ring-run/generator.wgan --n 2000 --out demo/ring.png
echo "demo: open demo/ring.png (grey: real samples, blue: generated); samples over time in demo/ring-run/samples/"
