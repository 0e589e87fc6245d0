// The Train view's worker: owns the backend and the WebTrainer, loads the data, and trains in
// short chunks so that pause, step, reset and export messages are answered between chunks
// (the page's thread never waits on training). Protocol: see the table in www/train.js.
// It runs one of two modules (www/modules.js): the full one (WebGPU, or the CPU on one thread)
// or the threaded CPU build, where Rust's planCpuThreads allows more than one thread. A
// worker's thread count is fixed once its pool starts; the page replaces the worker (moving
// the run) when the count setting changes.
import { loadDigits, decodeUserFiles, presetFor } from './train-data.js';
import { messageOf } from './common.js';
import { loadModule } from './modules.js';
import { FromWorker, ToWorker, runInfo } from './train-protocol.js';
import { Watch } from './train-watch.js';
import { carriedVerdict, measureBackends } from './train-trial.js';

const CHUNK_TARGET_MS = 120; // a chunk this long keeps pause/step responsive
const MAX_CHUNK = 64;
const SLOW_MOTION_MS = 300;
const RATE_WINDOW_MS = 3000;
const PAGE_BASE = new URL('.', self.location).href;

// The module in use: its classes and functions (WebTrainer, WebData, renderGrid, …). Objects
// made by one module cannot be used by the other: a switch remakes the data (state.source).
let wasm = null;
let wasmKind = null;
let poolThreads = 0; // threads of the threaded build's pool, once started (fixed for the worker's life)

const state = {
  backend: null,
  threadsLimit: 0, // the page's setting: 0 = as many as the browser has cores
  backendChoice: null,
  label: null, // the trial's verdict behind "auto" (reason code and sentence), if it measured
  trainer: null,
  data: null, // {webData, summary}: the image data set in use (a backend switch re-uses it)
  dataKey: null,
  source: null, // what state.data was loaded from: [source, shape], to remake it in another module
  running: false,
  looping: false,
  slow: false,
  refreshEvery: 20,
  stepMs: null, // moving average of milliseconds per step, sizes the chunks
  recent: [], // {t0, t1, n} of recent chunks, for steps per second
};

const post = (message, transfer = []) => self.postMessage(message, transfer);
const status = (text) => post({ type: FromWorker.STATUS, text });
// Rust's errors carry a `kind` (diverged, bad_input, bad_weights, backend, readback, busy).
const kindOf = (e) => (e && e.kind) || (isFatal(e) ? 'crash' : 'other');
// A trap (a Rust panic) leaves the wasm instance unusable: the page then replaces this worker.
const isFatal = (e) => e instanceof WebAssembly.RuntimeError;
// The views, the quality meter and the time-lapse of the run in hand.
const watch = new Watch({ post, status, pageBase: PAGE_BASE, isFatal });
const views = () => state.trainer && watch.views(wasm, state.trainer);
const stepsOf = (t) => {
  try {
    return t ? t.steps : 0;
  } catch {
    return 0;
  }
};
function reportError(e, during) {
  post({
    type: FromWorker.ERROR,
    message: messageOf(e),
    kind: kindOf(e),
    during,
    step: stepsOf(state.trainer),
    fatal: isFatal(e),
  });
  if (isFatal(e)) state.running = false;
  else setRunning(false, 'error');
}

// Every use of the trainer goes through this queue: wasm objects must not be re-entered while
// an async call (a training chunk, a readback) is in flight.
let queue = Promise.resolve();
function exclusive(task) {
  const result = queue.then(task);
  queue = result.catch(() => {});
  return result;
}

