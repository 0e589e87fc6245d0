// Helpers shared by the page and the training worker. Nothing here touches the DOM (a worker
// has none), and nothing imports the wasm module: callers pass in the `Backend` class of the
// module they loaded, so a view that loads a smaller module can use the same code.

export const messageOf = (e) => (e && e.message) || String(e);

// wasm-bindgen exposes some readers as getters, others as methods: accept both.
export const read = (obj, name) => (typeof obj[name] === 'function' ? obj[name]() : obj[name]);

// The browser's own words for its WebGPU adapter ({} without one). wgpu does not always pass
// the adapter's name through, and says nothing about software emulation.
export async function adapterInfo() {
  const adapter = globalThis.navigator && navigator.gpu && (await navigator.gpu.requestAdapter());
  if (!adapter) return {};
  const info = adapter.info || {};
  return {
    name: [info.vendor, info.architecture, info.description].filter(Boolean).join(' '),
    software: Boolean(info.isFallbackAdapter || adapter.isFallbackAdapter) ||
      /swiftshader/i.test([info.vendor, info.architecture, info.description].join(' ')),
  };
}

export async function isSoftwareAdapter(backend) {
  if (/swiftshader/i.test(read(backend, 'description') || '')) return true;
  return (await adapterInfo()).software === true;
}

// The backend's technical description, with the adapter's name where wgpu left it out.
export async function describe(backend) {
  const text = read(backend, 'description');
  if (!read(backend, 'isGpu') || text !== 'WebGPU') return text;
  const { name } = await adapterInfo();
  return name ? `WebGPU (${name})` : text;
}

// Opens the backend a choice ('auto' | 'webgpu' | 'cpu') asks for. 'auto' falls back to the
// CPU when WebGPU cannot open, and also, with `avoidSoftware`, when its adapter is a software
// emulation (SwiftShader). Returns { backend, fallbackReason } (the reason is null when the
// choice was met as asked). `status(text)` hears what it is doing.
export async function openBackend(Backend, choice, { status = () => {}, avoidSoftware = false } = {}) {
  let backend = null;
  let fallbackReason = null;
  if (choice !== 'cpu') {
    status('opening WebGPU…');
    try {
      backend = await Backend.webgpu();
    } catch (e) {
      if (choice === 'webgpu') throw new Error(`WebGPU is not available: ${messageOf(e)}`);
      fallbackReason = messageOf(e);
    }
  }
  // A software adapter emulates the GPU on the CPU at a few ms per kernel launch: measured, a
  // training step on the ring took 3.5 s there against 12 ms on the CPU backend.
  if (backend && avoidSoftware && choice === 'auto' && (await isSoftwareAdapter(backend))) {
    fallbackReason = 'the WebGPU adapter is a software emulation (SwiftShader), about 300x slower ' +
      'than the CPU backend for training here; pick WebGPU explicitly to use it anyway';
    backend = null;
  }
  return { backend: backend ?? Backend.cpu(), fallbackReason };
}
