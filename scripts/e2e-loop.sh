#!/usr/bin/env bash
# Runs each page test file N times in a row (default 10) against the dist/ already built
# (WEBGAN_FEATURES=test-hooks SKIP_WASM_OPT=1 scripts/build-web.sh) and counts the runs that
# fail. The test command runs each file once; this is the proof that they do not fail at random:
#   scripts/e2e-loop.sh [N] [FILE...]     (FILE: page train latent find-face threads offline package; default all seven)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-10}"
shift || true
FILES=("$@")
[ ${#FILES[@]} -gt 0 ] || FILES=(page train latent find-face threads offline package)
[ -f dist/index.html ] || { echo "e2e-loop: no dist/: run scripts/build-web.sh first" >&2; exit 1; }

summary=()
total_failed=0
for f in "${FILES[@]}"; do
  passed=0 failed=0
  for i in $(seq 1 "$RUNS"); do
    log="$(mktemp)"
    start=$(date +%s)
    if node "tests/e2e/$f.mjs" >"$log" 2>&1; then
      passed=$((passed + 1))
      echo "e2e-loop: $f run $i passed in $(($(date +%s) - start)) s"
    else
      failed=$((failed + 1))
      echo "e2e-loop: $f run $i FAILED after $(($(date +%s) - start)) s; its output:"
      tail -40 "$log"
    fi
    rm -f "$log"
  done
  summary+=("$f: $passed passed, $failed failed")
  total_failed=$((total_failed + failed))
done
printf 'e2e-loop: %s\n' "${summary[@]}"
[ "$total_failed" -eq 0 ]
