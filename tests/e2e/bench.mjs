// Benchmark of the page (numbers, not a test): what the digits page transfers before its first
// grid (every file it asked for, gzipped as a server would send it), time from load to the
// first grid, and generation latency for 64 digits on WebGPU and on the CPU in Debian's
// headless Chromium (median of repeated runs after the first).
// Run after `PROFILE=wasm-release scripts/build-web.sh` (the demo's build): `npm run bench`.
import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { serve } from './serve.mjs';
import { BASE_ARGS } from './harness.mjs';

const REPEATS = Number(process.env.REPEATS || 7);
const ARGS = BASE_ARGS;

// Raw and gzip -9 sizes of the dist/ files a page asked for.
function sizesOf(paths) {
  const sizes = Object.fromEntries(
    paths.map((f) => {
      const raw = readFileSync(`dist/${f}`);
      return [f, { raw: raw.length, gzip: gzipSync(raw, { level: 9 }).length }];
    }),
  );
  const total = Object.values(sizes).reduce(
    (a, s) => ({ raw: a.raw + s.raw, gzip: a.gzip + s.gzip }),
    { raw: 0, gzip: 0 },
  );
  return { sizes, total };
}

function printSizes(title, { sizes, total }) {
  console.log(`${title}\nfile                      raw bytes   gzip bytes`);
  for (const [f, s] of Object.entries(sizes))
    console.log(`${f.padEnd(24)} ${String(s.raw).padStart(10)} ${String(s.gzip).padStart(12)}`);
  console.log(
    `${'total'.padEnd(24)} ${String(total.raw).padStart(10)} ${String(total.gzip).padStart(12)}`,
  );
}

async function measure(server, webgpu) {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: webgpu ? [...ARGS, '--enable-unsafe-webgpu'] : ARGS,
  });
  const page = await browser.newPage();
  const requested = new Set();
  page.on('request', (r) => {
    if (r.url().startsWith(server.url))
      requested.add(new URL(r.url()).pathname.slice(1) || 'index.html');
  });
  const t0 = Date.now();
  // auto would pick the CPU on a software adapter: the WebGPU run asks for WebGPU.
  await page.goto(server.url + `index.html#model=digits&seed=1${webgpu ? '&backend=webgpu' : ''}`);
  await page.waitForFunction(() => Number(document.body.dataset.generations || 0) >= 1, null, {
    timeout: 15 * 60 * 1000,
  });
  const firstGridMs = Date.now() - t0;
  const beforeFirstGrid = sizesOf([...requested]);
  const backend = (await page.textContent('#backend summary')).trim();
  // Each Generate click records the generator's time in #samples[data-generate-ms].
  const times = [];
  for (let i = 0; i < REPEATS; i++) {
    const before = Number(await page.evaluate(() => document.body.dataset.generations));
    await page.click('#generate');
    await page.waitForFunction((n) => Number(document.body.dataset.generations) > n, before, {
      timeout: 15 * 60 * 1000,
    });
    times.push(Number(await page.getAttribute('#samples', 'data-generate-ms')));
  }
  await browser.close();
  times.sort((a, b) => a - b);
  return { backend, firstGridMs, medianMs: times[Math.floor(times.length / 2)], beforeFirstGrid };
}

const server = await serve('dist');
try {
  const gpu = await measure(server, true);
  const cpu = await measure(server, false);
  printSizes(`before the first grid, auto (${cpu.backend}):`, cpu.beforeFirstGrid);
  printSizes(`before the first grid, WebGPU asked for (${gpu.backend}):`, gpu.beforeFirstGrid);
  for (const r of [gpu, cpu]) {
    console.log(
      `${r.backend}: load to first grid ${r.firstGridMs} ms; 64 digits median ${r.medianMs.toFixed(1)} ms`,
    );
  }
  console.log(
    JSON.stringify({
      cpu_transfer_gzip_bytes: cpu.beforeFirstGrid.total.gzip,
      cpu_transfer_raw_bytes: cpu.beforeFirstGrid.total.raw,
      webgpu_transfer_gzip_bytes: gpu.beforeFirstGrid.total.gzip,
      webgpu_first_grid_ms: gpu.firstGridMs,
      webgpu_generate_64_ms: Number(gpu.medianMs.toFixed(1)),
      cpu_first_grid_ms: cpu.firstGridMs,
      cpu_generate_64_ms: Number(cpu.medianMs.toFixed(1)),
      webgpu_backend: gpu.backend,
      cpu_backend: cpu.backend,
    }),
  );
} finally {
  server.close();
}
