// "auto" by measurement, in the Generate view. The first grid always comes from the small CPU
// generation module; then, where the browser has WebGPU, this times the same work on both
// backends in idle time (the full module loads in the background), and the page switches to
// WebGPU only where Rust's rule (src/trial.rs: what is timed, the margin, the warm-up's time
// limit) says so. The verdict is stored in this browser under a key Rust builds (adapter, model,
// module version), so a second visit does not measure again. This file times, stores and shows
// what Rust says; it decides nothing. Its state is on <body>: data-trial (none, measuring,
// warming, done, remembered, failed) and data-trials (how many measurements ran).
import { loadModule } from './modules.js';
import { run, session } from './session.js';

let latest = 0; // the newest trial: an older one still stores its verdict but applies nothing
let measured = 0;

// A new backend choice or model: whatever trial runs stops applying its verdict.
export function cancelTrial() {
  latest += 1;
}

// Where a trial ends, the page has settled on its backend: data-settled-ms says when.
function setState(state) {
  document.body.dataset.trial = state;
  if (!['measuring', 'warming'].includes(state))
    document.body.dataset.settledMs = performance.now().toFixed(0);
}

// Resolves when the browser has nothing else to do (at the latest after a second).
const idle = () =>
  new Promise((resolve) =>
    typeof requestIdleCallback === 'function'
      ? requestIdleCallback(() => resolve(), { timeout: 1000 })
      : setTimeout(resolve, 0),
  );

function readStored(key) {
  try {
    return localStorage.getItem(key);
  } catch {
    return null; // storage blocked: measure on every visit
  }
}

function store(key, record) {
  try {
    localStorage.setItem(key, record);
  } catch {
    // Storage blocked or full: the next visit measures again.
  }
}

// `task` in the view's queue (after any click's work), its result or error returned here
// rather than shown as the page's error.
async function queued(task) {
  let outcome;
  await run(async () => {
    try {
      outcome = { value: await task() };
    } catch (error) {
      outcome = { error };
    }
  });
  if (outcome.error) throw outcome.error;
  return outcome.value;
}

async function timeRuns(gan, z, labels, runs) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    await idle();
    const t0 = performance.now();
    await gan.generate(z, labels);
    times.push(performance.now() - t0);
  }
  return times;
}

// The warm-up's time in ms, or null once it outlasts limitMs (it runs on, unused).
function warmUp(gan, z, labels, limitMs) {
  let timer;
  const t0 = performance.now();
  return Promise.race([
    gan.generate(z, labels).then(() => performance.now() - t0),
    new Promise((resolve) => (timer = setTimeout(() => resolve(null), limitMs))),
  ]).finally(() => clearTimeout(timer));
}

// The full module's WebGPU generator for the current model, warmed (its shaders compiled):
// { full, backend, gan, warmMs } with warmMs null where the warm-up was given up.
async function webgpuGenerator(model, bytes, z, labels, limitMs) {
  const full = await loadModule('full');
  const backend = await full.Backend.open('webgpu');
  const gan = full.WebGan.load(backend, bytes, model);
  const warmMs = await warmUp(gan, z, labels, limitMs);
  return { full, backend, gan, warmMs };
}

// Starts the trial for the model in view, where "auto" has WebGPU to measure (session.trial,
// from Rust's planGenerate). Never awaited by the view: it waits for idle time and queues the
// few steps that touch the view's model. `adopt(wasm, backend, gan, kind)` makes a module's
// backend and generator the view's ('gen' or 'full'; called in the queue); `show()` redraws
// the backend line.
export async function startTrial({ adopt, show }) {
  const plan = session.trial;
  if (!plan || !plan.measure || !session.gan || session.gan.imageSize === 0) {
    setState('none');
    return;
  }
  const id = ++latest;
  const model = session.model;
  const bytes = session.bytes.get(model);
  const z = session.z.slice();
  const labels = session.labels.slice();
  const key = session.wasm.trialKey(plan.adapter, model, session.gan);
  const gen = await loadModule('gen');
  const rule = gen.trialRule();
  const limitMs = rule.warmupLimitMs;
  let gpu = null;
  let cpuGan = null;
  try {
    let verdict = gen.rememberedTrial(readStored(key), Date.now()) || null;
    const remembered = verdict !== null;
    if (!verdict) {
      setState('measuring');
      await idle();
      // The CPU's runs in the queue: no click's generation runs between them.
      const cpuMs = await queued(() => {
        const onCpu = !session.backend.isGpu && session.model === model;
        cpuGan = onCpu ? null : gen.WebGan.load(gen.Backend.cpu(), bytes, model);
        return timeRuns(cpuGan || session.gan, z, labels, rule.cpuRuns);
      });
      setState('warming');
      gpu = await webgpuGenerator(model, bytes, z, labels, limitMs);
      const gpuMs = gpu.warmMs === null ? [] : await timeRuns(gpu.gan, z, labels, rule.gpuRuns);
      verdict = gen.decideTrial(cpuMs, gpuMs, gpu.warmMs ?? limitMs, model, Date.now());
      store(key, verdict.record);
      measured += 1;
      document.body.dataset.trials = String(measured);
    } else if (verdict.useGpu) {
      // Measured faster on an earlier visit: warm its shaders before switching.
      setState('warming');
      gpu = await webgpuGenerator(model, bytes, z, labels, limitMs);
      if (gpu.warmMs === null) throw new Error('WebGPU took too long to warm up this time');
    }
    const { useGpu, reasonCode, sentence } = verdict;
    verdict.free();
    await queued(async () => {
      if (id !== latest || session.model !== model) return;
      if (useGpu && gpu && gpu.warmMs !== null) {
        const { full, gan } = gpu;
        const backend = gpu.backend.measured(reasonCode, sentence);
        gpu = null; // the view's now, not freed below
        await adopt(full, backend, gan, 'full');
      } else if (session.backend.isGpu) {
        // This model on the CPU, where the view was on WebGPU for the previous one.
        const backend = gen.Backend.cpu().measured(reasonCode, sentence);
        await adopt(gen, backend, cpuGan || gen.WebGan.load(backend, bytes, model), 'gen');
        cpuGan = null;
      } else {
        session.backend = session.backend.measured(reasonCode, sentence);
        show();
      }
    });
    setState(remembered ? 'remembered' : 'done');
  } catch (e) {
    // A trial that fails (WebGPU would not open, the full module did not load offline, a lost
    // device) leaves the CPU in use, and the backend line says so.
    console.warn('webgan: the backend trial stopped:', e);
    await queued(() => {
      if (id !== latest || session.backend.isGpu) return;
      session.backend = session.backend.measured('trial_failed');
      show();
    }).catch(() => {});
    setState('failed');
  } finally {
    // A generator still warming up holds its own reference: freeing the handle is safe.
    if (gpu) gpu.gan.free();
    if (cpuGan) cpuGan.free();
  }
}
