// Benchmark of training in the page (numbers, not a test), driven through the Train view's UI
// in Debian's headless Chromium: steps per second for the digits DCGAN at batch 64 and the ring
// MLP, on WebGPU and on the CPU (the first WARMUP steps excluded), and the worker's wasm memory
// (wasmMemoryBytes) at two step counts of a ring run, to show it stays flat.
// Run after scripts/build-web.sh: `npm run bench:train`. Prints a table and one JSON line per number.
//   BENCH_BACKENDS=webgpu,cpu      which backends
//   BENCH_WARMUP=5                 steps excluded (the first compiles GPU shaders)
//   BENCH_DIGITS_STEPS=25          steps measured for digits; BENCH_RING_STEPS=25 (WebGPU), 300 (CPU)
//   BENCH_MEMORY_STEPS=100,5000    the two step counts for memory
//   BENCH_MEMORY_BUDGET_S=900      a memory run stops there and reports the step it reached
// On this project's CPU-only machines WebGPU is SwiftShader (a CPU emulation): a ring step takes
// about 3 s there and a digits step about 25 s, so the defaults run for about 40 minutes.
import { chromium } from 'playwright-core';
import { serve } from './serve.mjs';
import { BASE_ARGS } from './harness.mjs';

const env = (name, fallback) => process.env[name] || fallback;
const BACKENDS = env('BENCH_BACKENDS', 'webgpu,cpu').split(',');
const WARMUP = Number(env('BENCH_WARMUP', 5));
const MEMORY_STEPS = env('BENCH_MEMORY_STEPS', '100,5000').split(',').map(Number);
const MEMORY_BUDGET_MS = 1000 * Number(env('BENCH_MEMORY_BUDGET_S', 900));
const ARGS = BASE_ARGS;
const HOUR = 60 * 60 * 1000;

function cases(backend) {
  return [
    {
      name: 'digits DCGAN b64',
      dataset: 'digits',
      batch: '64',
      steps: Number(env('BENCH_DIGITS_STEPS', 25)),
    },
    {
      name: 'ring MLP (default b256)',
      dataset: 'ring',
      batch: '',
      steps: Number(env('BENCH_RING_STEPS', backend === 'cpu' ? 300 : 25)),
    },
  ];
}

async function openTrainView(server, backend) {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: backend === 'webgpu' ? [...ARGS, '--enable-unsafe-webgpu'] : ARGS,
  });
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error('  [page exception]', e.message));
  await page.goto(server.url + 'index.html');
  // The Generate view draws its first grid on load: let it finish so it does not share the CPU.
  await page.waitForFunction(() => Number(document.body.dataset.generations || 0) >= 1, null, {
    timeout: HOUR,
  });
  await page.click('#tab-train');
  await page.selectOption('#train-backend-choice', backend);
  await page.waitForFunction(
    (b) => window.webganTrain.backend && window.webganTrain.backend.isGpu === (b === 'webgpu'),
    backend,
    { timeout: HOUR },
  );
  return { browser, page, description: await page.textContent('#train-backend') };
}

const stats = (page) => page.evaluate(() => window.webganTrain.stats);
async function statsAt(page, step) {
  await page.waitForFunction(
    (n) => {
      if (document.getElementById('train-status').classList.contains('error')) return true;
      const s = window.webganTrain.stats;
      return s && s.step >= n;
    },
    step,
    { timeout: HOUR, polling: 50 },
  );
  if (
    await page.evaluate(() => document.getElementById('train-status').classList.contains('error'))
  ) {
    throw new Error(await page.textContent('#train-status'));
  }
  return stats(page);
}

// Starts a fresh run: no views after step 0, so only training is timed.
async function startRun(page, dataset, batch) {
  await page.click('#train-reset');
  await page.selectOption('#train-dataset', dataset);
  await page.fill('#train-batch', batch);
  await page.fill('#train-refresh', '100000');
  await page.click('#train-start');
}

async function speed(page, c) {
  await startRun(page, c.dataset, c.batch);
  const a = await statsAt(page, WARMUP);
  const b = await statsAt(page, a.step + c.steps);
  await page.click('#train-pause');
  const stepsPerS = (1000 * (b.step - a.step)) / (b.at - a.at);
  return {
    steps_per_s: Number(stepsPerS.toFixed(3)),
    ms_per_step: Number((1000 / stepsPerS).toFixed(1)),
    measured_steps: b.step - a.step,
    from_step: a.step,
  };
}

async function memory(page) {
  await startRun(page, 'ring', '');
  const t0 = Date.now();
  const first = await statsAt(page, MEMORY_STEPS[0]);
  let last = first;
  while (last.step < MEMORY_STEPS[1] && Date.now() - t0 < MEMORY_BUDGET_MS) {
    await page.waitForTimeout(2000);
    last = await stats(page);
  }
  await page.click('#train-pause');
  return {
    step_a: first.step,
    bytes_a: first.memory,
    step_b: last.step,
    bytes_b: last.memory,
    reached_target: last.step >= MEMORY_STEPS[1],
  };
}

const server = await serve('dist');
const rows = [];
try {
  for (const backend of BACKENDS) {
    const { browser, page, description } = await openTrainView(server, backend);
    console.error(`bench: ${backend}: ${description}`);
    // Memory first, while the worker's wasm memory holds only the ring run (it never shrinks).
    const m = await memory(page);
    rows.push({ kind: 'memory', backend, description, case: 'ring MLP', ...m });
    for (const c of cases(backend)) {
      const r = await speed(page, c);
      rows.push({ kind: 'speed', backend, description, case: c.name, ...r });
      console.error(`bench: ${backend} ${c.name}: ${r.steps_per_s} steps/s`);
    }
    await browser.close();
  }
} finally {
  server.close();
}

const mib = (b) => (b / 2 ** 20).toFixed(1);
console.log('backend  case                       steps/s   ms/step   measured');
for (const r of rows.filter((r) => r.kind === 'speed')) {
  console.log(
    `${r.backend.padEnd(8)} ${r.case.padEnd(26)} ${String(r.steps_per_s).padStart(7)} ${String(r.ms_per_step).padStart(9)}   steps ${r.from_step}-${r.from_step + r.measured_steps}`,
  );
}
console.log('backend  wasm memory (ring)');
for (const r of rows.filter((r) => r.kind === 'memory')) {
  console.log(
    `${r.backend.padEnd(8)} step ${r.step_a}: ${mib(r.bytes_a)} MiB; step ${r.step_b}: ${mib(r.bytes_b)} MiB${r.reached_target ? '' : ` (time budget reached before step ${MEMORY_STEPS[1]})`}`,
  );
}
for (const r of rows)
  console.log(
    JSON.stringify({
      bench: r.kind === 'speed' ? 'train-speed' : 'train-memory',
      ...r,
      kind: undefined,
    }),
  );