// The backend policy (auto: WebGPU on a real GPU, the CPU without one or on a software
// adapter) lives in Rust, Backend.open, the same for both views; so does the thread count
// (planCpuThreads). Asked through the small generation module, which the page has already
// fetched: the module that trains is then loaded for what they pick. Under "auto" a trial's
// verdict (www/train-trial.js) names the backend instead and labels it; `quiet` (the trial's
// candidates) tells the page nothing.
async function openBackend(choice, verdict = null, quiet = false) {
  const gen = await loadModule('gen');
  const pick = verdict ? (verdict.useGpu ? 'webgpu' : 'cpu') : choice;
  const plan = await gen.planBackend(pick);
  const gpu = plan.isGpu;
  plan.free();
  const threads = gpu ? null : gen.planCpuThreads(state.threadsLimit);
  const cpu = threads && { count: threads.threads, reason: threads.reason };
  threads?.free();
  const kind = cpu && (poolThreads || cpu.count) > 1 ? 'threads' : 'full';
  const label = verdict && `${verdict.reasonCode}: ${verdict.sentence}`;
  if (state.backend && state.backendChoice === choice && state.label === label && wasmKind === kind)
    return;
  if (!quiet) status(gpu ? 'opening WebGPU…' : 'opening the CPU backend…');
  await useModule(kind, cpu && cpu.count);
  const opened = await wasm.Backend.open(pick);
  const backend = verdict ? opened.measured(verdict.reasonCode, verdict.sentence) : opened;
  if (backend !== opened) opened.free();
  state.backend?.free();
  state.backend = backend;
  state.backendChoice = choice;
  state.label = label;
  if (quiet) return;
  const reason = backend.reason;
  const threadReason = backend.isGpu
    ? null
    : cpu.count === wasm.cpuThreads()
      ? cpu.reason
      : `${wasm.cpuThreads()} threads: this worker's pool started with them (the page restarts the worker when the setting changes)`;
  post({
    type: FromWorker.BACKEND,
    description: backend.description,
    isGpu: backend.isGpu,
    software: backend.software,
    adapter: backend.adapter,
    fallbackReason: !backend.isGpu && choice !== 'cpu' ? reason : null,
    reason,
    reasonCode: backend.reasonCode,
    threads: backend.isGpu ? null : { count: wasm.cpuThreads(), reason: threadReason },
    rates: verdict?.cpuRate ? { cpu: verdict.cpuRate, gpu: verdict.gpuRate } : null,
  });
}

const trialContext = () => ({ threadsLimit: state.threadsLimit, poolThreads, post });

// Makes `kind` the module in use (loading it once; the threaded build's pool starts once, with
// `threads` workers). What lived in the other module stays there: the data is remade on demand.
async function useModule(kind, threads) {
  if (wasmKind === kind) return;
  const next = await loadModule(kind);
  if (kind === 'threads' && !poolThreads) {
    status(`starting ${threads} CPU threads…`);
    await next.initThreadPool(threads);
    poolThreads = threads;
  }
  if (state.data) state.data.webData.free();
  state.data = null;
  state.dataKey = null;
  none = null;
  wasm = next;
  wasmKind = kind;
}

// The toy sets' "no data", one object per module.
let none = null;
const noData = (summary) => ({ webData: (none ??= wasm.WebData.none()), summary });

async function loadData(source, shape = null) {
  if (source.kind === 'toy') return noData(`${source.name} (2-D points, generated)`);
  state.source = [source, shape];
  const key =
    source.kind === 'digits'
      ? 'digits'
      : source.files.map((f) => `${f.name}:${f.size}:${f.lastModified}`).join('|') +
        JSON.stringify(shape);
  if (state.data && state.dataKey === key) return state.data;
  if (state.data) state.data.webData.free(); // its copy in wasm memory: tens of MB for MNIST
  state.data = null;
  status(
    source.kind === 'digits'
      ? 'downloading the digits…'
      : `decoding ${source.files.length} file(s)…`,
  );
  const data =
    source.kind === 'digits'
      ? await loadDigits(wasm, PAGE_BASE)
      : await decodeUserFiles(wasm, source.files, shape);
  state.data = data;
  state.dataKey = key;
  return data;
}

function adopt(trainer, dataSummary, resumed, moved = false) {
  if (state.trainer && state.trainer !== trainer) state.trainer.free();
  state.trainer = trainer;
  state.stepMs = null;
  state.recent = [];
  watch.adopt(wasm, trainer, moved);
  const data = trainer.dataOnDevice
    ? `${dataSummary}, kept on the GPU (batches gathered there)`
    : dataSummary;
  post({ type: FromWorker.CREATED, info: runInfo(trainer), data, resumed, moved });
}

async function create({ choice, options, source }) {
  discard();
  // Under "auto" the backend in hand only loads the data; the trial below picks the one to use.
  if (choice !== 'auto' || state.backendChoice !== 'auto') await openBackend(choice);
  let data = await loadData(source);
  const spec = JSON.stringify({ ...options, preset: presetFor(wasm, source, data) });
  if (choice === 'auto') {
    // Throwaway trainers on each candidate time a few steps (www/train-trial.js).
    const trainerOn = async (gpu) => {
      await openBackend(gpu ? 'webgpu' : 'cpu', null, true);
      return new wasm.WebTrainer(state.backend, spec, (await loadData(source)).webData);
    };
    await openBackend(choice, await measureBackends({ spec, trainerOn, ...trialContext() }));
    data = await loadData(source);
  }
  status('building the networks…');
  const trainer = new wasm.WebTrainer(state.backend, spec, data.webData);
  adopt(trainer, data.summary, false);
  await views();
  await watch.startMeter(state.trainer);
  setRunning(false, 'ready');
}

