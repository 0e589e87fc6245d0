// The page's two WebAssembly modules, built from the same crate (scripts/build-web.sh):
//   'gen'  pkg-gen/: generation only, on the CPU backend (no autodiff, no optimizer, no WebGPU):
//          the Generate view's first grid, small enough to arrive in well under a second.
//   'full' pkg/: everything: WebGPU, training (the Train view's worker), "find my digit".
//   'threads' pkg-threads/: training on the CPU backend with a pool of web workers (feature
//          `threads`, shared memory): only in the Train view's worker, only in a cross-origin
//          isolated page (Rust's planCpuThreads decides), after initThreadPool(n).
// Both export the same generation API (WebGan, renderGrid, latentsForSeed, planBackend, …), so a
// view switches by using the other module's namespace. Each loads once per page or worker, its
// bytes through the Cache API (fetchCached), so a second visit downloads nothing but a 304.
// Nothing here touches the DOM: the workers use it too.
import { fetchCached } from './common.js';

const DIRS = { gen: 'pkg-gen', full: 'pkg', threads: 'pkg-threads' };
const loading = new Map();

// The initialised module `kind` ('gen', 'full' or 'threads'); onProgress(fraction, bytes) while its wasm
// downloads (see fetchCached).
export function loadModule(kind, onProgress = () => {}) {
  if (!DIRS[kind]) throw new Error(`no WebAssembly module "${kind}"`);
  if (!loading.has(kind)) {
    const task = (async () => {
      const dir = DIRS[kind];
      const glue = await import(`./${dir}/webgan.js`);
      const response = await fetchCached(
        new URL(`${dir}/webgan_bg.wasm`, import.meta.url),
        onProgress,
      );
      if (!response.ok)
        throw new Error(`The WebAssembly module ${dir}/ did not load (HTTP ${response.status}).`);
      await glue.default({ module_or_path: response });
      return glue;
    })();
    // A failed load (network) may be retried by the next call.
    task.catch(() => loading.delete(kind));
    loading.set(kind, task);
  }
  return loading.get(kind);
}

// Which module can run what the backend policy (Rust's planBackend) picks for `choice`: WebGPU
// needs the full module; the CPU path runs in the generation module. Returns { wasm, plan }.
export async function moduleFor(choice, onProgress = () => {}) {
  const gen = await loadModule('gen', onProgress);
  const plan = await gen.planBackend(choice);
  const gpu = plan.isGpu;
  plan.free();
  return { wasm: gpu ? await loadModule('full', onProgress) : gen, gpu };
}
