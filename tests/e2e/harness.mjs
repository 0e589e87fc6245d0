// What the e2e scripts share: Chromium's launch flags and a tiny TAP-like check runner.

export const BASE_ARGS = ['--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

const tally = { passed: 0, failed: 0 };

/// Runs one named check; a thrown error fails it (and is printed) without stopping the others.
export async function check(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    tally.passed += 1;
    console.log(`ok - ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  } catch (e) {
    tally.failed += 1;
    console.log(`not ok - ${name}\n${e.stack || e}`);
  }
}

/// Prints the tally and exits non-zero when any check failed.
export function finish() {
  console.log(`${tally.passed} passed, ${tally.failed} failed`);
  process.exit(tally.failed ? 1 : 0);
}
