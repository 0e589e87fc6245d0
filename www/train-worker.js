// The Train view's worker: owns the backend and the WebTrainer, loads the data, and trains in
// short chunks so that pause, step, reset and export messages are answered between chunks
// (the page's thread never waits on training). Protocol: see the table in www/train.js.
import * as webgan from './pkg/webgan.js';
import { loadDigits, decodeUserFiles } from './train-data.js';
import { openBackend as open, describe, messageOf, read } from './common.js';

const { Backend, WebTrainer, renderGrid } = webgan;
const CHUNK_TARGET_MS = 120; // a chunk this long keeps pause/step responsive
const MAX_CHUNK = 64;
const SLOW_MOTION_MS = 300;
const RATE_WINDOW_MS = 3000;
const HEATMAP = { resolution: 64, extent: 3 };
const REAL_POINTS = 512;
const DIGITS_URL = new URL('digits.bin', self.location).href;

const state = {
  loaded: null, // init() of the wasm module, once
  backend: null,
  backendChoice: null,
  trainer: null,
  data: null, // the image data set in use (kept so a backend switch can re-upload it)
  dataKey: null,
  running: false,
  looping: false,
  slow: false,
  refreshEvery: 20,
  lastViewStep: -1,
  stepMs: null, // moving average of milliseconds per step, sizes the chunks
  recent: [], // {t0, t1, n} of recent chunks, for steps per second
  realPoints: null,
};

const post = (message, transfer = []) => self.postMessage(message, transfer);
const status = (text) => post({ type: 'status', text });
// A trap (a Rust panic) leaves the wasm instance unusable: the page then replaces this worker.
const isFatal = (e) => e instanceof WebAssembly.RuntimeError;
const stepsOf = (t) => { try { return t ? t.steps : 0; } catch { return 0; } };
function reportError(e, during) {
  post({ type: 'error', message: messageOf(e), during, step: stepsOf(state.trainer), fatal: isFatal(e) });
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

async function openBackend(choice) {
  state.loaded ??= webgan.default();
  await state.loaded;
  if (state.backend && state.backendChoice === choice) return;
  // 'auto' trains on the CPU when the WebGPU adapter is software (SwiftShader: Chrome's
  // fallback where the GPU is blocklisted, and headless Chromium), and says why.
  const { backend, fallbackReason } = await open(Backend, choice, { status, avoidSoftware: true });
  state.backend = backend;
  state.backendChoice = choice;
  post({ type: 'backend', description: await describe(backend), isGpu: read(backend, 'isGpu'), fallbackReason });
}

async function loadData(source, shape = null) {
  const key = source.kind === 'digits' ? 'digits' : source.files.map((f) => `${f.name}:${f.size}:${f.lastModified}`).join('|') + JSON.stringify(shape);
  if (state.data && state.dataKey === key) return state.data;
  state.data = null;
  status(source.kind === 'digits' ? 'downloading the digits…' : `decoding ${source.files.length} file(s)…`);
  const data = source.kind === 'digits' ? await loadDigits(DIGITS_URL) : await decodeUserFiles(source.files, shape);
  state.data = data;
  state.dataKey = key;
  return data;
}

function info(trainer) {
  let options = {};
  try { options = JSON.parse(read(trainer, 'options')); } catch { /* shown as unknown */ }
  return {
    steps: trainer.steps, isToy: trainer.isToy, imageSize: trainer.imageSize, channels: trainer.channels,
    nClasses: trainer.nClasses, latentDim: trainer.latentDim, options,
  };
}

function adopt(trainer, dataSummary, resumed, moved = false) {
  if (state.trainer && state.trainer !== trainer) state.trainer.free();
  state.trainer = trainer;
  state.realPoints = null;
  state.lastViewStep = -1;
  state.stepMs = null;
  state.recent = [];
  post({ type: 'created', info: info(trainer), data: dataSummary, resumed, moved });
}

async function create({ choice, options, source }) {
  discard();
  await openBackend(choice);
  const data = source.kind === 'toy' ? null : await loadData(source);
  const full = data
    ? { ...options, data: 'images', image_size: data.size, channels: data.channels, n_classes: data.nClasses }
    : { ...options, data: source.name };
  status('building the networks…');
  const trainer = new WebTrainer(state.backend, JSON.stringify(full));
  try {
    if (data) trainer.setImages(data.pixels, data.labels);
  } catch (e) {
    trainer.free();
    throw e;
  }
  adopt(trainer, data ? data.summary : `${source.name} (2-D points, generated)`, false);
  await views();
  setRunning(false, 'ready');
}

// A checkpoint of image data needs the images again: the digits for 28x28 grey ones unless the
// user picked files, else the user's files, decoded at the checkpoint's size. The current run
// stays until the checkpoint has loaded: a bad file costs nothing.
async function resume({ choice, bytes, source }) {
  state.running = false;
  await openBackend(choice);
  const trainer = WebTrainer.resume(state.backend, new Uint8Array(bytes));
  let summary = 'toy data (2-D points, generated)';
  try {
    if (!trainer.isToy) {
      const shape = { size: trainer.imageSize, channels: trainer.channels };
      const digitsShape = shape.size === 28 && shape.channels === 1;
      if (source.kind !== 'files' && !digitsShape) {
        throw new Error(`this checkpoint trains on ${shape.size}x${shape.size} images with ${shape.channels} channel(s): choose "your own files" with such images first, then resume`);
      }
      const data = await loadData(source.kind === 'files' ? source : { kind: 'digits' }, source.kind === 'files' ? shape : null);
      trainer.setImages(data.pixels, data.labels);
      summary = data.summary;
    }
  } catch (e) {
    trainer.free();
    throw e;
  }
  adopt(trainer, summary, true);
  await views();
  setRunning(false, `resumed at step ${trainer.steps}`);
}

// A backend switch keeps the training: checkpoint, reopen, resume.
async function switchBackend({ choice }) {
  const old = state.trainer;
  if (!old) return openBackend(choice);
  const wasRunning = state.running;
  setRunning(false, 'moving to the other backend');
  const bytes = await old.exportCheckpoint();
  await openBackend(choice);
  const moved = WebTrainer.resume(state.backend, bytes);
  if (!moved.isToy) moved.setImages(state.data.pixels, state.data.labels);
  adopt(moved, state.data ? state.data.summary : 'toy data (2-D points, generated)', true, true);
  await views();
  setRunning(false, 'moved to the other backend');
  if (wasRunning) start();
}

function discard() {
  state.running = false;
  if (state.trainer) state.trainer.free();
  state.trainer = null;
}

function setRunning(running, reason = '') {
  state.running = running && !!state.trainer;
  post({ type: 'state', state: !state.trainer ? 'idle' : state.running ? 'running' : 'paused', reason });
}

function chunkSize() {
  if (state.slow || state.stepMs === null) return 1; // the first step compiles shaders: measure it alone
  const untilViews = Math.max(1, state.refreshEvery - (state.trainer.steps - state.lastViewStep));
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
    await diverged(e);
    return false;
  }
  const t1 = performance.now();
  const perStep = (t1 - t0) / n;
  state.stepMs = state.stepMs === null || state.recent.length === 0 ? perStep : 0.7 * state.stepMs + 0.3 * perStep;
  state.recent.push({ t0, t1, n });
  while (state.recent.length > 1 && state.recent[0].t1 < t1 - RATE_WINDOW_MS) state.recent.shift();
  post({ type: 'stats', ...stats, rate: rate(), stepMs: perStep, chunk: n, memory: memoryBytes() });
  if (forceViews || state.slow || trainer.steps - state.lastViewStep >= state.refreshEvery) await views();
  return true;
}

