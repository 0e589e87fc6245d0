// The npm package (scripts/package.sh) as a stranger's project uses it, in Debian's headless
// Chromium driven by playwright-core. Run after scripts/build-web.sh: `node tests/e2e/package.mjs`.
// It packs the package, installs the tarball into a fresh throw-away project with no network
// (`npm install --offline`: the package has no dependencies), then
//  - imports it from a plain ES-module page (an import map, no build step) and draws a digits
//    grid; the same page then draws the same grid with the "./full" entry point;
//  - type-checks a TypeScript file against its types (`tsc --noEmit`, the root's pinned tsc);
//  - bundles the page with esbuild (the root's pinned esbuild) and draws the grid there too.
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import assert from 'node:assert/strict';
import { serve } from './serve.mjs';
import { check, finish, launch, newPage } from './harness.mjs';

const ROOT = resolve('.');
const BIN = (name) => join(ROOT, 'node_modules', '.bin', name);
const project = mkdtempSync(join(tmpdir(), 'webgan-consumer-'));
const packed = mkdtempSync(join(tmpdir(), 'webgan-pack-'));
process.on('exit', () => {
  for (const dir of [project, packed]) rmSync(dir, { recursive: true, force: true });
});
const run = (cmd, args, options = {}) =>
  execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...options });

// The consumer's code, the same for the plain page and the bundle: the README's few lines.
const MAIN = `import init, { Backend, WebGan, latentsForSeed, renderGrid } from 'webgan';

export async function drawDigits(canvas, { wasm, model }) {
  await init(wasm ? { module_or_path: wasm } : undefined);
  const backend = await Backend.open('auto');
  const bytes = new Uint8Array(await (await fetch(model)).arrayBuffer());
  const gan = WebGan.load(backend, bytes, 'digits');
  const samples = await gan.generate(latentsForSeed(7, 64, gan.latentDim), gan.labels(64, -1));
  const grid = renderGrid(samples, gan.imageSize, gan.channels, 8);
  canvas.width = grid.width;
  canvas.height = grid.height;
  const rgba = new Uint8ClampedArray(grid.rgba);
  canvas.getContext('2d').putImageData(new ImageData(rgba, grid.width, grid.height), 0, 0);
  return { backend: backend.description, ms: performance.now() };
}
`;

// A plain page: the import map resolves the package's names, as a bundler would.
const PLAIN = `<!doctype html>
<meta charset="utf-8" />
<link rel="icon" href="data:," />
<script type="importmap">
  { "imports": { "webgan": "./node_modules/webgan/gen/webgan.js",
                 "webgan/full": "./node_modules/webgan/full/webgan.js" } }
</script>
<canvas id="gen"></canvas><canvas id="full"></canvas>
<script type="module">
  import { drawDigits } from './main.js';
  const model = './node_modules/webgan/models/digits.wgan';
  try {
    window.first = await drawDigits(document.getElementById('gen'), { model });
    window.modulesBeforeGrid = performance.getEntriesByType('resource').map((e) => e.name);
    // The full entry point: the same API, the same grid.
    const full = await import('webgan/full');
    await full.default();
    const backend = await full.Backend.open('cpu');
    const bytes = new Uint8Array(await (await fetch(model)).arrayBuffer());
    const gan = full.WebGan.load(backend, bytes, 'digits');
    const samples = await gan.generate(full.latentsForSeed(7, 64, gan.latentDim), gan.labels(64, -1));
    const grid = full.renderGrid(samples, gan.imageSize, gan.channels, 8);
    const canvas = document.getElementById('full');
    canvas.width = grid.width;
    canvas.height = grid.height;
    canvas.getContext('2d').putImageData(
      new ImageData(new Uint8ClampedArray(grid.rgba), grid.width, grid.height), 0, 0);
    window.trainer = typeof full.WebTrainer;
    document.body.dataset.done = 'yes';
  } catch (e) {
    document.body.dataset.done = 'error: ' + e.message;
  }
</script>
`;

// The bundle's entry: esbuild copies the module and the weights and gives their URLs.
const BUNDLE_ENTRY = `import wasm from 'webgan/gen/webgan_bg.wasm';
import model from 'webgan/models/digits.wgan';
import { drawDigits } from './main.js';

drawDigits(document.getElementById('gen'), { wasm, model }).then(
  (first) => {
    window.first = first;
    document.body.dataset.done = 'yes';
  },
  (e) => (document.body.dataset.done = 'error: ' + e.message),
);
`;
const BUNDLE_PAGE = `<!doctype html>
<meta charset="utf-8" />
<link rel="icon" href="data:," />
<canvas id="gen"></canvas>
<script type="module" src="bundle.js"></script>
`;

// The types: real uses must compile, and misuses must not (@ts-expect-error fails when its line
// compiles, e.g. were the types \`any\`).
const TYPES = `import init, { Backend, WebGan, latentsForSeed, renderGrid, truncate } from 'webgan';
import type { RenderedGrid } from 'webgan';
import initFull, * as full from 'webgan/full';

export async function grid(bytes: Uint8Array): Promise<RenderedGrid> {
  await init();
  const backend: Backend = await Backend.open('auto');
  const why: string | undefined = backend.reasonCode;
  console.log(why, backend.isGpu);
  const gan = WebGan.load(backend, bytes, 'digits');
  const z: Float32Array = truncate(latentsForSeed(1, 16, gan.latentDim), 0.7);
  const samples = await gan.generate(z, gan.labels(16, 7));
  return renderGrid(samples, gan.imageSize, gan.channels, 4);
}

export async function train(): Promise<Uint8Array> {
  await initFull();
  const backend = await full.Backend.open('cpu');
  const trainer = new full.WebTrainer(backend, JSON.stringify({ preset: 'ring' }), full.WebData.none());
  await trainer.step(10);
  return (await trainer.exportGenerator()) as Uint8Array;
}

export function misuses(gan: WebGan) {
  // @ts-expect-error labels(n, class) takes numbers
  gan.labels('16', 7);
  // @ts-expect-error no such method
  gan.train();
  // @ts-expect-error the generation module has no trainer
  return import('webgan').then((m) => new m.WebTrainer());
}
`;

