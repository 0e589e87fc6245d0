// The latent explorer of the Generate view: the newest selected cell shown large, sliders along
// the generator's principal directions (directions.js), a spherical interpolation from cell A
// to cell B (a strip and an animation), and a smooth random walk. The other latent tools
// (latent-tools.js) live in #explore-tools too; they follow the selection through the
// 'gridselect' event on #samples and draw with showFocus().
import {
  clearDirections,
  loadDirections,
  movedLatent,
  showDirectionsFor,
  wireDirections,
} from './directions.js';
import { $, download } from './dom.js';
import { drawSamples, cellSamples } from './grid.js';
import { session, status, run, latentOf, labelOf } from './session.js';

const STRIP = 10;
let sliderQueued = false;

const newest = () => session.selected[session.selected.length - 1];

// Draws one sample (the generator's output for one latent) in the focus view.
export function showFocus(samples) {
  drawSamples($('focus'), samples, 1);
  // How many times it was drawn: a test waits for the next drawing, not for a clock.
  $('focus').dataset.draws = Number($('focus').dataset.draws || 0) + 1;
}

async function generateFocus(z, labels) {
  showFocus(await session.gan.generate(z, labels));
}

// A new model: its directions (queued: they come after the first grid), an empty strip.
export function resetExplorer() {
  clearDirections();
  const gan = session.gan;
  run(() => loadDirections(gan));
  $('strip').hidden = true; // shown once there is an interpolation to show
  showSelection();
}

// Follows the grid's selection: the newest cell in the focus view, sliders at its latent.
export function showSelection() {
  session.walking = false;
  const count = session.selected.length;
  $('interpolate').disabled = count < 2;
  $('walk').disabled = count === 0;
  $('download-latent').disabled = count === 0;
  $('walk').textContent = 'Random walk';
  $('explore').dataset.selected = session.selected.join(',');
  if ($('strip').hidden) {
    $('strip-caption').textContent =
      count >= 2
        ? `Interpolate from cell ${session.selected[0] + 1} (A) to cell ${session.selected[1] + 1} (B).`
        : 'Select a second cell (B) to interpolate from A to B.';
  }
  const index = newest();
  showDirectionsFor(index);
  if (!count) {
    $('focus-caption').textContent = 'Select a cell of the grid.';
    return;
  }
  showFocus(cellSamples(index));
  const label = session.labels.length ? `, digit ${session.labels[index]}` : '';
  $('focus-caption').textContent = `Cell ${index + 1}${label} (seed ${session.seed})`;
}

async function moveAlongDirections() {
  const index = newest();
  if (index === undefined) return;
  const z = movedLatent(index, latentOf(index));
  if (z) await generateFocus(z, labelOf(index));
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
  $('strip-caption').textContent =
    `From cell ${a + 1} (A) to cell ${b + 1} (B) in ${STRIP} steps along the sphere.`;
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
  const json = JSON.stringify(
    {
      model: session.model,
      seed: session.seed,
      cell: index,
      class: session.labels.length ? session.labels[index] : null,
      z: Array.from(latentOf(index)),
    },
    null,
    1,
  );
  download(`webgan-${session.model}-latent.json`, new Blob([json], { type: 'application/json' }));
}

export function wireExplorer() {
  $('samples').addEventListener('gridselect', showSelection);
  // Coalesced: while one slider frame renders, only the latest position is queued.
  wireDirections(() => {
    if (sliderQueued) return;
    sliderQueued = true;
    run(() => {
      sliderQueued = false;
      return moveAlongDirections();
    });
  });
  $('interpolate').addEventListener('click', () => run(interpolate));
  $('walk').addEventListener('click', () => {
    if (session.walking) session.walking = false;
    else run(walk);
  });
  $('download-latent').addEventListener('click', downloadLatent);
  document.addEventListener('visibilitychange', () => {
    if (document.hidden) session.walking = false;
  });
}
