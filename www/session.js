// The Generate view's shared state: the backend, the loaded generator, the latest grid and its
// selection, and the queue every model call goes through. generate.js, grid.js, explore.js and
// the latent tools read and update it; nothing here runs on import.
import { StatusLine } from './dom.js';

export const COLS = 8;
export const N = 64; // samples in the grid
export const MAX_SELECTED = 4; // cells a person can select: the corners of a latent plane

export const session = {
  wasm: null, // the module's exports (renderGrid, slerp, …), once loaded
  backend: null,
  trial: null, // "auto": { measure, adapter } from Rust's planGenerate (trial.js)
  gan: null,
  model: null, // name of the loaded model
  bytes: new Map(), // model name -> weights, so a backend switch need not re-download
  seed: 0,
  z: null, // latents of the grid, N x latentDim
  labels: null, // class of each cell ([] for an unconditional model)
  samples: null, // the grid's generated values (null for a 2-D scatter)
  selected: [], // up to MAX_SELECTED cell indices, oldest first; the explorer shows the newest
  walking: false,
  generations: 0,
};

export const status = new StatusLine('status', 'progress');

export const isToy = (gan) => gan.imageSize === 0;

export function latentOf(index) {
  const d = session.gan.latentDim;
  return session.z.slice(index * d, (index + 1) * d);
}

export function labelOf(index) {
  return session.labels.length ? [session.labels[index]] : [];
}

// Model calls run one after another, in click order: a click while the model is busy waits its
// turn instead of being lost. The body's data-state says 'busy', 'ready' or 'error'.
let queue = Promise.resolve();
export function run(task) {
  queue = queue.then(() => execute(task));
  return queue;
}

async function execute(task) {
  document.body.dataset.state = 'busy';
  try {
    await task();
    document.body.dataset.state = 'ready';
  } catch (e) {
    document.body.dataset.state = 'error';
    status.error((e && e.message) || String(e));
  }
}
