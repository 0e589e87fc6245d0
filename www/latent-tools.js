// The explorer's other latent tools (their controls are in index.html's #explore-tools):
// truncation (psi) of the grid's latents, a latent plane between 2-4 selected cells, and "find
// my digit" (draw or drop a picture; a worker searches for the latent that draws it, and the
// match becomes the grid's last cell). For a colour model the pad gives way to a photo and its
// crop (photo-crop.js): "find my face". All computing is in Rust (pkg/webgan.js,
// find-worker.js); this file wires the controls and draws. The direction sliders are the
// explorer's own (directions.js).
import { DrawPad } from './draw-pad.js';
import { PhotoCrop } from './photo-crop.js';
import { $ } from './dom.js';
import { drawSamples, setSelection } from './grid.js';
import { COLS, MAX_SELECTED, session, status, run, latentOf } from './session.js';

const PLANE = 8; // cells per side of the latent plane
const MAX_STEPS = 2000; // the search's steps, as the input allows
const DEFAULT_STEPS = 300;

let pad = null;
let photo = null;
let worker = null;
let search = null; // the running search: { model, target } (null when none runs)

// The psi in force, applied to a grid's latents (1 leaves them untouched).
export function truncated(z) {
  const psi = Number($('psi').value);
  return psi >= 1 ? z : session.wasm.truncate(z, psi);
}

// A new model: canvases sized for its images, no plane yet.
export function resetLatentTools() {
  const size = session.gan.imageSize;
  if (size === 0) return; // a 2-D model: the explorer is hidden
  $('plane').width = $('plane').height = size * PLANE;
  $('plane').hidden = true;
  $('find-compare').width = size * 2;
  $('find-compare').height = size;
  // Colour models get the photo tool, grey ones the pad: the model's own channels decide.
  const colour = session.gan.channels === 3;
  for (const el of document.querySelectorAll('#explore-tools [data-for]')) {
    el.hidden = el.dataset.for !== (colour ? 'colour' : 'grey');
  }
  if (!colour) photo.stopCamera();
  $('find-title').textContent = colour
    ? 'Find my face'
    : session.gan.nClasses > 0
      ? 'Find my digit'
      : 'Find my picture';
  $('find-choose').textContent = colour ? 'Choose photo…' : 'Choose image…';
  if (colour && photo.ready) photoChanged({});
}

// ---- latent plane -------------------------------------------------------------------------
function showPlaneButton() {
  $('plane-draw').disabled = session.selected.length < 2;
}

async function drawPlane() {
  const sel = session.selected.slice(0, MAX_SELECTED);
  if (sel.length < 2) return;
  const gan = session.gan;
  const d = gan.latentDim;
  const corners = new Float32Array(sel.length * d);
  sel.forEach((index, i) => corners.set(latentOf(index), i * d));
  const z = session.wasm.latentPlane(corners, d, PLANE, PLANE);
  const labels = session.labels.length
    ? new Int32Array(PLANE * PLANE).fill(session.labels[sel[0]])
    : [];
  status.show(`drawing the latent plane (${PLANE * PLANE} samples)…`, { progress: NaN });
  const t0 = performance.now();
  const samples = await gan.generate(z, labels);
  const canvas = $('plane');
  drawSamples(canvas, samples, PLANE);
  canvas.hidden = false;
  canvas.dataset.drawn = String(Number(canvas.dataset.drawn || 0) + 1);
  const cells = sel.map((i) => i + 1);
  $('plane-caption').textContent =
    `Between cells ${cells.join(', ')}` +
    (session.labels.length
      ? `, as digit ${session.labels[sel[0]]} (cell ${cells[0]}'s class).`
      : '.');
  status.show(
    `latent plane between cells ${cells.join(', ')}: ${PLANE * PLANE} samples in ${(performance.now() - t0).toFixed(0)} ms`,
  );
}

// ---- find my digit ------------------------------------------------------------------------
function findStatus(text, error = false) {
  $('find-status').textContent = text;
  $('find-status').classList.toggle('error', error);
}

function padChanged(e) {
  if (e.error) findStatus(e.error, true);
  else if (e.cleared) findStatus('');
}

const colourModel = () => session.gan?.channels === 3;

// The crop as the model will see it, in the left half of the comparison (the search redraws it
// from Rust's own target when it starts).
function photoChanged(e) {
  if (e.error) findStatus(e.error, true);
  // Only real changes: the text is a live region, and the camera redraws every frame.
  const words = photo.describe();
  if ($('photo-crop-text').textContent !== words) $('photo-crop-text').textContent = words;
  const button = photo.live ? 'Take photo' : 'Use camera';
  if ($('photo-camera').textContent !== button) $('photo-camera').textContent = button;
  if (e.source) findStatus(e.source === 'camera' ? 'camera on: press Take photo' : '');
  if (search || !photo.ready || !colourModel()) return;
  const size = session.gan.imageSize;
  const ctx = $('find-compare').getContext('2d');
  ctx.clearRect(0, 0, size * 2, size);
  ctx.drawImage(photo.target(size).canvas, 0, 0);
  const canvas = $('photo-crop');
  canvas.dataset.previews = String(Number(canvas.dataset.previews || 0) + 1);
}

async function camera() {
  if (photo.live) {
    await photo.takePhoto();
    findStatus('photo taken: move the square over the face, then press Find');
    return;
  }
  findStatus('asking for the camera…');
  try {
    await photo.startCamera();
  } catch (err) {
    findStatus(err.message, true);
  }
}

// The picture to search for, as RGBA: the pad's, or the photo's crop at the model's size.
function picture() {
  if (!colourModel()) return pad.rgba();
  if (!photo.ready) return null;
  const size = session.gan.imageSize;
  const { rgba } = photo.target(size);
  return { rgba: new Uint8Array(rgba.buffer), width: size, height: size };
}