// A checkpoint of image data needs the images again: the digits for 28x28 grey ones unless the
// user picked files, else the user's files, decoded at the checkpoint's size (read from its
// manifest first). The current run stays until the checkpoint has loaded: a bad file costs
// nothing.
async function resume({ choice, bytes, source, moved = false, backend = null }) {
  state.running = false;
  await openBackend(choice, choice === 'auto' && moved ? carriedVerdict(backend) : null);
  const checkpoint = new Uint8Array(bytes);
  const arch = JSON.parse(wasm.readManifest(checkpoint, 'checkpoint')).arch;
  let data = noData('toy data (2-D points, generated)');
  if (arch.kind === 'image') {
    const shape = { size: arch.image_size, channels: arch.channels };
    const digits = JSON.parse(wasm.presetForImages(1));
    const digitsShape = shape.size === digits.image_size && shape.channels === digits.channels;
    if (source.kind !== 'files' && !digitsShape) {
      throw new Error(
        `this checkpoint trains on ${shape.size}x${shape.size} images with ${shape.channels} channel(s): choose "your own files" with such images first, then resume`,
      );
    }
    data = await loadData(
      source.kind === 'files' ? source : { kind: 'digits' },
      source.kind === 'files' ? shape : null,
    );
  }
  const trainer = wasm.WebTrainer.resume(state.backend, checkpoint, data.webData);
  adopt(trainer, data.summary, true, moved);
  await views();
  await watch.startMeter(state.trainer);
  setRunning(
    false,
    moved
      ? `moved to ${wasm.cpuThreads()} CPU thread(s) at step ${trainer.steps} (weights and step kept; Adam's moments restart)`
      : `resumed at step ${trainer.steps} (Adam's moments restart in the page)`,
  );
}

// A backend switch keeps the weights and the step: checkpoint, reopen, resume. Adam's moments
// restart (a page cannot restore burn's optimizer state), and the status says so.
async function switchBackend({ choice }) {
  const old = state.trainer;
  if (!old) return openBackend(choice);
  const wasRunning = state.running;
  setRunning(false, 'moving to the other backend');
  const bytes = await old.exportCheckpoint();
  const toy = old.isToy;
  const module = wasm;
  // To "auto": the verdict stored for this run's settings where there is one, else the policy.
  const spec = old.spec();
  await openBackend(
    choice,
    choice === 'auto' ? await measureBackends({ spec, ...trialContext() }) : null,
  );
  if (wasm !== module) {
    // the old module's objects stay behind; the data is remade in the new one
    old.free();
    state.trainer = null;
  }
  const data = toy
    ? noData('toy data (2-D points, generated)')
    : (state.data ?? (await loadData(...state.source)));
  const moved = wasm.WebTrainer.resume(state.backend, bytes, data.webData);
  adopt(moved, data.summary, true, true);
  await views();
  await watch.startMeter(state.trainer);
  setRunning(false, "moved to the other backend (weights and step kept; Adam's moments restart)");
  if (wasRunning) start();
}

function discard() {
  state.running = false;
  if (state.trainer) state.trainer.free();
  state.trainer = null;
  watch.drop();
}

function setRunning(running, reason = '') {
  state.running = running && !!state.trainer;
  post({
    type: FromWorker.STATE,
    state: !state.trainer ? 'idle' : state.running ? 'running' : 'paused',
    reason,
  });
}

function chunkSize() {
  if (state.slow || state.stepMs === null) return 1; // the first step compiles shaders: measure it alone
  const untilViews = Math.max(1, state.refreshEvery - (state.trainer.steps - watch.lastViewStep));
  return Math.max(1, Math.min(MAX_CHUNK, untilViews, Math.floor(CHUNK_TARGET_MS / state.stepMs)));
}

async function trainChunk(n, forceViews = false) {
  const trainer = state.trainer;
  if (!trainer) return;
  const t0 = performance.now();
  let stats;
  try {
    stats = JSON.parse(await trainer.step(n));
  } catch (e) {
    if (isFatal(e)) throw e;
    await stepFailed(e);
    return false;
  }
  const t1 = performance.now();
  const perStep = (t1 - t0) / n;
  state.stepMs =
    state.stepMs === null || state.recent.length === 0
      ? perStep
      : 0.7 * state.stepMs + 0.3 * perStep;
  state.recent.push({ t0, t1, n });
  while (state.recent.length > 1 && state.recent[0].t1 < t1 - RATE_WINDOW_MS) state.recent.shift();
  post({
    type: FromWorker.STATS,
    ...stats,
    rate: rate(),
    stepMs: perStep,
    chunk: n,
    memory: memoryBytes(),
  });
  if (forceViews || state.slow || trainer.steps - watch.lastViewStep >= state.refreshEvery)
    await views();
  await watch.readMeter(trainer);
  return true;
}

