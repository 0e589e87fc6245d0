// The Train view against its module (numbers, not a test), same run, same build, same settings:
// digits with the page's defaults trained (1) by the real Train view, every view, chart and
// meter on, and (2) by the same module in a bare worker (tests/e2e/cpu-threads-worker.js) with
// the thread count the Train view chose. The gap between the two is what the view's own work
// costs; the goal is at most 10%.
// Run after scripts/build-web.sh: `npm run bench:view`. Prints a table and one JSON line.
//   BENCH_SECONDS=40   seconds of the Train view measured (after BENCH_WARMUP steps)
//   BENCH_WARMUP=40    steps before either measurement starts
//   BENCH_STEPS=600    steps the bare worker times (one call, as the module's benchmark does)
import { chromium } from 'playwright-core';
import { serve } from './serve.mjs';
import { launch, newPage, runCpuWorker, startDigitsTraining } from './harness.mjs';

const env = (name, fallback) => Number(process.env[name] || fallback);
const SECONDS = env('BENCH_SECONDS', 40);
const WARMUP = env('BENCH_WARMUP', 40);
const STEPS = env('BENCH_STEPS', 600);

const browser = await launch(chromium);
const server = await serve('dist');
try {
  const page = await newPage(browser);
  const backend = await startDigitsTraining(page, server.url);
  const threads = backend.threads ? backend.threads.count : 1;
  await page.waitForFunction(
    (n) => window.webganTrain.stats && window.webganTrain.stats.step >= n,
    WARMUP,
  );
  const snapshot = () =>
    page.evaluate(() => ({
      t: performance.now(),
      step: window.webganTrain.stats.step,
      chunk: window.webganTrain.stats.chunk,
      views: window.webganTrain.views,
    }));
  const a = await snapshot();
  // A chunk-size histogram and the view and meter costs the worker reports, over the window.
  await page.evaluate(() => {
    window.benchChunks = [];
    const seen = new Set();
    window.benchTimer = setInterval(() => {
      const s = window.webganTrain.stats;
      if (s && !seen.has(s.step)) {
        seen.add(s.step);
        window.benchChunks.push(s.chunk);
      }
    }, 20);
  });
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const b = await snapshot();
  const chunks = await page.evaluate(() => {
    clearInterval(window.benchTimer);
    return window.benchChunks;
  });
  await page.click('#train-pause');
  await page.waitForFunction(() => window.webganTrain.state === 'paused');
  const viewRate = (1000 * (b.step - a.step)) / (b.t - a.t);

  // The same module, settings and threads in a bare worker (a fresh page: the view's worker and
  // its thread pool are gone with the old one).
  await page.close();
  const bare = await newPage(browser);
  await bare.goto(server.url + 'index.html');
  const kind = threads > 1 ? 'threads' : 'full';
  const [run] = await runCpuWorker(bare, server.url, {
    runs: [{ kind, threads }],
    genRounds: 1,
    trainSteps: STEPS,
    warmup: WARMUP,
  });
  const bareRate = (1000 * STEPS) / run.trainMs;
  const meanChunk = chunks.length ? chunks.reduce((x, y) => x + y, 0) / chunks.length : NaN;
  console.log(`headless Chromium; digits, the page's defaults; ${backend.description || kind}`);
  console.log('what | steps/s');
  console.log(
    `Train view (${SECONDS} s, mean chunk ${meanChunk.toFixed(1)} steps) | ${viewRate.toFixed(2)}`,
  );
  console.log(`bare worker (${STEPS} steps in one call) | ${bareRate.toFixed(2)}`);
  console.log(`the view reaches ${((100 * viewRate) / bareRate).toFixed(0)}% of its module's rate`);
  console.log(
    JSON.stringify({
      bench: 'train-view',
      threads,
      kind,
      seconds: SECONDS,
      viewRate,
      bareRate,
      meanChunk,
      views: b.views - a.views,
    }),
  );
  await bare.close();
} finally {
  await browser.close();
  server.close();
}
