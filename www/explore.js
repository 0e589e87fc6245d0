// The latent explorer of the Generate view: the newest selected cell shown large, sliders along
// its first latent axes, a spherical interpolation from cell A to cell B (a strip and an
// animation), and a smooth random walk. More tools go into #explore-tools; they can follow the
// selection through the 'gridselect' event on #samples and draw with showFocus().
import { $, download } from './dom.js';
import { drawSamples, cellSamples } from './grid.js';
import { session, status, run, latentOf, labelOf } from './session.js';

const STRIP = 10;
const SLIDERS = 4;
let sliderQueued = false;

const newest = () => session.selected[session.selected.length - 1];

// Draws one sample (the generator's output for one latent) in the focus view.
export function showFocus(samples) {
  drawSamples($('focus'), samples, 1);
}

async function generateFocus(z, labels) {
  showFocus(await session.gan.generate(z, labels));
}

// A new model: sliders for its latent size, an empty strip.
export function resetExplorer() {
  const box = $('sliders');
  box.replaceChildren();
  const count = Math.min(SLIDERS, session.gan.latentDim);
  for (let i = 0; i < count; i++) {
    const id = `axis-${i}`;
    const label = Object.assign(document.createElement('label'), { htmlFor: id, textContent: `z[${i}]` });
    const input = Object.assign(document.createElement('input'),
      { id, type: 'range', min: -3, max: 3, step: 0.05, value: 0 });
    input.dataset.axis = String(i);
    const value = Object.assign(document.createElement('output'), { htmlFor: id, textContent: '0.00' });
    // Coalesce: while one slider frame renders, only the latest position is queued.
    input.addEventListener('input', () => {
      value.textContent = Number(input.value).toFixed(2);
      if (sliderQueued) return;
      sliderQueued = true;
      run(() => { sliderQueued = false; return moveAlongAxes(); });
    });
    box.append(label, input, value);
  }
  $('strip').hidden = true; // shown once there is an interpolation to show
  showSelection();
}

// Follows the grid's selection: the newest cell in the focus view, sliders at its latent.
export function showSelection() {
  session.walking = false;
  const count = session.selected.length;
  $('interpolate').disabled = count !== 2;
  $('walk').disabled = count === 0;
  $('download-latent').disabled = count === 0;
  $('walk').textContent = 'Random walk';
  $('explore').dataset.selected = session.selected.join(',');
  if ($('strip').hidden) {
    $('strip-caption').textContent = count === 2 ? `Interpolate from cell ${session.selected[0] + 1} (A) to cell ${session.selected[1] + 1} (B).`
      : 'Select a second cell (B) to interpolate from A to B.';
  }
  if (!count) {
    $('focus-caption').textContent = 'Select a cell of the grid.';
    return;
  }
  const index = newest();
  const z = latentOf(index);
  for (const input of $('sliders').querySelectorAll('input')) {
    input.value = z[Number(input.dataset.axis)].toFixed(2);
    input.nextElementSibling.textContent = Number(input.value).toFixed(2);
  }
  showFocus(cellSamples(index));
  const label = session.labels.length ? `, digit ${session.labels[index]}` : '';
  $('focus-caption').textContent = `Cell ${index + 1}${label} (seed ${session.seed})`;
}

// The prior is isotropic, so the leading directions of a cell are its latent axes.
async function moveAlongAxes() {
  const index = newest();
  if (index === undefined) return;
  const z = latentOf(index);
  for (const input of $('sliders').querySelectorAll('input')) z[Number(input.dataset.axis)] = Number(input.value);
  await generateFocus(z, labelOf(index));
}

async function interpolate() {
  const [a, b] = session.selected;
  const za = latentOf(a);
  const zb = latentOf(b);
  const d = za.length;
  const z = new Float32Array(STRIP * d);
  for (let i = 0; i < STRIP; i++) z.set(session.wasm.slerp(za, zb, i / (STRIP - 1)), i * d);
  const labels = session.labels.length ? new Int32Array(STRIP).fill(session.labels[a]) : [];
  const t0 = performance.now();
  const frames = await session.gan.generate(z, labels);
  drawSamples($('strip'), frames, STRIP);
  $('strip').hidden = false;
  const ms = performance.now() - t0;
  $('strip-caption').textContent = `From cell ${a + 1} (A) to cell ${b + 1} (B) in ${STRIP} steps along the sphere.`;
  status.show(`interpolated ${STRIP} steps in ${ms.toFixed(0)} ms`);
  // Animate the frames in the focus view, there and back.
  const size = frames.length / STRIP;
  for (const i of [...Array(STRIP).keys(), ...[...Array(STRIP).keys()].reverse()]) {
    showFocus(frames.slice(i * size, (i + 1) * size));
    await new Promise((r) => setTimeout(r, 60));
  }
}

async function walk() {
  session.walking = true;
  $('walk').textContent = 'Stop walking';
  const index = newest();
  let z = latentOf(index);
  for (let step = 0; session.walking && session.selected.length; step++) {
    z = session.wasm.walkStep(z, session.seed, step, 0.12);
    const t0 = performance.now();
    await generateFocus(z, labelOf(index));
    status.show(`walking: step ${step}, ${(performance.now() - t0).toFixed(0)} ms per frame`);
    await new Promise((r) => requestAnimationFrame(r));
  }
  session.walking = false;
  $('walk').textContent = 'Random walk';
}

function downloadLatent() {
  const index = newest();
  const json = JSON.stringify({ model: session.model, seed: session.seed, cell: index,
    class: session.labels.length ? session.labels[index] : null, z: Array.from(latentOf(index)) }, null, 1);
  download(`webgan-${session.model}-latent.json`, new Blob([json], { type: 'application/json' }));
}

export function wireExplorer() {
  $('samples').addEventListener('gridselect', showSelection);
  $('interpolate').addEventListener('click', () => run(interpolate));
  $('walk').addEventListener('click', () => {
    if (session.walking) session.walking = false;
    else run(walk);
  });
  $('download-latent').addEventListener('click', downloadLatent);
  document.addEventListener('visibilitychange', () => { if (document.hidden) session.walking = false; });
}
