// What the e2e scripts share: launching Chromium, waiting for the Generate view, and a tiny
// TAP-like check runner.
import { readFileSync } from 'node:fs';

export const BASE_ARGS = [
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

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

/// Launches Debian's Chromium (CHROMIUM overrides the path); `webgpu` adds the flag that gives
/// headless Chromium WebGPU (SwiftShader). Without it the page has no WebGPU. `camera` gives it
/// Chromium's fake camera (a moving test pattern) and accepts its permission prompt.
export async function launch(chromium, webgpu = false, { camera = false } = {}) {
  const args = [...BASE_ARGS];
  if (webgpu) args.push('--enable-unsafe-webgpu');
  if (camera) args.push('--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream');
  return chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args });
}

/// How long any one wait or action on a test page may take. Every wait is on the page's own
/// state (counters, data attributes, messages), never on a clock: this only stops a page that
/// truly hangs. SwiftShader compiles its first shaders on the CPU, which takes minutes on 2 cores.
export const PAGE_TIMEOUT = 10 * 60 * 1000;

/// A new page (in its own context) with PAGE_TIMEOUT for every wait and action, its console
/// errors echoed. The page's service worker is blocked unless `options` allows it: these pages
/// test what the page does, each from the network as on a first visit; tests/e2e/offline.mjs
/// tests the worker.
export async function newPage(browser, options = {}) {
  const page = await browser.newPage({ serviceWorkers: 'block', ...options });
  page.setDefaultTimeout(PAGE_TIMEOUT);
  echoErrors(page);
  return page;
}

/// Prints the page's console errors and exceptions under the check that caused them.
export function echoErrors(page) {
  page.on('console', (m) => {
    if (m.type() === 'error') console.log('  [page error]', m.text());
  });
  page.on('pageerror', (e) => console.log('  [page exception]', e.message));
}

/// Waits until the Generate view has drawn `count` grids in all (body[data-generations]) and is
/// idle again; a page error fails at once with the status line's words.
export async function waitForGenerations(page, count, timeout = 10 * 60 * 1000) {
  await page.waitForFunction(
    (n) =>
      Number(document.body.dataset.generations || 0) >= n ||
      document.body.dataset.state === 'error',
    count,
    { timeout },
  );
  const state = await page.evaluate(() => document.body.dataset.state);
  if (state === 'error') throw new Error('page error: ' + (await page.textContent('#status')));
  await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout });
}

/// The benchmarks' start: opens the page, lets the Generate view draw its first grid (so that it
/// does not share the CPU), opens the Train view with the backend "auto" chose, picks digits and
/// presses start. Resolves with that backend (window.webganTrain.backend).
export async function startDigitsTraining(page, url) {
  await page.goto(url + 'index.html');
  await page.waitForFunction(() => Number(document.body.dataset.generations || 0) >= 1);
  await page.click('#tab-train');
  await page.waitForFunction(() => window.webganTrain && window.webganTrain.backend);
  const backend = await page.evaluate(() => window.webganTrain.backend);
  await page.selectOption('#train-dataset', 'digits');
  await page.click('#train-start');
  return backend;
}

/// For page.addInitScript: wraps the WebGPU API before the page's scripts run, so that every
/// compute dispatch, queue submit, upload (writeBuffer), read-back (mapAsync) and buffer
/// created bumps a counter in window.gpuWork (the GPU-work benchmark and its test). liveBytes
/// is the size of the buffers created and not yet destroyed: the GPU memory the page holds
/// (a buffer dropped without destroy() stays counted, so it errs high).
export function countGpuWork() {
  const counts = {
    dispatches: 0,
    submits: 0,
    commandBuffers: 0,
    uploads: 0,
    uploadBytes: 0,
    readbacks: 0,
    buffers: 0,
    liveBytes: 0,
  };
  window.gpuWork = counts;
  const wrap = (proto, name, count) => {
    const original = proto && proto[name];
    if (!original) return;
    proto[name] = function (...args) {
      count(args);
      return original.apply(this, args);
    };
  };
  if (!self.GPUComputePassEncoder) return;
  wrap(GPUComputePassEncoder.prototype, 'dispatchWorkgroups', () => {
    counts.dispatches += 1;
  });
  wrap(GPUComputePassEncoder.prototype, 'dispatchWorkgroupsIndirect', () => {
    counts.dispatches += 1;
  });
  wrap(GPUQueue.prototype, 'submit', ([buffers]) => {
    counts.submits += 1;
    counts.commandBuffers += buffers.length;
  });
  wrap(GPUQueue.prototype, 'writeBuffer', ([, , data, , size]) => {
    counts.uploads += 1;
    counts.uploadBytes += size ?? data.byteLength ?? 0;
  });
  wrap(GPUBuffer.prototype, 'mapAsync', () => {
    counts.readbacks += 1;
  });
  const sizes = new WeakMap();
  const create = GPUDevice.prototype.createBuffer;
  GPUDevice.prototype.createBuffer = function (descriptor) {
    const buffer = create.call(this, descriptor);
    counts.buffers += 1;
    counts.liveBytes += descriptor.size;
    sizes.set(buffer, descriptor.size);
    return buffer;
  };
  const destroy = GPUBuffer.prototype.destroy;
  GPUBuffer.prototype.destroy = function () {
    if (sizes.has(this)) {
      counts.liveBytes -= sizes.get(this);
      sizes.delete(this);
    }
    return destroy.call(this);
  };
}

/// Runs tests/e2e/cpu-threads-worker.js in `page` (a worker from a blob) and returns its answer.
export async function runCpuWorker(page, origin, job) {
  const source = readFileSync(new URL('./cpu-threads-worker.js', import.meta.url), 'utf8');
  const answer = await page.evaluate(
    ({ source, job }) =>
      new Promise((resolve) => {
        const worker = new Worker(
          URL.createObjectURL(new Blob([source], { type: 'text/javascript' })),
          { type: 'module' },
        );
        worker.onmessage = ({ data }) => {
          worker.terminate();
          resolve(data);
        };
        worker.onerror = (e) => resolve({ error: e.message || 'the worker failed to start' });
        worker.postMessage(job);
      }),
    { source, job: { origin, ...job } },
  );
  if (answer.error) throw new Error(answer.error);
  return answer.runs;
}
