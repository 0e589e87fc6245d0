// The Generate view: loads the wasm module and a generator, opens a backend, draws grids of
// samples (or, for a 2-D model, a scatter of its points) and says in plain sentences what runs.
// All model work happens in Rust: the small generation module (pkg-gen/) on the CPU path, the
// full one (pkg/) where WebGPU runs (modules.js; trial.js measures which in "auto"). This file is UI. Importing it starts nothing:
// app.js calls startGenerateView(), and the Train view hands over its generators through
// openGenerator().
import { drawScatter } from './charts.js';
import { messageOf, fetchCached } from './common.js';
import { loadModule, moduleFor } from './modules.js';
import { $, download, showWithDetails } from './dom.js';
import { resetExplorer, wireExplorer } from './explore.js';
import { drawSamples, setSelection, wireGrid } from './grid.js';
import { resetLatentTools, truncated, wireLatentTools } from './latent-tools.js';
import { backendSentence, modelSentence } from './sentences.js';
import { COLS, N, session, status, run, isToy } from './session.js';
import { cancelTrial, startTrial } from './trial.js';

const TOY_POINTS = 512; // a 2-D model draws this many points
const TOY_CANVAS = 672;

// Start-up phases as parts of the progress bar: [start, end].
const PHASE = {
  module: [0, 0.55],
  backend: [0.55, 0.65],
  model: [0.65, 0.85],
  first: [0.85, 0.98],
};
const within = ([a, b], f) => a + (b - a) * (Number.isFinite(f) ? f : 0.5);
const mb = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;

function readHash() {
  const p = new URLSearchParams(location.hash.slice(1));
  return {
    model: p.get('model'),
    seed: p.get('seed'),
    class: p.get('class'),
    backend: p.get('backend'),
  };
}

// The URL carries what makes the grid (model, seed, class) and a backend other than auto.
function writeHash() {
  const p = new URLSearchParams({
    model: session.model,
    seed: $('seed').value,
    class: $('digit').value,
  });
  if ($('backend-choice').value !== 'auto') p.set('backend', $('backend-choice').value);
  history.replaceState(null, '', '#' + p.toString());
}

const isOption = (select, value) =>
  value !== null && [...$(select).options].some((o) => o.value === value);

// One sentence for the backend in use, the details (adapter, reason) one click away.
function showBackend() {
  const b = session.backend;
  const { summary, details } = backendSentence({
    description: b.description,
    isGpu: b.isGpu,
    software: b.software,
    adapter: b.adapter,
    reason: b.reason,
    reasonCode: b.reasonCode,
  });
  showWithDetails($('backend'), summary, details);
  $('backend').dataset.backend = b.isGpu ? 'webgpu' : 'cpu';
  $('backend').dataset.reason = b.reasonCode || '';
}

// "auto" starts on the CPU in the small generation module, always: the first grid never waits
// for the full module or for shaders. Where the browser has WebGPU, trial.js then measures it
// against the CPU in the background and switches only where Rust's rule says it is faster
// (src/trial.rs). A forced choice follows Rust's policy (planBackend), which the Train view
// shares: the full module is only downloaded when WebGPU will run.
async function useBackend(choice) {
  cancelTrial();
  const label = 'loading the WebAssembly module';
  status.show(`${label}…`, { progress: 0 });
  const progress = (f, bytes) =>
    status.show(`${label}: ${bytes ? mb(bytes) : 'from the cache'}`, {
      progress: within(PHASE.module, 0.9 * f),
    });
  let wasm, gpu, backend;
  if (choice === 'auto') {
    wasm = await loadModule('gen', progress);
    const plan = await wasm.planGenerate();
    session.trial = { measure: plan.measure, adapter: plan.adapter };
    backend = plan.openCpu();
    plan.free();
    gpu = false;
  } else {
    ({ wasm, gpu } = await moduleFor(choice, progress));
    session.trial = null;
    status.show(gpu ? 'opening WebGPU…' : 'opening the CPU backend…', {
      progress: within(PHASE.backend, 0),
    });
    backend = await wasm.Backend.open(choice);
  }
  // The generator, the backend and every helper come from one module: switch them together.
  if (session.gan && session.wasm !== wasm) {
    session.gan.free();
    session.gan = null;
  }
  session.wasm = wasm;
  session.backend = backend;
  document.body.dataset.module = gpu ? 'full' : 'gen';
  showBackend();
}

