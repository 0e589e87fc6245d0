// Benchmark of the page's CPU path on one thread and on N (numbers, not a test), in Debian's
// headless Chromium, same run: the single-threaded full module against the threaded build
// (pkg-threads/), each in a worker of a cross-origin isolated page (tests/e2e/cpu-threads-worker.js):
// 64 digits of the shipped generator (median of BENCH_GEN_ROUNDS, the first excluded) and digits
// DCGAN training at batch 64 (steps per second over BENCH_STEPS steps after BENCH_WARMUP).
// Run after scripts/build-web.sh: `npm run bench:threads`. Prints a table and one JSON line.
//   BENCH_THREADS=N    threads of the threaded run (default: the browser's cores)
//   BENCH_SPEC=JSON    training settings over the page's defaults, e.g. '{"batch_size":64}'
import { chromium } from 'playwright-core';
import { serve } from './serve.mjs';
import { launch, runCpuWorker } from './harness.mjs';

const env = (name, fallback) => Number(process.env[name] || fallback);
const GEN_ROUNDS = env('BENCH_GEN_ROUNDS', 6);
const STEPS = env('BENCH_STEPS', 20);
const WARMUP = env('BENCH_WARMUP', 2);

const browser = await launch(chromium);
const server = await serve('dist');
try {
  const page = await browser.newPage();
  await page.goto(server.url + 'index.html');
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  const threads = env('BENCH_THREADS', cores);
  const runs = await runCpuWorker(page, server.url, {
    runs: [
      { kind: 'full', threads: 1 },
      { kind: 'threads', threads },
    ],
    genRounds: GEN_ROUNDS,
    trainSteps: STEPS,
    warmup: WARMUP,
    spec: JSON.parse(process.env.BENCH_SPEC || '{}'),
  });
  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)];
  };
  const rows = runs.map((r) => ({
    threads: r.threads,
    description: r.description,
    generate64Ms: median(r.genMs.slice(1)),
    trainStepsPerS: (1000 * STEPS) / r.trainMs,
  }));
  const [one, many] = rows;
  console.log(
    `headless Chromium, ${cores} cores (navigator.hardwareConcurrency); digits, the page's defaults ${process.env.BENCH_SPEC || ''}`,
  );
  console.log('threads | 64 digits (median ms) | training steps/s');
  for (const r of rows)
    console.log(
      `${String(r.threads).padStart(7)} | ${r.generate64Ms.toFixed(1).padStart(21)} | ${r.trainStepsPerS.toFixed(2).padStart(16)}`,
    );
  console.log(
    `speed-up with ${many.threads} threads: generation ${(one.generate64Ms / many.generate64Ms).toFixed(2)}x, training ${(many.trainStepsPerS / one.trainStepsPerS).toFixed(2)}x`,
  );
  console.log(
    JSON.stringify({
      bench: 'cpu-threads',
      cores,
      steps: STEPS,
      warmup: WARMUP,
      genRounds: GEN_ROUNDS,
      rows,
    }),
  );
} finally {
  await browser.close();
  server.close();
}