async function find() {
  // A live camera: the search is for the frame shown, kept as the photo.
  if (colourModel() && photo.live) await photo.takePhoto();
  const gan = session.gan;
  if (!gan || gan.imageSize === 0 || !session.samples) return;
  const bytes = session.bytes.get(session.model);
  if (!bytes) {
    findStatus('this model is not available to the search worker', true);
    return;
  }
  const input = picture();
  if (!input) {
    findStatus('no photo yet: choose one, drop one on the square, or use the camera', true);
    return;
  }
  const { rgba, width, height } = input;
  worker ??= startWorker();
  const steps = Math.max(
    1,
    Math.min(MAX_STEPS, Math.round(Number($('find-steps').value)) || DEFAULT_STEPS),
  );
  $('find-steps').value = steps;
  search = { model: session.model, target: null };
  $('find').textContent = 'Stop';
  $('find-progress').value = 0;
  findStatus('starting the search…');
  worker.postMessage(
    {
      type: 'find',
      backend: session.backend.isGpu ? 'webgpu' : 'cpu',
      model: session.model,
      bytes: bytes.slice(),
      rgba,
      width,
      height,
      class: -1,
      steps,
    },
    [rgba.buffer],
  );
}

function stopFind() {
  if (worker) worker.postMessage({ type: 'stop' });
}

function startWorker() {
  const w = new Worker(new URL('./find-worker.js', import.meta.url), { type: 'module' });
  w.onmessage = (e) => onWorker(e.data);
  w.onerror = (e) => finished(`the search failed: ${e.message || 'worker error'}`, true);
  return w;
}

function onWorker(msg) {
  if (!search) return;
  if (msg.type === 'status') findStatus(msg.text);
  else if (msg.type === 'error') finished(msg.message, true);
  else if (search.model !== session.model) {
    // Another model was opened during the search: its match belongs to no cell here.
    stopFind();
    finished(`the search was for the ${search.model} model, which is no longer open`, true);
  } else if (msg.type === 'target') {
    search.target = msg.pixels;
    const pair = new Float32Array(msg.pixels.length * 2).fill(-1);
    pair.set(msg.pixels, 0);
    drawSamples($('find-compare'), pair, 2);
    if (msg.blank) {
      findStatus(`the ${colourModel() ? 'picture' : 'pad'} is blank: searching anyway…`);
    }
  } else if (msg.type === 'progress') {
    const sample = new Float32Array(msg.sample);
    const pair = new Float32Array(sample.length * 2);
    pair.set(search.target.subarray(0, sample.length), 0);
    pair.set(sample, sample.length);
    drawSamples($('find-compare'), pair, 2);
    $('find-progress').value = msg.step / msg.steps;
    const cls = msg.class === null ? '' : `digit ${msg.class}, `;
    findStatus(
      `step ${msg.step}/${msg.steps}: ${cls}${msg.message} — ${(msg.ms / 1000).toFixed(1)} s`,
    );
    if (msg.done) run(() => placeResult(msg, sample));
  }
}

function finished(text, error = false) {
  search = null;
  $('find').textContent = 'Find';
  if (text) findStatus(text, error);
}

// The match becomes the grid's last cell, selected: walk, interpolate, slide, download. Queued,
// so that it never lands in the middle of another model call.
function placeResult(msg, sample) {
  if (search === null || search.model !== session.model || !session.samples) {
    finished('the grid changed model before the match arrived; draw and search again', true);
    return;
  }
  const d = session.gan.latentDim;
  const index = session.z.length / d - 1;
  session.z.set(Float32Array.from(msg.z), index * d);
  if (session.labels.length && msg.class !== null) session.labels[index] = msg.class;
  session.samples.set(sample, index * sample.length);
  drawSamples($('samples'), session.samples, COLS);
  const cls = msg.class === null ? '' : ` (digit ${msg.class})`;
  finished(
    `${msg.stopped ? 'stopped early; ' : ''}found${cls}: ${msg.message}. It is now the grid's last cell, selected.`,
  );
  status.show(
    `${$('find-title').textContent.toLowerCase()}: the match${cls} is now cell ${index + 1}, selected`,
  );
  document.body.dataset.found = String(Number(document.body.dataset.found || 0) + 1);
  setSelection([index]);
}

// `regenerate` draws the grid again (generate.js's, queued by the caller through run()).
export function wireLatentTools({ regenerate }) {
  const psi = $('psi');
  psi.addEventListener('input', () => {
    $('psi-value').textContent = Number(psi.value).toFixed(2);
  });
  psi.addEventListener('change', () => run(regenerate));
  $('plane-draw').addEventListener('click', () => run(drawPlane));
  $('samples').addEventListener('gridselect', showPlaneButton);

  pad = new DrawPad($('draw-pad'), { onChange: padChanged });
  let taking = false; // a camera frame is being kept: one click starts one search
  $('find').addEventListener('click', () => {
    if (search) stopFind();
    else if (!taking) {
      taking = true;
      find()
        .catch((err) => findStatus(err.message, true))
        .finally(() => (taking = false));
    }
  });
  $('find-clear').addEventListener('click', () => pad.clear());
  photo = new PhotoCrop($('photo-crop'), $('photo-size'), { onChange: photoChanged });
  $('photo-camera').addEventListener('click', camera);
  $('find-choose').addEventListener('click', () => $('find-file').click());
  $('find-file').addEventListener('change', (e) => {
    const file = e.target.files[0];
    e.target.value = '';
    if (!file) return;
    (colourModel() ? photo : pad).loadFile(file).catch((err) => findStatus(err.message, true));
  });
}