// The trial's verdict where it changes the backend: its module's backend and generator (of the
// model in view, already warm) become the view's, and the grid is drawn again on them.
async function adopt(wasm, backend, gan, kind) {
  if (session.gan && session.gan !== gan) session.gan.free();
  session.wasm = wasm;
  session.backend = backend;
  session.gan = gan;
  document.body.dataset.module = kind;
  showBackend();
  configureForModel();
  await generateGrid();
}

// After a grid of a newly loaded model (or backend choice): measure where "auto" can.
function measureLater() {
  startTrial({ adopt, show: showBackend });
}

async function fetchModel(name) {
  if (!session.bytes.has(name)) {
    const label = `downloading the ${name} model`;
    status.show(`${label}…`, { progress: within(PHASE.model, 0) });
    const response = await fetchCached(`models/${name}.wgan`, (f, bytes) =>
      status.show(`${label}: ${bytes ? mb(bytes) : 'from the cache'}`, {
        progress: within(PHASE.model, f),
      }),
    );
    if (!response.ok)
      throw new Error(`The ${name} model is not available (HTTP ${response.status}).`);
    session.bytes.set(name, new Uint8Array(await response.arrayBuffer()));
  }
  return session.bytes.get(name);
}

function titleOf(name) {
  const option = [...$('model').options].find((o) => o.value === name);
  return option ? option.textContent.replace(/\s*\(.*$/, '') : name;
}

function showModel() {
  const manifest = JSON.parse(session.gan.manifest);
  const { summary, details } = modelSentence(manifest, titleOf(session.model));
  showWithDetails($('about-model'), summary, details, JSON.stringify(manifest, null, 1));
}

function configureForModel() {
  const gan = session.gan;
  const toy = isToy(gan);
  // 2-D models have no images: a scatter replaces the grid, and there is nothing to select.
  $('explore').hidden = toy;
  $('samples').classList.toggle('toy', toy);
  $('grid-hint').hidden = toy;
  $('samples').tabIndex = toy ? -1 : 0;
  $('samples').setAttribute(
    'aria-label',
    toy ? `${TOY_POINTS} generated 2-D points` : `${N} generated samples, 8 by 8`,
  );
  const digit = $('digit');
  const previous = digit.value;
  digit.replaceChildren(new Option('mixed (0–9 in turn)', 'mixed'));
  for (let c = 0; c < gan.nClasses; c++) digit.add(new Option(String(c), String(c)));
  digit.value = [...digit.options].some((o) => o.value === previous) ? previous : 'mixed';
  $('digit-field').hidden = gan.nClasses === 0;
  $('samples').width = $('samples').height = toy ? TOY_CANVAS : gan.imageSize * COLS;
  showModel();
  session.samples = null;
  setSelection([]);
  if (!toy) {
    resetExplorer();
    resetLatentTools();
  }
}

function loadModel(name, bytes) {
  const gan = session.wasm.WebGan.load(session.backend, bytes, name); // throws a readable error on bad files
  if (session.gan) session.gan.free();
  session.gan = gan;
  session.model = name;
  configureForModel();
}

function classValue() {
  const v = $('digit').value;
  return v === 'mixed' ? -1 : Number(v);
}

function generated(ms, text) {
  session.generations += 1;
  // For the tests and benchmarks: when the page first showed a grid.
  document.body.dataset.firstGridMs ??= performance.now().toFixed(0);
  $('samples').dataset.generateMs = ms.toFixed(1);
  document.body.dataset.generations = String(session.generations);
  status.show(text);
}

async function generateGrid() {
  const gan = session.gan;
  const seed = Number($('seed').value) >>> 0;
  $('seed').value = seed;
  session.seed = seed;
  writeHash();
  if (isToy(gan)) return generateScatter(seed);
  session.z = truncated(session.wasm.latentsForSeed(seed, N, gan.latentDim));
  session.labels = gan.labels(N, classValue());
  const first = session.generations === 0;
  status.show(
    first && session.backend.isGpu
      ? 'generating (the first run compiles the GPU shaders)…'
      : 'generating…',
    { progress: first ? within(PHASE.first, 0) : null },
  );
  const t0 = performance.now();
  const samples = await gan.generate(session.z, session.labels);
  const ms = performance.now() - t0;
  drawSamples($('samples'), samples, COLS);
  session.samples = samples;
  setSelection([0]); // the explorer shows the first cell before anyone clicks
  generated(
    ms,
    `${N} samples in ${ms.toFixed(0)} ms (seed ${seed})` +
      (first ? ` · ready ${(performance.now() / 1000).toFixed(1)} s after the page opened` : ''),
  );
}

async function generateScatter(seed) {
  const gan = session.gan;
  const t0 = performance.now();
  const points = await gan.generate(
    session.wasm.latentsForSeed(seed, TOY_POINTS, gan.latentDim),
    [],
  );
  const ms = performance.now() - t0;
  drawScatter($('samples'), points);
  session.samples = null; // nothing to select in a scatter
  generated(ms, `${TOY_POINTS} samples (2-D points) in ${ms.toFixed(0)} ms (seed ${seed})`);
}

async function switchBackend() {
  session.walking = false;
  await useBackend($('backend-choice').value);
  const bytes = session.bytes.get(session.model);
  if (bytes) loadModel(session.model, bytes);
  session.generations = 0;
  await generateGrid();
  measureLater();
}

async function chooseModel() {
  const name = $('model').value;
  if (name === 'file') {
    $('weights-file').click();
    return;
  }
  loadModel(name, await fetchModel(name));
  await generateGrid();
  measureLater();
}

async function loadBytes(name, bytes) {
  status.show(`loading ${name}…`);
  try {
    loadModel(name, bytes); // on error the previous model stays loaded
  } catch (e) {
    $('model').value = session.model;
    // Rust names the file too ("weights NAME: …"): once is enough.
    throw new Error(
      `Could not load ${name}: ${messageOf(e).replace(`weights ${name}: `, '')}. The ${session.model} model stays.`,
      { cause: e },
    );
  }
  session.bytes.set(name, bytes);
  if (![...$('model').options].some((o) => o.value === name)) {
    $('model').add(new Option(name, name), $('model').options.length - 1);
  }
  $('model').value = name;
  await generateGrid();
  measureLater();
}

// A generator made elsewhere on the page (the Train view's export), shown in this view.
export function openGenerator(name, bytes) {
  return run(() => loadBytes(name, bytes));
}

function wire() {
  wireGrid(() => session.samples !== null);
  wireExplorer();
  wireLatentTools({ regenerate: generateGrid });
  $('generate').addEventListener('click', () => run(generateGrid));
  $('random').addEventListener('click', () => {
    $('seed').value = Math.floor(Math.random() * 2 ** 32);
    run(generateGrid);
  });
  $('digit').addEventListener('change', () => run(generateGrid));
  $('model').addEventListener('change', () => run(chooseModel));
  $('backend-choice').addEventListener('change', () => run(switchBackend));
  $('weights-file').addEventListener('change', (e) => {
    const file = e.target.files[0];
    e.target.value = '';
    if (file) run(async () => loadBytes(file.name, new Uint8Array(await file.arrayBuffer())));
    else $('model').value = session.model;
  });
  $('download-png').addEventListener('click', () =>
    $('samples').toBlob((b) => download(`webgan-${session.model}-seed${session.seed}.png`, b)),
  );
}

async function main() {
  const hash = readHash();
  if (hash.seed !== null) $('seed').value = hash.seed;
  const model = isOption('model', hash.model) && hash.model !== 'file' ? hash.model : 'digits';
  $('model').value = model;
  if (isOption('backend-choice', hash.backend)) $('backend-choice').value = hash.backend;
  // The weights download while the module compiles and the backend opens.
  const bytes = fetchModel(model);
  bytes.catch(() => {}); // awaited below; a failure is reported there, not as unhandled
  await useBackend($('backend-choice').value);
  loadModel(model, await bytes);
  if (isOption('digit', hash.class)) $('digit').value = hash.class;
  await generateGrid();
  measureLater();
}

export function startGenerateView() {
  wire();
  return run(async () => {
    try {
      await main();
    } catch (e) {
      throw new Error(`The page could not start: ${messageOf(e)}`, { cause: e });
    }
  });
}
