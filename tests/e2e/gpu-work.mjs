// Benchmark (numbers, not a test): how much GPU work the page asks of WebGPU. Counts, by
// wrapping the WebGPU API in the page before anything runs, the compute dispatches, queue
// submits, buffer uploads (writeBuffer), read-backs (mapAsync) and buffers created, for one
// 64-digit generation and one digits training iteration (D step + G step, batch 64), after a
// warm-up that compiles the shaders. Also prints each one's wall time on this adapter, and
// the GPU memory the page holds (buffers created and not destroyed) after the counted
// iteration and after BENCH_MORE further ones: flat over a run, or growing.
// Run after scripts/build-web.sh: `npm run bench:gpu` (needs WebGPU: headless Chromium with
// --enable-unsafe-webgpu gets SwiftShader here, where one digits iteration takes seconds).
// Prints a table, then one JSON line.
//   BENCH_WARMUP=2     generations / iterations run before counting
//   BENCH_MORE=10      training iterations run after the counted one (for the memory figure)
import { chromium } from 'playwright-core';
import { serve } from './serve.mjs';
import { BASE_ARGS, countGpuWork } from './harness.mjs';

const WARMUP = Number(process.env.BENCH_WARMUP || 2);
const MORE = Number(process.env.BENCH_MORE ?? 10);
const HOUR = 60 * 60 * 1000;

// In the page: the crate's own API (pkg/webgan.js), on WebGPU, no UI involved.
async function measure({ warmup, more }) {
  const webgan = await import('./pkg/webgan.js');
  await webgan.default();
  const backend = await webgan.Backend.open('webgpu');
  const snapshot = () => ({ ...window.gpuWork });
  const delta = (a, b) => Object.fromEntries(Object.keys(b).map((k) => [k, b[k] - a[k]]));
  const fetchBytes = async (url) => new Uint8Array(await (await fetch(url)).arrayBuffer());

  const gan = webgan.WebGan.load(backend, await fetchBytes('models/digits.wgan'), 'digits');
  const z = webgan.latentsForSeed(1, 64, gan.latentDim);
  const labels = gan.labels(64, -1);
  for (let i = 0; i < warmup; i++) await gan.generate(z, labels);
  let before = snapshot();
  let t0 = performance.now();
  await gan.generate(z, labels);
  const generation = { ...delta(before, snapshot()), ms: performance.now() - t0 };

  const data = webgan.WebData.fromIdx(
    'images',
    await fetchBytes('digits-images-idx3-ubyte.gz'),
    'labels',
    await fetchBytes('digits-labels-idx1-ubyte.gz'),
  );
  const trainer = new webgan.WebTrainer(
    backend,
    JSON.stringify({ preset: 'digits', batch_size: 64 }),
    data,
  );
  for (let i = 0; i < warmup; i++) await trainer.step(1);
  before = snapshot();
  t0 = performance.now();
  await trainer.step(1);
  const iteration = { ...delta(before, snapshot()), ms: performance.now() - t0 };
  const held = (steps) => ({ steps, mib: window.gpuWork.liveBytes / 2 ** 20 });
  const memory = [held(warmup + 1)];
  for (let i = 0; i < more; i++) await trainer.step(1);
  memory.push(held(warmup + 1 + more));
  return { adapter: backend.description, generation, iteration, memory };
}

const server = await serve('dist');
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: [...BASE_ARGS, '--enable-unsafe-webgpu'],
});
try {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error('  [page exception]', e.message));
  await page.addInitScript(countGpuWork);
  // Any page of the server's origin (this one is a 404): the benchmark imports the module
  // itself, with no UI around it.
  await page.goto(server.url + 'gpu-work');
  page.setDefaultTimeout(HOUR);
  const r = await page.evaluate(measure, { warmup: WARMUP, more: MORE });
  const row = (name, c) =>
    `| ${name} | ${c.dispatches} | ${c.submits} (${c.commandBuffers} command buffers) | ${c.uploads} (${(c.uploadBytes / 1024).toFixed(0)} KiB) | ${c.readbacks} | ${c.buffers} | ${(c.ms / 1000).toFixed(2)} s |`;
  console.log(`WebGPU adapter: ${r.adapter}`);
  console.log('| work | dispatches | submits | uploads | read-backs | buffers created | time |');
  console.log('|---|---|---|---|---|---|---|');
  console.log(row('64 digits (one generation)', r.generation));
  console.log(row('digits training iteration, batch 64', r.iteration));
  console.log(
    'GPU buffers held (created, not destroyed): ' +
      r.memory.map((m) => `${m.mib.toFixed(1)} MiB after ${m.steps} iterations`).join(', '),
  );
  console.log(JSON.stringify({ bench: 'gpu-work', ...r }));
} finally {
  await browser.close();
  server.close();
}
