// "Find my digit" runs here, off the page's thread: it loads its own copy of the generator on
// the backend the page uses, runs the search (Rust: WebInversion) a few steps at a time and
// posts the best match after every chunk, so the page draws progress and stays responsive.
// Messages in:  {type: 'find', backend: 'webgpu'|'cpu', model, bytes, rgba, width, height,
//                class (-1: every class), restarts, steps} | {type: 'stop'}
// Messages out: {type: 'status', text} | {type: 'target', pixels, notes, blank}
//               | {type: 'progress', ...best, ms, done} | {type: 'error', message}
// The search needs gradients: the full module (modules.js), fetched through the page's cache;
// the backend is opened through the one policy (Backend.open), as the page's own was.
import { loadModule } from './modules.js';
const CHUNK_STEPS = 10; // steps between progress reports

const state = {
  wasm: null,
  backend: null,
  backendKind: null,
  gan: null,
  modelKey: null,
  stop: false,
};
const post = (message, transfer = []) => self.postMessage(message, transfer);

async function prepare(msg) {
  const wasm = await loadModule('full');
  state.wasm = wasm;
  if (state.backendKind !== msg.backend) {
    post({
      type: 'status',
      text: `opening ${msg.backend === 'webgpu' ? 'WebGPU' : 'the CPU'} for the search…`,
    });
    state.backend?.free();
    state.backend = await wasm.Backend.open(msg.backend);
    state.backendKind = msg.backend;
    state.modelKey = null;
  }
  if (state.modelKey !== msg.model) {
    if (state.gan) state.gan.free();
    state.gan = wasm.WebGan.load(state.backend, msg.bytes, msg.model);
    state.modelKey = msg.model;
  }
}

async function find(msg) {
  state.stop = false;
  await prepare(msg);
  const search = new state.wasm.WebInversion(
    state.gan,
    msg.rgba,
    msg.width,
    msg.height,
    msg.restarts || 0,
    msg.steps || 0,
    msg.class ?? -1,
  );
  const target = search.target;
  post({ type: 'target', pixels: target, notes: search.notes, blank: search.blank }, [
    target.buffer,
  ]);
  const t0 = performance.now();
  try {
    for (;;) {
      await search.run(CHUNK_STEPS);
      const best = JSON.parse(await search.progress());
      const done = search.finished || state.stop;
      post({
        type: 'progress',
        ...best,
        ms: performance.now() - t0,
        done,
        stopped: state.stop && !search.finished,
      });
      if (done) break;
      // On the CPU every await above settles in a microtask: yield a macrotask so that a
      // 'stop' message can arrive.
      await new Promise((r) => setTimeout(r, 0));
    }
  } finally {
    search.free();
  }
}

self.onmessage = (e) => {
  const msg = e.data;
  if (msg.type === 'stop') {
    state.stop = true;
    return;
  }
  if (msg.type === 'find') {
    find(msg).catch((err) => post({ type: 'error', message: (err && err.message) || String(err) }));
  }
};
