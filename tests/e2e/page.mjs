// End-to-end test of the served page in Debian's headless Chromium, driven by playwright-core
// (no downloaded browser). Run after scripts/build-web.sh: `node tests/e2e/page.mjs`.
// Screenshots go to $E2E_OUT (default test-results/).
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import assert from 'node:assert/strict';
import { serve } from './serve.mjs';
import { BASE_ARGS, check, finish } from './harness.mjs';

const OUT = process.env.E2E_OUT || 'test-results';
mkdirSync(OUT, { recursive: true });
const GENERATION_TIMEOUT = 10 * 60 * 1000; // the first WebGPU call compiles shaders on a CPU

async function openPage(server, webgpu, hash = '') {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: webgpu ? [...BASE_ARGS, '--enable-unsafe-webgpu'] : BASE_ARGS,
  });
  const page = await browser.newPage();
  page.on('console', (m) => { if (m.type() === 'error') console.log('  [page error]', m.text()); });
  page.on('pageerror', (e) => console.log('  [page exception]', e.message));
  await page.goto(server.url + 'index.html' + hash);
  return { browser, page };
}

async function waitForGenerations(page, count) {
  await page.waitForFunction(
    (n) => Number(document.body.dataset.generations || 0) >= n || document.body.dataset.state === 'error',
    count, { timeout: GENERATION_TIMEOUT });
  const state = await page.evaluate(() => document.body.dataset.state);
  if (state === 'error') throw new Error('page error: ' + (await page.textContent('#status')));
  await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: GENERATION_TIMEOUT });
}

// Pixel statistics of the grid: a blank or constant canvas fails, a varied grid passes.
async function canvasStats(page) {
  return page.evaluate(() => {
    const c = document.getElementById('samples');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let sum = 0; let sq = 0; let bright = 0; let hash = 0;
    for (let i = 0; i < d.length; i += 4) {
      sum += d[i]; sq += d[i] * d[i]; if (d[i] > 128) bright += 1;
      hash = (hash * 31 + d[i] + d[i + 1] * 7 + d[i + 2] * 13) >>> 0;
    }
    const n = d.length / 4;
    const mean = sum / n;
    return { mean, std: Math.sqrt(sq / n - mean * mean), bright: bright / n, hash, width: c.width };
  });
}

async function generateWith(page, seed) {
  const before = Number(await page.evaluate(() => document.body.dataset.generations));
  await page.fill('#seed', String(seed));
  await page.click('#generate');
  await waitForGenerations(page, before + 1);
  return canvasStats(page);
}

const server = await serve('dist');
try {
  const { browser, page } = await openPage(server, true, '#model=digits&seed=5&class=mixed');
  await check('WebGPU: loads, names the backend, draws a varied grid', async () => {
    await waitForGenerations(page, 1);
    const backend = await page.textContent('#backend');
    assert.match(backend, /WebGPU/, `#backend says "${backend}"`);
    const s = await canvasStats(page);
    assert.equal(s.width, 8 * 28);
    assert.ok(s.std > 40, `grid has too little contrast: ${JSON.stringify(s)}`);
    assert.ok(s.bright > 0.03 && s.bright < 0.6, `digits are white strokes on black: ${JSON.stringify(s)}`);
    assert.match(await page.textContent('#status'), /64 samples in \d+ ms/);
    await page.screenshot({ path: `${OUT}/page-webgpu.png`, fullPage: true });
  });
  await check('the seed reproduces the grid and the URL hash carries it', async () => {
    const a = await generateWith(page, 11);
    const b = await generateWith(page, 12);
    const c = await generateWith(page, 11);
    assert.notEqual(a.hash, b.hash, 'another seed, another grid');
    assert.equal(a.hash, c.hash, 'same seed, same grid');
    assert.match(page.url(), /seed=11/);
  });
  await check('the class picker conditions the digits', async () => {
    const mixed = await canvasStats(page);
    await page.selectOption('#digit', '1');
    await waitForGenerations(page, Number(await page.evaluate(() => document.body.dataset.generations)));
    const ones = await canvasStats(page);
    assert.notEqual(mixed.hash, ones.hash);
    assert.ok(ones.bright < mixed.bright, `ones use less ink than mixed digits: ${ones.bright} vs ${mixed.bright}`);
  });
  await check('a corrupt weights file gives a readable error and keeps the model', async () => {
    await page.setInputFiles('#weights-file', { name: 'broken.wgan', mimeType: 'application/octet-stream', buffer: Buffer.from('not weights at all') });
    await page.waitForFunction(() => document.getElementById('status').classList.contains('error'), null, { timeout: 60000 });
    assert.match(await page.textContent('#status'), /not a webgan weights file/);
    const s = await generateWith(page, 3);
    assert.ok(s.std > 40, 'the previous model still generates');
  });
  await check('selecting two cells enables interpolation, which draws a strip', async () => {
    const box = await page.locator('#samples').boundingBox();
    await page.mouse.click(box.x + box.width / 16, box.y + box.height / 16);
    await page.waitForFunction(() => document.body.dataset.state === 'ready');
    await page.mouse.click(box.x + box.width * 15 / 16, box.y + box.height / 16);
    await page.waitForFunction(() => !document.getElementById('interpolate').disabled);
    await page.click('#interpolate');
    await page.waitForFunction(() => /interpolated/.test(document.getElementById('status').textContent), null, { timeout: GENERATION_TIMEOUT });
    const strip = await page.evaluate(() => {
      const c = document.getElementById('strip');
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let bright = 0; for (let i = 0; i < d.length; i += 4) if (d[i] > 128) bright += 1;
      return bright / (d.length / 4);
    });
    assert.ok(strip > 0.02, `strip is blank (${strip})`);
    await page.screenshot({ path: `${OUT}/page-explore.png`, fullPage: true });
  });
  await check('the faces model loads and draws colour images', async () => {
    const before = Number(await page.evaluate(() => document.body.dataset.generations));
    await page.selectOption('#model', 'faces');
    await waitForGenerations(page, before + 1);
    const colour = await page.evaluate(() => {
      const c = document.getElementById('samples');
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let spread = 0;
      for (let i = 0; i < d.length; i += 4) spread += Math.abs(d[i] - d[i + 2]);
      return { width: c.width, redBlue: spread / (d.length / 4) };
    });
    assert.equal(colour.width, 8 * 64, "the shipped faces model draws 64x64 faces");
    assert.ok(colour.redBlue > 5, `faces have colour (skin: red above blue): ${JSON.stringify(colour)}`);
    assert.ok(await page.isHidden('#digit-label'), 'no class picker for an unconditional model');
    await page.screenshot({ path: `${OUT}/page-faces.png`, fullPage: true });
  });
  await browser.close();

  const cpu = await openPage(server, false);
  await check('without WebGPU the page falls back to the CPU and still generates', async () => {
    await waitForGenerations(cpu.page, 1);
    const backend = await cpu.page.textContent('#backend');
    assert.match(backend, /CPU/);
    assert.match(backend, /fallback/);
    const s = await canvasStats(cpu.page);
    assert.ok(s.std > 40, JSON.stringify(s));
    await cpu.page.screenshot({ path: `${OUT}/page-cpu.png`, fullPage: true });
  });
  await cpu.browser.close();
} finally {
  server.close();
}
finish();
