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

// Where large downloads (the wasm module, weights) are kept between visits. The browser's HTTP
// cache refuses entries above a size limit (measured in headless Chromium: a 37 MB module was
// downloaded again on every visit while the small files were revalidated), so they live here.
const CACHE = 'webgan-v1';

// fetch() with progress and a cache that always asks the server: a stored copy is sent with its
// ETag (If-None-Match); a 304 answer costs a few hundred bytes and the stored copy is used.
// onProgress(fraction, bytes): the fraction is NaN when the size is unknown (a compressed
// transfer's Content-Length counts compressed bytes). Returns a Response whose body streams, so
// WebAssembly can compile while downloading. Without the Cache API (pages served over plain
// http to another machine) this is a plain fetch with progress.
export async function fetchCached(url, onProgress = () => {}) {
  const key = String(url);
  const cache = globalThis.caches ? await caches.open(CACHE).catch(() => null) : null;
  const stored = cache ? await cache.match(key).catch(() => undefined) : undefined;
  const etag = stored && stored.headers.get('etag');
  // no-store: the HTTP cache neither answers nor keeps this request; the cache above does both.
  const response = await fetch(key, { cache: 'no-store', headers: etag ? { 'if-none-match': etag } : {} });
  if (response.status === 304 && stored) {
    await response.arrayBuffer(); // empty: finishes the request instead of abandoning it
    onProgress(1, 0);
    return stored;
  }
  if (!response.ok || !response.body) return response;
  const total = response.headers.get('content-encoding') ? 0 : Number(response.headers.get('content-length')) || 0;
  let loaded = 0;
  const counter = new TransformStream({
    transform(chunk, controller) {
      loaded += chunk.byteLength;
      onProgress(total ? loaded / total : NaN, loaded);
      controller.enqueue(chunk);
    },
  });
  let body = response.body;
  if (cache && response.headers.get('etag')) {
    const [toCache, toCaller] = body.tee();
    body = toCaller;
    // A failed store (quota, private mode) only means the next visit downloads again.
    cache.put(key, new Response(toCache, { headers: response.headers })).catch(() => {});
  }
  return new Response(body.pipeThrough(counter), { status: response.status, headers: response.headers });
}