// Steps per second of wall-clock time while training (views and message handling included).
function rate() {
  const r = state.recent;
  if (r.length < 2) return r.length ? (1000 * r[0].n) / (r[0].t1 - r[0].t0) : 0;
  const steps = r.slice(1).reduce((a, c) => a + c.n, 0);
  return (1000 * steps) / (r[r.length - 1].t1 - r[0].t1);
}

const memoryBytes = () => (typeof webgan.wasmMemoryBytes === 'function' ? webgan.wasmMemoryBytes() : null);

// step() rejected: the trainer has rolled back to its last good weights; stop and say why.
async function diverged(e) {
  const message = messageOf(e);
  state.running = false;
  post({ type: 'error', message, diverged: /diverg/i.test(message), step: state.trainer.steps, during: 'training' });
  setRunning(false, 'stopped');
  try { await views(); } catch { /* the error above is the news */ }
}

async function views() {
  const t = state.trainer;
  if (!t) return;
  const t0 = performance.now();
  const samples = await t.samples();
  const quality = JSON.parse(await t.quality());
  const message = { type: 'views', step: t.steps, quality };
  const transfer = [];
  if (t.isToy) {
    state.realPoints ??= t.realPoints(REAL_POINTS);
    const heatmap = await t.heatmap(HEATMAP.resolution, HEATMAP.extent);
    message.toy = { points: samples, real: state.realPoints.slice(), heatmap, ...HEATMAP };
    transfer.push(samples.buffer, heatmap.buffer);
  } else {
    const size = t.imageSize;
    const cols = 8;
    const rgba = renderGrid(samples, size, t.channels, cols);
    const rows = Math.ceil(samples.length / (size * size * t.channels) / cols);
    message.image = { rgba, width: size * cols, height: size * rows };
    transfer.push(rgba.buffer);
  }
  message.ms = performance.now() - t0;
  state.lastViewStep = t.steps;
  post(message, transfer);
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
  status(`exporting the ${what}…`);
  const bytes = what === 'checkpoint' ? await t.exportCheckpoint() : await t.exportGenerator();
  post({ type: 'exported', what, purpose, bytes, step: t.steps, dataset: info(t).options.data }, [bytes.buffer]);
}

const handlers = {
  backend: (m) => exclusive(() => switchBackend(m)),
  create: (m) => exclusive(() => create(m)),
  resume: (m) => exclusive(() => resume(m)),
  run: () => start(),
  pause: (m) => setRunning(false, m.reason || 'paused'),
  step: () => exclusive(async () => {
    state.running = false;
    if (await trainChunk(1, true)) setRunning(false, 'stepped');
  }),
  reset: () => exclusive(() => { discard(); setRunning(false, 'reset'); }),
  settings: (m) => {
    state.slow = !!m.slow;
    state.refreshEvery = m.refreshEvery;
  },
  export: (m) => exclusive(() => exportFile(m)),
  // Test hook: poison D with NaN so that the next step diverges (tests/e2e/train.mjs).
  'inject-nan': () => exclusive(() => state.trainer && state.trainer.injectNan()),
};

self.onmessage = async ({ data: message }) => {
  try {
    await handlers[message.type](message);
  } catch (e) {
    reportError(e, message.type);
  }
};
post({ type: 'hello' });
