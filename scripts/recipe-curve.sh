#!/usr/bin/env bash
# Quality against training time for one digits recipe, natively on the CPU: trains with the
# given `webgan train` flags on the first 10,000 MNIST digits (as many as the page's Train view
# has), stops at each step count, and scores the generator with `webgan eval` (the project's
# classifier: conditional accuracy, per-class accuracy, FID against the real-data floor).
# Prints one line per stop: steps, seconds of training so far, steps/s, accuracy, worst class,
# FID ratio.
#   scripts/recipe-curve.sh OUT "STEPS..." [webgan train flags...]
#   e.g. scripts/recipe-curve.sh runs/quick "150 300 600" --width 32 --lr-g 5e-4 --lr-d 5e-4
# WEBGAN (the binary; default $CARGO_TARGET_DIR/release/webgan), DATA (../shared/data/mnist).
set -euo pipefail
cd "$(dirname "$0")/.."
out="$1" stops="$2"
shift 2
bin="${WEBGAN:-${CARGO_TARGET_DIR:-target}/release/webgan}"
data="${DATA:-../shared/data/mnist}"
mkdir -p "$out"
seconds=0
for s in $stops; do
  resume=()
  [ -f "$out/ckpt-latest.wgan" ] && resume=(--resume "$out/ckpt-latest.wgan")
  t0=$(date +%s.%N)
  "$bin" train --preset digits --data "$data" --limit 10000 --steps "$s" --quiet \
    --sample-every 0 --checkpoint-every 0 --out "$out" "${resume[@]}" "$@" >/dev/null
  seconds=$(echo "$seconds + $(date +%s.%N) - $t0" | bc)
  rate=$(tail -n 1 "$out/log.jsonl" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).steps_per_s.toFixed(2)))')
  "$bin" eval --model "$out/generator.wgan" --data "$data" --samples 1000 >"$out/eval-$s.txt" 2>/dev/null
  node -e '
    const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n");
    const r = JSON.parse(lines.find((l) => l.startsWith("{")));
    const per = r.per_class_accuracy || [];
    const worst = per.reduce((w, a, i) => (a < per[w] ? i : w), 0);
    console.log(`steps ${process.argv[2]}  train ${Number(process.argv[3]).toFixed(0)} s  ${process.argv[4]} steps/s  ` +
      `accuracy ${(100 * r.conditional_accuracy).toFixed(1)}%  worst ${worst}: ${(100 * per[worst]).toFixed(1)}%  ` +
      `FID ${r.fid.toFixed(2)} (${r.fid_ratio.toFixed(2)}x floor)`);
  ' "$out/eval-$s.txt" "$s" "$seconds" "$rate"
done
