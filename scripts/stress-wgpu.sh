#!/usr/bin/env bash
# Runs each native test binary that opens a wgpu device N times (default 20) with Mesa's shader
# cache off, as on a fresh machine, and default test threads, and counts the runs that fail or
# crash. A crash at exit (a signal after every test passed) counts as a failure. The test
# command runs each binary once; this is the proof that their exits are clean:
#   scripts/stress-wgpu.sh [N]        (needs Mesa's Vulkan drivers: scripts/setup.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-20}"
TESTS=(backends latent_backends)
export MESA_SHADER_CACHE_DISABLE=true
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"

args=()
for t in "${TESTS[@]}"; do args+=(--test "$t"); done
# The same build as scripts/test.sh's native tests, so nothing is compiled twice.
mapfile -t bins < <(cargo test --release --locked --features test-hooks --no-run \
  --message-format=json "${args[@]}" 2>/dev/null |
  node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{for(const l of s.split("\n")){
    if(!l.startsWith("{"))continue;const m=JSON.parse(l);
    if(m.reason==="compiler-artifact"&&m.executable&&m.target.kind.includes("test"))console.log(m.executable)}})')
[ "${#bins[@]}" -eq "${#TESTS[@]}" ] || { echo "stress-wgpu: expected ${#TESTS[@]} test binaries, found ${#bins[@]}" >&2; exit 1; }

passed=0 failed=0
log="$(mktemp)"
for bin in "${bins[@]}"; do
  name="$(basename "$bin")"
  for i in $(seq 1 "$RUNS"); do
    if "$bin" >"$log" 2>&1; then
      passed=$((passed + 1))
    else
      rc=$?
      failed=$((failed + 1))
      echo "stress-wgpu: ${name%-*} run $i of $RUNS exited with $rc; its last lines:"
      tail -n 15 "$log" | sed 's/^/    /'
    fi
  done
  echo "stress-wgpu: ${name%-*}: $RUNS runs done"
done
rm -f "$log"
echo "stress-wgpu: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