let tarball;
await check(
  'scripts/package.sh packs the package with both entry points and the models',
  async () => {
    const out = run('scripts/package.sh', [], { env: { ...process.env, NPM_OUT: packed } });
    tarball = out.trim().split('\n').pop();
    assert.ok(existsSync(tarball), `the tarball: ${tarball}`);
    const listing = run('tar', ['-tzf', tarball]).split('\n');
    for (const file of [
      'package/package.json',
      'package/README.md',
      'package/gen/webgan.js',
      'package/gen/webgan_bg.wasm',
      'package/gen/webgan.d.ts',
      'package/full/webgan.js',
      'package/full/webgan_bg.wasm',
      'package/full/webgan.d.ts',
      'package/models/digits.wgan',
      'package/models/faces.wgan',
    ])
      assert.ok(listing.includes(file), `${file} in the tarball`);
  },
);

await check('a fresh project installs the tarball with no network', async () => {
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
  );
  run(
    'npm',
    ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', resolve(tarball)],
    { cwd: project, env: { ...process.env, npm_config_cache: join(packed, 'npm-cache') } },
  );
  assert.deepEqual(readdirSync(join(project, 'node_modules')).sort(), [
    '.package-lock.json',
    'webgan',
  ]);
  writeFileSync(join(project, 'main.js'), MAIN);
  writeFileSync(join(project, 'index.html'), PLAIN);
  writeFileSync(join(project, 'check.ts'), TYPES);
  writeFileSync(join(project, 'entry.js'), BUNDLE_ENTRY);
});

await check('its types check (tsc --noEmit --strict) and refuse misuses', async () => {
  run(
    BIN('tsc'),
    ['--noEmit', '--strict', '--target', 'esnext', '--module', 'nodenext', 'check.ts'],
    { cwd: project },
  );
});

await check('esbuild bundles the page', async () => {
  run(
    BIN('esbuild'),
    [
      'entry.js',
      '--bundle',
      '--format=esm',
      '--outfile=out/bundle.js',
      '--loader:.wasm=file',
      '--loader:.wgan=file',
      '--log-level=warning',
    ],
    { cwd: project },
  );
  writeFileSync(join(project, 'out', 'index.html'), BUNDLE_PAGE);
  const files = readdirSync(join(project, 'out'));
  assert.ok(
    files.some((f) => /^webgan_bg-.*\.wasm$/.test(f)),
    `the module copied: ${files}`,
  );
});

// A static host without COOP/COEP, as most are.
const server = await serve(project, { port: 0, isolated: false });
const browser = await launch(chromium);

async function gridOf(page, id) {
  return page.evaluate((id) => {
    const c = document.getElementById(id);
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let sum = 0;
    let sq = 0;
    let hash = 0;
    for (let i = 0; i < d.length; i += 4) {
      sum += d[i];
      sq += d[i] * d[i];
      hash = (hash * 31 + d[i]) >>> 0;
    }
    const n = d.length / 4;
    const mean = sum / n;
    return { width: c.width, height: c.height, std: Math.sqrt(sq / n - mean * mean), hash };
  }, id);
}

async function open(path) {
  const page = await newPage(browser);
  await page.goto(server.url + path);
  await page.waitForFunction(() => document.body.dataset.done);
  const done = await page.evaluate(() => document.body.dataset.done);
  assert.equal(done, 'yes', `the page says: ${done}`);
  return page;
}

let plainHash;
await check(
  'a plain ES-module page imports it and draws 64 digits, with both entry points',
  async () => {
    const page = await open('index.html');
    const gen = await gridOf(page, 'gen');
    assert.deepEqual([gen.width, gen.height], [8 * 28, 8 * 28]);
    assert.ok(gen.std > 40, `a varied grid: ${JSON.stringify(gen)}`);
    const full = await gridOf(page, 'full');
    assert.equal(full.hash, gen.hash, 'the full module draws the same grid');
    assert.equal(await page.evaluate(() => window.trainer), 'function', 'full has training');
    const before = await page.evaluate(() => window.modulesBeforeGrid);
    assert.ok(
      !before.some((url) => url.includes('/full/')),
      `the first grid needs nothing of the full module: ${before}`,
    );
    const first = await page.evaluate(() => window.first);
    console.log(
      `  plain page: first grid ${first.ms.toFixed(0)} ms after navigation (${first.backend})`,
    );
    plainHash = gen.hash;
    await page.close();
  },
);

await check('the esbuild bundle draws the same grid', async () => {
  const page = await open('out/index.html');
  const grid = await gridOf(page, 'gen');
  assert.deepEqual([grid.width, grid.height], [8 * 28, 8 * 28]);
  assert.ok(grid.std > 40, JSON.stringify(grid));
  if (plainHash !== undefined) assert.equal(grid.hash, plainHash, 'the same seed, the same grid');
  const first = await page.evaluate(() => window.first);
  console.log(`  bundled page: first grid ${first.ms.toFixed(0)} ms after navigation`);
  await page.close();
});

await browser.close();
server.close();
finish();
