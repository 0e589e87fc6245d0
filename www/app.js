// webgan's Generate view: picks a backend, loads a generator, draws grids (or, for a 2-D
// model, a scatter of its points), explores the latent space. All model work happens in Rust
// (pkg/webgan.js); this file is only the UI. The Train view (train.js) opens its generators
// here through openGenerator.
import init, { Backend, WebGan, renderGrid, slerp, walkStep, latentsForSeed } from './pkg/webgan.js';
import { drawScatter } from './charts.js';
import { LatentTools } from './latent-tools.js';

const $ = (id) => document.getElementById(id);
const COLS = 8;
const N = 64;
const STRIP = 10;
const MAX_SELECTED = 4; // corners of a latent plane
const TOY_POINTS = 512; // a 2-D model draws this many points
const TOY_CANVAS = 672;

const state = {
  backend: null,
  gan: null,
  model: null,
  bytes: new Map(), // model name -> weights, so a backend switch need not re-download
  z: null,
  labels: null,
  selected: [],
  walking: false,
  busy: false,
  generations: 0,
};
window.webgan = state; // for tests and the curious

function setStatus(text, kind = 'info') {
  const el = $('status');
  el.textContent = text;
  el.classList.toggle('error', kind === 'error');
  document.body.dataset.state = kind === 'error' ? 'error' : state.busy ? 'busy' : 'ready';
  if (kind === 'error') console.error('webgan:', text);
}

function readHash() {
  const p = new URLSearchParams(location.hash.slice(1));
  return { model: p.get('model'), seed: p.get('seed'), class: p.get('class') };
}

function writeHash() {
  const p = new URLSearchParams({ model: state.model, seed: $('seed').value, class: $('digit').value });
  history.replaceState(null, '', '#' + p.toString());
}

async function openBackend(choice) {
  if (choice !== 'cpu') {
    try {
      setStatus('opening WebGPU…');
      return await Backend.webgpu();
    } catch (e) {
      if (choice === 'webgpu') throw e;
      console.warn('webgan: WebGPU unavailable, using the CPU:', e.message);
      const backend = Backend.cpu();
      backend.fallbackReason = e.message;
      return backend;
    }
  }
  return Backend.cpu();
}

async function showBackend() {
  const b = state.backend;
  let text = b.description;
  if (b.isGpu && text === 'WebGPU' && navigator.gpu) {
    // wgpu does not always pass the adapter's name through; ask the browser.
    const adapter = await navigator.gpu.requestAdapter();
    const info = adapter && (adapter.info || {});
    const name = [info.vendor, info.architecture, info.description].filter(Boolean).join(' ');
    if (name) text = `WebGPU (${name})`;
  }
  $('backend').textContent = text + (b.fallbackReason ? ' — fallback: ' + b.fallbackReason : '');
}

async function fetchModel(name) {
  if (!state.bytes.has(name)) {
    setStatus(`downloading the ${name} model…`);
    const response = await fetch(`models/${name}.wgan`);
    if (!response.ok) throw new Error(`the ${name} model is not available (HTTP ${response.status})`);
    state.bytes.set(name, new Uint8Array(await response.arrayBuffer()));
  }
  return state.bytes.get(name);
}

const isToy = (gan) => gan.imageSize === 0;

function configureForModel() {
  const gan = state.gan;
  // 2-D models have no images: a scatter replaces the grid, and there is nothing to select.
  document.querySelector('.explore').hidden = isToy(gan);
  $('samples').classList.toggle('toy', isToy(gan));
  $('grid-hint').hidden = isToy(gan);
  $('download-latent').hidden = isToy(gan);
  const digit = $('digit');
  const previous = digit.value;
  digit.innerHTML = '<option value="mixed">mixed (0–9 in turn)</option>';
  for (let c = 0; c < gan.nClasses; c++) digit.add(new Option(String(c), String(c)));
  digit.value = [...digit.options].some((o) => o.value === previous) ? previous : 'mixed';
  $('digit-label').hidden = gan.nClasses === 0;
  const size = gan.imageSize;
  $('samples').width = $('samples').height = isToy(gan) ? TOY_CANVAS : size * COLS;
  $('focus').width = $('focus').height = size || 1;
  $('strip').width = (size || 1) * STRIP;
  $('strip').height = size || 1;
  const m = JSON.parse(gan.manifest);
  const metrics = Object.entries(m.metrics || {}).map(([k, v]) => `${k} ${v}`).join(', ');
  $('about-model').textContent = `Model: ${m.dataset}, ${m.steps} training steps` + (metrics ? `; ${metrics}` : '') +
    (m.provenance && m.provenance.note ? ` — ${m.provenance.note}` : '');
  state.selected = [];
  updateSelectionButtons();
  tools.onModel();
}