// Steps per second of wall-clock time while training (views and message handling included).
function rate() {
  const r = state.recent;
  if (r.length < 2) return r.length ? (1000 * r[0].n) / (r[0].t1 - r[0].t0) : 0;
  const steps = r.slice(1).reduce((a, c) => a + c.n, 0);
  return (1000 * steps) / (r[r.length - 1].t1 - r[0].t1);
}

const memoryBytes = () =>
  wasm && typeof wasm.wasmMemoryBytes === 'function' ? wasm.wasmMemoryBytes() : null;

// step() rejected. A divergence (kind "diverged") has rolled the trainer back to its last good
// step: stop, say why, and show those weights. Any other kind is an ordinary error.
async function stepFailed(e) {
  state.running = false;
  post({
    type: FromWorker.ERROR,
    message: messageOf(e),
    kind: kindOf(e),
    step: state.trainer.steps,
    during: 'training',
  });
  setRunning(false, 'stopped');
  if (kindOf(e) === 'diverged') {
    try {
      await views();
    } catch {
      /* the error above is the news */
    }
  }
}

function start() {
  if (!state.trainer) return;
  state.recent = [];
  setRunning(true);
  if (!state.looping) loop();
}

async function loop() {
  state.looping = true;
  try {
    while (state.running && state.trainer) {
      const t0 = performance.now();
      try {
        await exclusive(() => trainChunk(chunkSize()));
      } catch (e) {
        reportError(e, 'training');
      }
      const wait = state.slow ? Math.max(0, SLOW_MOTION_MS - (performance.now() - t0)) : 0;
      await new Promise((resolve) => setTimeout(resolve, wait)); // lets queued messages in
    }
  } finally {
    state.looping = false;
  }
}

async function exportFile({ what, purpose }) {
  const t = state.trainer;
  if (!t) throw new Error('nothing trained yet: start training first');
  if (what === 'timelapse') return watch.exportTimeLapse(wasm, t, runInfo(t).spec.preset);
  status(`exporting the ${what}…`);
  const bytes = what === 'checkpoint' ? await t.exportCheckpoint() : await t.exportGenerator();
  post(
    {
      type: FromWorker.EXPORTED,
      what,
      purpose,
      bytes,
      step: t.steps,
      dataset: runInfo(t).spec.preset,
      keepsOptimizer: t.keepsOptimizer,
    },
    [bytes.buffer],
  );
}

const handlers = {
  // threads: the page's thread setting (0 = auto), sent with the first backend message; it
  // applies when the threaded pool starts (the page replaces the worker to change it).
  [ToWorker.BACKEND]: (m) =>
    exclusive(() => {
      if (m.threads !== undefined && !poolThreads) state.threadsLimit = m.threads;
      return switchBackend(m);
    }),
  [ToWorker.CREATE]: (m) => exclusive(() => create(m)),
  [ToWorker.RESUME]: (m) => exclusive(() => resume(m)),
  [ToWorker.RUN]: () => start(),
  // Said once the chunk in flight has reported, so that no step follows "paused".
  [ToWorker.PAUSE]: (m) => {
    state.running = false;
    return exclusive(() => setRunning(false, m.reason || 'paused'));
  },
  [ToWorker.STEP]: () =>
    exclusive(async () => {
      state.running = false;
      if (await trainChunk(1, true)) setRunning(false, 'stepped');
    }),
  [ToWorker.RESET]: () =>
    exclusive(() => {
      discard();
      setRunning(false, 'reset');
    }),
  [ToWorker.SETTINGS]: (m) => {
    state.slow = !!m.slow;
    state.refreshEvery = m.refreshEvery;
  },
  [ToWorker.EXPORT]: (m) => exclusive(() => exportFile(m)),
  // Test hook (tests/e2e/train.mjs): poison D with NaN so that the next step diverges. Only
  // builds with the `test-hooks` feature have injectNan; the shipped page refuses.
  [ToWorker.INJECT_NAN]: () =>
    exclusive(() => {
      if (!state.trainer) return;
      if (typeof state.trainer.injectNan !== 'function')
        throw new Error('this build has no test hooks');
      state.trainer.injectNan();
    }),
};

self.onmessage = async ({ data: message }) => {
  try {
    await handlers[message.type](message);
  } catch (e) {
    reportError(e, message.type);
  }
};