async function loadModel(name, bytes) {
  const gan = WebGan.load(state.backend, bytes, name); // throws a readable error on bad files
  if (state.gan) state.gan.free();
  state.gan = gan;
  state.model = name;
  configureForModel();
}

function classValue() {
  const v = $('digit').value;
  return v === 'mixed' ? -1 : Number(v);
}

// Tasks run one after another, in click order: a click while the model is busy waits its
// turn instead of being lost.
let queue = Promise.resolve();
function run(task) {
  queue = queue.then(() => execute(task));
  return queue;
}

async function execute(task) {
  state.busy = true;
  document.body.dataset.state = 'busy';
  try {
    await task();
  } catch (e) {
    state.busy = false;
    setStatus(e.message || String(e), 'error');
    return;
  }
  state.busy = false;
  document.body.dataset.state = 'ready';
}

function draw(canvas, samples, cols) {
  const gan = state.gan;
  const rgba = renderGrid(samples, gan.imageSize, gan.channels, cols);
  const rows = Math.ceil(samples.length / (gan.imageSize * gan.imageSize * gan.channels) / cols);
  const image = new ImageData(new Uint8ClampedArray(rgba.buffer), gan.imageSize * cols, gan.imageSize * rows);
  canvas.getContext('2d').putImageData(image, 0, 0);
}

function drawSelection() {
  const ctx = $('samples').getContext('2d');
  const s = state.gan.imageSize;
  ctx.strokeStyle = '#ff3b30';
  ctx.lineWidth = 1;
  for (const i of state.selected) ctx.strokeRect((i % COLS) * s + 0.5, Math.floor(i / COLS) * s + 0.5, s - 1, s - 1);
}

async function generateGrid() {
  const gan = state.gan;
  const seed = Number($('seed').value) >>> 0;
  $('seed').value = seed;
  writeHash();
  if (isToy(gan)) return generateScatter(seed);
  state.z = tools.truncated(latentsForSeed(seed, N, gan.latentDim));
  state.labels = gan.labels(N, classValue());
  const first = state.generations === 0;
  setStatus(first && state.backend.isGpu ? 'generating (first run compiles GPU shaders)…' : 'generating…');
  const t0 = performance.now();
  const samples = await gan.generate(state.z, state.labels);
  const ms = performance.now() - t0;
  draw($('samples'), samples, COLS);
  state.samples = samples;
  state.selected = [];
  updateSelectionButtons();
  state.generations += 1;
  document.body.dataset.generations = String(state.generations);
  setStatus(`${N} samples in ${ms.toFixed(0)} ms (seed ${seed})`);
}

async function generateScatter(seed) {
  const gan = state.gan;
  const t0 = performance.now();
  const points = await gan.generate(latentsForSeed(seed, TOY_POINTS, gan.latentDim), []);
  const ms = performance.now() - t0;
  drawScatter($('samples'), points);
  state.samples = null; // nothing to select in a scatter
  state.generations += 1;
  document.body.dataset.generations = String(state.generations);
  setStatus(`${TOY_POINTS} samples (2-D points) in ${ms.toFixed(0)} ms (seed ${seed})`);
}

function latentOf(index) {
  const d = state.gan.latentDim;
  return state.z.slice(index * d, (index + 1) * d);
}

function labelOf(index) {
  return state.labels.length ? [state.labels[index]] : [];
}

async function drawFocus(z, labels) {
  const out = await state.gan.generate(z, labels);
  draw($('focus'), out, 1);
}

function updateSelectionButtons() {
  $('interpolate').disabled = state.selected.length < 2;
  $('walk').disabled = state.selected.length === 0;
  $('download-latent').disabled = state.selected.length === 0;
  $('sliders').hidden = state.selected.length === 0;
  if (!state.walking) $('walk').textContent = 'Random walk';
}

async function select(index) {
  state.walking = false;
  const at = state.selected.indexOf(index);
  if (at >= 0) state.selected.splice(at, 1);
  else state.selected = [...state.selected, index].slice(-MAX_SELECTED);
  draw($('samples'), state.samples, COLS);
  drawSelection();
  updateSelectionButtons();
  tools.onSelect();
  if (state.selected.length) {
    await drawFocus(latentOf(state.selected[0]), labelOf(state.selected[0]));
    setStatus(`selected cell ${state.selected.join(' and ')}`);
  }
}

async function interpolate() {
  const [a, b] = state.selected;
  const za = latentOf(a);
  const zb = latentOf(b);
  const d = za.length;
  const z = new Float32Array(STRIP * d);
  for (let i = 0; i < STRIP; i++) z.set(slerp(za, zb, i / (STRIP - 1)), i * d);
  const labels = state.labels.length ? new Int32Array(STRIP).fill(state.labels[a]) : [];
  const t0 = performance.now();
  const frames = await state.gan.generate(z, labels);
  draw($('strip'), frames, STRIP);
  setStatus(`interpolated ${STRIP} steps in ${(performance.now() - t0).toFixed(0)} ms`);
  // Animate the frames in the focus view, there and back.
  const size = frames.length / STRIP;
  for (const i of [...Array(STRIP).keys(), ...[...Array(STRIP).keys()].reverse()]) {
    draw($('focus'), frames.slice(i * size, (i + 1) * size), 1);
    await new Promise((r) => setTimeout(r, 60));
  }
}

async function walk() {
  state.walking = true;
  $('walk').textContent = 'Stop walking';
  const index = state.selected[0];
  let z = latentOf(index);
  const seed = Number($('seed').value) >>> 0;
  for (let step = 0; state.walking && state.selected.length; step++) {
    z = walkStep(z, seed, step, 0.12);
    const t0 = performance.now();
    await drawFocus(z, labelOf(index));
    setStatus(`walking: step ${step}, ${(performance.now() - t0).toFixed(0)} ms per frame`);
    await new Promise((r) => requestAnimationFrame(r));
  }
  state.walking = false;
  updateSelectionButtons();
}

function download(name, blob) {
  const a = Object.assign(document.createElement('a'), { href: URL.createObjectURL(blob), download: name });
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

async function switchBackend() {
  state.walking = false;
  const choice = $('backend-choice').value;
  state.backend = await openBackend(choice);
  await showBackend();
  const bytes = state.bytes.get(state.model);
  if (bytes) await loadModel(state.model, bytes);
  state.generations = 0;
  await generateGrid();
}

async function chooseModel() {
  const name = $('model').value;
  if (name === 'file') {
    $('weights-file').click();
    return;
  }
  await loadModel(name, await fetchModel(name));
  await generateGrid();
}

async function loadFile(file) {
  setStatus(`reading ${file.name}…`);
  await loadBytes(file.name, new Uint8Array(await file.arrayBuffer()));
}

async function loadBytes(name, bytes) {
  await loadModel(name, bytes); // on error the previous model stays loaded
  state.bytes.set(name, bytes);
  if (![...$('model').options].some((o) => o.value === name)) {
    $('model').add(new Option(name, name), $('model').options.length - 1);
  }
  $('model').value = name;
  await generateGrid();
}

// A generator made elsewhere on the page (the Train view's export), shown in this view.
export function openGenerator(name, bytes) {
  return run(() => loadBytes(name, bytes));
}

const tools = new LatentTools({
  state, run, draw, drawFocus, latentOf, labelOf, setStatus, select, cols: COLS, regenerate: () => generateGrid(),
});

function wire() {
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
    if (file) run(() => loadFile(file));
    else $('model').value = state.model;
  });
  $('samples').addEventListener('click', (e) => {
    if (!state.samples) return;
    const rect = e.target.getBoundingClientRect();
    const col = Math.floor(((e.clientX - rect.left) / rect.width) * COLS);
    const row = Math.floor(((e.clientY - rect.top) / rect.height) * (N / COLS));
    state.walking = false;
    run(() => select(row * COLS + col));
  });
  $('interpolate').addEventListener('click', () => run(interpolate));
  $('walk').addEventListener('click', () => {
    if (state.walking) state.walking = false;
    else run(walk);
  });
  $('download-png').addEventListener('click', () => $('samples').toBlob((b) => download(`webgan-${state.model}-seed${$('seed').value}.png`, b)));
  $('download-latent').addEventListener('click', () => {
    const index = state.selected[0];
    const json = JSON.stringify({ model: state.model, seed: Number($('seed').value), cell: index,
      class: state.labels.length ? state.labels[index] : null, z: Array.from(latentOf(index)) }, null, 1);
    download(`webgan-${state.model}-latent.json`, new Blob([json], { type: 'application/json' }));
  });
  document.addEventListener('visibilitychange', () => { if (document.hidden) state.walking = false; });
}

async function main() {
  wire();
  setStatus('loading the WebAssembly module…');
  await init();
  const hash = readHash();
  if (hash.seed !== null) $('seed').value = hash.seed;
  const model = hash.model && [...$('model').options].some((o) => o.value === hash.model) ? hash.model : 'digits';
  $('model').value = model;
  state.backend = await openBackend($('backend-choice').value);
  await showBackend();
  await loadModel(model, await fetchModel(model));
  if (hash.class !== null && [...$('digit').options].some((o) => o.value === hash.class)) $('digit').value = hash.class;
  await generateGrid();
}

run(main);
