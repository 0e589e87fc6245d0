// End-to-end test of the served page in Debian's headless Chromium, driven by playwright-core
// (no downloaded browser). Run after scripts/build-web.sh: `node tests/e2e/page.mjs`.
// Two browsers: one without WebGPU (the CPU fallback: the page's words, layout, keyboard,
// labels, caching) and one with WebGPU (SwiftShader: generation, seeds, classes, files, faces).
// E2E_PAGE=cpu (or webgpu) runs one browser's checks only. Screenshots go to $E2E_OUT
// (default test-results/).
import { chromium } from 'playwright-core';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { get } from 'node:http';
import assert from 'node:assert/strict';
import { serve } from './serve.mjs';
import {
  BASE_ARGS,
  check,
  countGpuWork,
  echoErrors,
  finish,
  launch,
  newPage,
  PAGE_TIMEOUT,
  waitForGenerations,
} from './harness.mjs';

const OUT = process.env.E2E_OUT || 'test-results';
mkdirSync(OUT, { recursive: true });
const GROUPS = (process.env.E2E_PAGE || 'cpu,webgpu').split(',');
const GENERATION_TIMEOUT = 10 * 60 * 1000; // the first WebGPU call compiles shaders on a CPU
// A second visit revalidates every file (ETag, 304): headers only. Measured: see the check.
const SECOND_VISIT_MAX_BYTES = 50_000;
// Dispatches one 64-digit generation may issue on WebGPU: 22 measured with burn's fusion for the
// digits model with class batch norm (its per-class scale and shift add lookups to each norm;
// 12 without them, 26 without fusion); a regression that splits the layers into many more
// kernels, or loses fusion, fails.
const GENERATION_DISPATCHES_MAX = 28;

async function openPage(server, webgpu, hash = '') {
  const browser = await launch(chromium, webgpu);
  const page = await newPage(browser);
  if (webgpu) await page.addInitScript(countGpuWork);
  await page.goto(server.url + 'index.html' + hash);
  return { browser, page };
}

// Pixel statistics of the grid: a blank or constant canvas fails, a varied grid passes.
async function canvasStats(page) {
  return page.evaluate(() => {
    const c = document.getElementById('samples');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let sum = 0;
    let sq = 0;
    let bright = 0;
    let hash = 0;
    for (let i = 0; i < d.length; i += 4) {
      sum += d[i];
      sq += d[i] * d[i];
      if (d[i] > 128) bright += 1;
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

// The sentence of a trial the CPU won: both figures ("CPU: 64 digits in 95 ms, WebGPU 1,400 ms").
const BOTH_FIGURES_CPU = /^CPU: 64 digits in [\d.,]+ ms, WebGPU [\d.,]+ ms — using the CPU/;

// Waits until the Generate view's backend trial (www/trial.js) has ended.
async function waitForTrial(page) {
  await page.waitForFunction(() =>
    ['none', 'done', 'remembered', 'failed'].includes(document.body.dataset.trial),
  );
}

// When (ms after the page opened) the first grid was drawn, the page settled on its backend,
// and the full module's wasm was asked for (undefined: never).
async function fetchTimes(page) {
  return page.evaluate(() => {
    const full = performance
      .getEntriesByType('resource')
      .find((e) => new URL(e.name).pathname.endsWith('/pkg/webgan_bg.wasm'));
    return {
      firstGrid: Number(document.body.dataset.firstGridMs),
      settled: Number(document.body.dataset.settledMs),
      full: full && Math.round(full.startTime),
    };
  });
}

async function webgpuChecks(server) {
  // Its own context, so that a second page shares its storage: a second visit.
  const autoBrowser = await launch(chromium, true);
  const autoContext = await autoBrowser.newContext({ serviceWorkers: 'block' });
  const auto = { browser: autoBrowser, page: await autoContext.newPage() };
  auto.page.setDefaultTimeout(PAGE_TIMEOUT);
  echoErrors(auto.page);
  await auto.page.goto(server.url + 'index.html#model=digits&seed=5');
  await check(
    'auto with WebGPU: the first grid comes from the generation module; a background measurement keeps the CPU because it measured it faster',
    async () => {
      const page = auto.page;
      await waitForGenerations(page, 1);
      assert.equal(
        await page.getAttribute('body', 'data-module'),
        'gen',
        'the first grid runs in the small generation module',
      );
      assert.ok(!/backend=/.test(page.url()), 'auto is the default: not in the URL');
      await waitForTrial(page);
      assert.equal(await page.getAttribute('body', 'data-trial'), 'done');
      assert.equal(await page.getAttribute('body', 'data-trials'), '1', 'one measurement');
      // SwiftShader, a real "slow GPU": the CPU measured faster, and the sentence says by what.
      assert.equal(await page.getAttribute('#backend', 'data-reason'), 'measured_cpu');
      assert.equal(await page.getAttribute('#backend', 'data-backend'), 'cpu');
      assert.equal(await page.getAttribute('body', 'data-module'), 'gen');
      const summary = (await page.textContent('#backend summary')).trim();
      assert.match(summary, BOTH_FIGURES_CPU, summary);
      // The full module was fetched only after the first grid, in the background.
      const timing = await fetchTimes(page);
      assert.ok(timing.full !== undefined, 'the measurement loaded the full module');
      assert.ok(
        timing.full > timing.firstGrid,
        `the full module was asked for at ${timing.full} ms, after the first grid (${timing.firstGrid} ms)`,
      );
      console.log(`  first grid ${timing.firstGrid} ms, settled ${timing.settled} ms; ${summary}`);
    },
  );
  await check('auto with WebGPU: the Backend menu still forces WebGPU', async () => {
    const page = auto.page;
    await page.selectOption('#backend-choice', 'webgpu');
    // A backend switch counts its grids afresh: wait for WebGPU's, drawn.
    await page.waitForFunction(
      () =>
        document.getElementById('backend').dataset.backend === 'webgpu' &&
        ['ready', 'error'].includes(document.body.dataset.state),
    );
    await waitForGenerations(page, 1);
    assert.equal(await page.getAttribute('#backend', 'data-backend'), 'webgpu');
    assert.equal(await page.getAttribute('#backend', 'data-reason'), 'chosen');
    assert.equal(await page.getAttribute('body', 'data-module'), 'full');
    assert.match(page.url(), /backend=webgpu/);
  });
  await check(
    'auto with WebGPU: a second visit reuses the verdict (nothing measured, no full module)',
    async () => {
      const page = await autoContext.newPage();
      page.setDefaultTimeout(PAGE_TIMEOUT);
      echoErrors(page);
      await page.goto(server.url + 'index.html#model=digits&seed=5');
      await waitForGenerations(page, 1);
      await waitForTrial(page);
      assert.equal(await page.getAttribute('body', 'data-trial'), 'remembered');
      assert.equal(await page.getAttribute('body', 'data-trials'), null, 'nothing measured');
      const summary = (await page.textContent('#backend summary')).trim();
      assert.match(summary, BOTH_FIGURES_CPU, summary);
      assert.match(summary, /\(measured on an earlier visit\)$/, summary);
      assert.equal((await fetchTimes(page)).full, undefined, 'the full module is not fetched');
      // A new model (here the digits under another name) is measured again; the test hook
      // (test-hooks builds only) makes WebGPU the faster, so the page switches to it.
      await page.evaluate(async () => {
        const gen = await (await import('./modules.js')).loadModule('gen');
        gen.injectTrialTimings(500, 10);
      });
      const generations = Number(await page.getAttribute('body', 'data-generations'));
      await page.setInputFiles('#weights-file', {
        name: 'digits-copy.wgan',
        mimeType: 'application/octet-stream',
        buffer: readFileSync('dist/models/digits.wgan'),
      });
      await waitForGenerations(page, generations + 1);
      await page.waitForFunction(() => document.body.dataset.trials === '1');
      await waitForTrial(page);
      await page.waitForFunction(() => document.body.dataset.state === 'ready');
      assert.equal(await page.getAttribute('body', 'data-trial'), 'done');
      assert.equal(await page.getAttribute('#backend', 'data-reason'), 'measured_gpu');
      assert.equal(await page.getAttribute('#backend', 'data-backend'), 'webgpu');
      assert.equal(await page.getAttribute('body', 'data-module'), 'full');
      assert.equal(
        (await page.textContent('#backend summary')).trim(),
        'WebGPU: 64 samples in 10 ms, CPU 500 ms — using WebGPU',
      );
      const s = await canvasStats(page);
      assert.ok(s.std > 40, `the grid drawn again on WebGPU: ${JSON.stringify(s)}`);
      await page.close();
    },
  );
  await auto.browser.close();
  // WebGPU asked for in the URL, as a shared link would.
  const { browser, page } = await openPage(
    server,
    true,
    '#model=digits&seed=5&class=mixed&backend=webgpu',
  );
  await check('WebGPU: loads, names the backend, draws a varied grid', async () => {
    await waitForGenerations(page, 1);
    assert.equal(await page.inputValue('#backend-choice'), 'webgpu');
    assert.equal(
      await page.getAttribute('body', 'data-module'),
      'full',
      'WebGPU runs in the full module',
    );
    assert.match(page.url(), /backend=webgpu/);
    const backend = await page.textContent('#backend summary');
    assert.match(backend, /^WebGPU/, `#backend says "${backend}"`);
    const s = await canvasStats(page);
    assert.equal(s.width, 8 * 28);
    assert.ok(s.std > 40, `grid has too little contrast: ${JSON.stringify(s)}`);
    assert.ok(
      s.bright > 0.03 && s.bright < 0.6,
      `digits are white strokes on black: ${JSON.stringify(s)}`,
    );
    assert.match(await page.textContent('#status'), /64 samples in \d+ ms/);
  });
  // The GPU-work counters (npm run bench:gpu) on one click: a bounded few dispatches, 1 read-back.
  await check(
    'WebGPU: one 64-digit generation is a handful of kernels and a single read-back',
    async () => {
      const before = await page.evaluate(() => ({ ...window.gpuWork }));
      await generateWith(page, 6);
      const after = await page.evaluate(() => ({ ...window.gpuWork }));
      const dispatches = after.dispatches - before.dispatches;
      assert.ok(
        dispatches >= 1 && dispatches <= GENERATION_DISPATCHES_MAX,
        `${dispatches} dispatches (bound ${GENERATION_DISPATCHES_MAX})`,
      );
      assert.equal(after.readbacks - before.readbacks, 1, 'one read-back: the samples');
      assert.ok(
        after.uploads - before.uploads <= 4,
        `uploads: ${after.uploads - before.uploads} (z and labels only; the weights stay)`,
      );
      await page.screenshot({ path: `${OUT}/page-webgpu.png`, fullPage: true });
    },
  );
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
    // The count before the change: waiting for "count + 1" cannot pass on the old grid.
    const before = Number(await page.evaluate(() => document.body.dataset.generations));
    await page.selectOption('#digit', '1');
    await waitForGenerations(page, before + 1);
    const ones = await canvasStats(page);
    assert.notEqual(mixed.hash, ones.hash);
    assert.ok(
      ones.bright < mixed.bright,
      `ones use less ink than mixed digits: ${ones.bright} vs ${mixed.bright}`,
    );
  });
  await check('a corrupt weights file gives a readable error and keeps the model', async () => {
    await page.setInputFiles('#weights-file', {
      name: 'broken.wgan',
      mimeType: 'application/octet-stream',
      buffer: Buffer.from('not weights at all'),
    });
    await page.waitForFunction(
      () => document.getElementById('status').classList.contains('error'),
      null,
      { timeout: 60000 },
    );
    assert.match(await page.textContent('#status'), /not a webgan weights file/);
    const s = await generateWith(page, 3);
    assert.ok(s.std > 40, 'the previous model still generates');
  });
  await check(
    'a crafted weights file (a manifest claiming a huge model) is refused before allocation; the page keeps generating',
    async () => {
      // The shipped digits file with its manifest edited: width 2^31 (wraps a 32-bit size) and a
      // huge class embedding. Rust validates the manifest before building anything.
      const good = readFileSync('dist/models/digits.wgan');
      const len = good.readUInt32LE(8);
      for (const [name, edit] of [
        ['width', { width: 2 ** 31 }],
        ['class_embed_dim', { label_mixing: 'concat', class_embed_dim: 1e9 }],
      ]) {
        const manifest = JSON.parse(good.subarray(12, 12 + len).toString('utf8'));
        Object.assign(manifest.arch, edit);
        const json = Buffer.from(JSON.stringify(manifest));
        const header = Buffer.from(good.subarray(0, 12));
        header.writeUInt32LE(json.length, 8);
        const crafted = Buffer.concat([header, json, good.subarray(12 + len)]);
        await page.setInputFiles('#weights-file', {
          name: `crafted-${name}.wgan`,
          mimeType: 'application/octet-stream',
          buffer: crafted,
        });
        await page.waitForFunction(
          (n) =>
            document.getElementById('status').classList.contains('error') &&
            document.getElementById('status').textContent.includes(n),
          `crafted-${name}`,
          { timeout: 60000 },
        );
        assert.match(await page.textContent('#status'), new RegExp(`refuses.*${name}`));
        const s = await generateWith(page, 4);
        assert.ok(s.std > 40, 'the previous model still generates');
      }
    },
  );
  await check('selecting two cells enables interpolation, which draws a strip', async () => {
    const box = await page.locator('#samples').boundingBox();
    // The first cell is selected after each grid: clicking the last cell of the row adds it.
    assert.equal(await page.getAttribute('#samples', 'data-selected'), '0');
    await page.mouse.click(box.x + (box.width * 15) / 16, box.y + box.height / 16);
    assert.equal(await page.getAttribute('#samples', 'data-selected'), '0,7');
    assert.ok(!(await page.isDisabled('#interpolate')), 'two cells enable the interpolation');
    await page.click('#interpolate');
    await page.waitForFunction(
      () => /interpolated/.test(document.getElementById('status').textContent),
      null,
      { timeout: GENERATION_TIMEOUT },
    );
    const strip = await page.evaluate(() => {
      const c = document.getElementById('strip');
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let bright = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] > 128) bright += 1;
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
    assert.equal(colour.width, 8 * 64, 'the shipped faces model draws 64x64 faces');
    assert.ok(
      colour.redBlue > 5,
      `faces have colour (skin: red above blue): ${JSON.stringify(colour)}`,
    );
    assert.ok(await page.isHidden('#digit-field'), 'no class picker for an unconditional model');
    await page.screenshot({ path: `${OUT}/page-faces.png`, fullPage: true });
  });
  await browser.close();
}

// The words on the page: one plain sentence for the backend and one for the model, each with
// its details one click away.
async function wordChecks(page) {
  await check(
    'without WebGPU: the CPU draws the grid, and the backend line is one plain sentence',
    async () => {
      await waitForGenerations(page, 1);
      const s = await canvasStats(page);
      assert.ok(s.std > 40, JSON.stringify(s));
      const summary = (await page.textContent('#backend summary')).trim();
      assert.match(
        summary,
        /^CPU — (this browser has no WebGPU|this browser's WebGPU found no usable GPU)$/,
        summary,
      );
      assert.equal(await page.getAttribute('#backend', 'data-backend'), 'cpu');
      assert.equal(
        await page.getAttribute('body', 'data-module'),
        'gen',
        'the CPU path runs in the small generation module',
      );
      assert.ok(!(await page.isVisible('#backend details p')), 'details start closed');
      await page.click('#backend summary');
      const details = await page.textContent('#backend details p');
      assert.match(details, /WebGPU was not used: /, details);
      await page.click('#backend summary');
      await page.screenshot({ path: `${OUT}/page-cpu.png`, fullPage: true });
    },
  );
  await check('the model line is a sentence; the manifest is one click away', async () => {
    const summary = (await page.textContent('#about-model summary')).trim();
    assert.equal(
      summary,
      'Digits: conditional DCGAN, 28×28, 12,000 steps on MNIST; FID 12.9 (real data: 7.7)',
    );
    assert.ok(!/\/tmp|fid_floor/.test(summary), 'no paths or raw keys in the sentence');
    await page.click('#about-model summary');
    const raw = JSON.parse(await page.textContent('#about-model pre'));
    assert.equal(raw.steps, 12000);
    await page.click('#about-model summary');
  });
  await check('the explorer shows the first cell before any click', async () => {
    assert.equal(await page.getAttribute('#explore', 'data-selected'), '0');
    assert.match(await page.textContent('#focus-caption'), /^Cell 1, digit 0 \(seed \d+\)$/);
    const ink = await page.evaluate(() => {
      const c = document.getElementById('focus');
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let bright = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] > 128) bright += 1;
      return { bright: bright / (d.length / 4), width: c.width };
    });
    assert.equal(ink.width, 28);
    assert.ok(ink.bright > 0.03, `the focus view is blank: ${JSON.stringify(ink)}`);
    assert.ok(!(await page.isDisabled('#walk')), 'walking needs one cell: enabled');
    assert.ok(await page.isDisabled('#interpolate'), 'interpolating needs two cells: disabled');
  });
}

async function keyboardChecks(page) {
  await check(
    'keyboard: Tab reaches the grid, arrows select, Enter then arrows pick a second cell',
    async () => {
      await page.evaluate(() => document.activeElement && document.activeElement.blur());
      await page.click('h1'); // start from the top of the page
      let tabs = 0;
      while (
        !(await page.evaluate(
          () => document.activeElement && document.activeElement.id === 'samples',
        ))
      ) {
        await page.keyboard.press('Tab');
        tabs += 1;
        assert.ok(tabs <= 20, 'the grid is reachable with Tab');
      }
      const ring = await page.evaluate(() => {
        const style = getComputedStyle(document.getElementById('samples'));
        return { style: style.outlineStyle, width: parseFloat(style.outlineWidth) };
      });
      assert.ok(
        ring.style !== 'none' && ring.width >= 2,
        `a visible focus ring: ${JSON.stringify(ring)}`,
      );
      const selected = () => page.getAttribute('#samples', 'data-selected');
      assert.equal(await selected(), '0');
      await page.keyboard.press('ArrowRight');
      await page.keyboard.press('ArrowDown');
      assert.equal(await selected(), '9', 'right then down: row 2, column 2');
      await page.keyboard.press('ArrowLeft');
      await page.keyboard.press('ArrowLeft'); // stops at the edge
      assert.equal(await selected(), '8');
      assert.match(await page.textContent('#grid-announce'), /Cell 9 selected \(row 2, column 1\)/);
      assert.match(await page.textContent('#focus-caption'), /^Cell 9,/);
      await page.keyboard.press('Enter');
      await page.keyboard.press('ArrowRight');
      await page.keyboard.press('ArrowRight');
      assert.equal(await selected(), '8,10');
      assert.ok(!(await page.isDisabled('#interpolate')), 'two cells: interpolation enabled');
      await page.keyboard.press('Escape');
      assert.equal(await selected(), '10');
      await page.screenshot({ path: `${OUT}/page-keyboard.png` });
    },
  );
  await check('every control has a label and a hint', async () => {
    const problems = await page.evaluate(() => {
      const out = [];
      for (const el of document.querySelectorAll('button, select, input, canvas[tabindex]')) {
        if (el.type === 'file') continue; // opened by its button
        const name =
          el.getAttribute('aria-label') ||
          (el.labels &&
            [...el.labels]
              .map((l) => l.textContent)
              .join(' ')
              .trim()) ||
          (el.tagName === 'BUTTON' && el.textContent.trim());
        const hint =
          el.getAttribute('aria-describedby') ||
          el.title ||
          (el.labels && [...el.labels].some((l) => l.title)) ||
          el.closest('fieldset')?.querySelector('.hint') ||
          el.closest('[role=tablist]');
        if (!name) out.push(`${el.id || el.outerHTML.slice(0, 60)}: no label`);
        if (!hint) out.push(`${el.id || el.outerHTML.slice(0, 60)}: no hint`);
        for (const id of (el.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean)) {
          if (!document.getElementById(id))
            out.push(`${el.id}: aria-describedby names a missing #${id}`);
        }
      }
      return out;
    });
    assert.deepEqual(problems, []);
  });
  await check('the tabs work with the arrow keys', async () => {
    await page.focus('#tab-generate');
    await page.keyboard.press('ArrowRight');
    assert.ok(await page.isVisible('#view-train'), 'ArrowRight opens the Train view');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'tab-train');
    await page.keyboard.press('ArrowLeft');
    assert.ok(await page.isVisible('#view-generate'));
  });
}

// No sideways scrolling on a 390 px phone, nor on a wide screen, in either view.
async function layoutChecks(browser, server) {
  for (const [width, height] of [
    [390, 844],
    [1280, 900],
  ]) {
    await check(
      `layout: no horizontal scroll at ${width} px, in both views, light and dark`,
      async () => {
        for (const colorScheme of ['light', 'dark']) {
          const page = await newPage(browser, { viewport: { width, height }, colorScheme });
          await page.goto(server.url + 'index.html#model=digits&seed=7');
          await waitForGenerations(page, 1);
          for (const view of ['generate', 'train']) {
            await page.click(`#tab-${view}`);
            const m = await page.evaluate(() => ({
              scroll: document.documentElement.scrollWidth,
              client: document.documentElement.clientWidth,
            }));
            assert.ok(
              m.scroll <= m.client,
              `${view} view, ${colorScheme}: ${m.scroll} px of content in ${m.client} px`,
            );
          }
          await page.click('#tab-generate');
          const grid = await page.evaluate(
            () => document.getElementById('samples').getBoundingClientRect().width,
          );
          assert.ok(
            grid >= Math.min(width - 60, 560),
            `the grid is large: ${grid} px wide at ${width} px`,
          );
          const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
          const [r, g, b] = bg.match(/\d+/g).map(Number);
          const luminance = (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
          assert.ok(
            colorScheme === 'dark' ? luminance < 0.2 : luminance > 0.8,
            `${colorScheme} background: ${bg}`,
          );
          await page.close();
        }
      },
    );
  }
}

// A second visit in the same browser transfers almost nothing: every file is revalidated
// (If-None-Match) and answered 304 without a body. This is the page's own store (fetchCached),
// without the service worker (blocked here; a page served over plain http to another machine
// has none): tests/e2e/offline.mjs measures second visits with the worker, on two kinds of host.
// A profile on disk, as a person's browser has (an incognito context keeps Cache Storage in
// memory; it was gone between two pages in 2 runs of 6).
async function cacheChecks(server) {
  await check(
    `a second visit is served from the browser's cache (under ${SECOND_VISIT_MAX_BYTES} bytes)`,
    async () => {
      const profile = mkdtempSync(join(tmpdir(), 'webgan-profile-'));
      const context = await chromium.launchPersistentContext(profile, {
        executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
        args: BASE_ARGS,
        serviceWorkers: 'block',
      });
      const visit = async () => {
        const page = await context.newPage();
        page.setDefaultTimeout(PAGE_TIMEOUT);
        const cdp = await context.newCDPSession(page);
        await cdp.send('Network.enable');
        // Bytes on the wire per file, headers included: the total when the request finishes,
        // else what had arrived with its response (a request the page dropped).
        const names = new Map();
        const bytes = new Map();
        cdp.on('Network.requestWillBeSent', (e) =>
          names.set(e.requestId, e.request.url.replace(server.url, '')),
        );
        cdp.on('Network.responseReceived', (e) =>
          bytes.set(
            e.requestId,
            Math.max(bytes.get(e.requestId) || 0, e.response.encodedDataLength),
          ),
        );
        cdp.on('Network.loadingFinished', (e) => bytes.set(e.requestId, e.encodedDataLength));
        const seen = {
          get files() {
            return Object.fromEntries([...bytes].map(([id, n]) => [names.get(id), n]));
          },
          get bytes() {
            return [...bytes.values()].reduce((a, b) => a + b, 0);
          },
          get requests() {
            return bytes.size;
          },
        };
        await page.goto(server.url + 'index.html#model=digits&seed=3');
        await waitForGenerations(page, 1);
        // Without WebGPU there is nothing to measure: the page settles at once, and nothing
        // more is fetched (checked below).
        await waitForTrial(page);
        assert.equal(await page.getAttribute('body', 'data-trial'), 'none');
        // The module and the weights go to the Cache API while they stream in; storing 37 MB
        // can outlast the first grid by a moment. A person stays longer than that: wait until
        // the page has no store in flight (both began before the first grid could be drawn;
        // a second visit, answered by 304s, has none), then check that both files are there.
        await page.waitForFunction(() => window.webganCacheWrites.pending === 0);
        const stored = await page.evaluate(async () => {
          const cache = await caches.open('webgan-v1');
          return Boolean(
            (await cache.match('pkg-gen/webgan_bg.wasm')) &&
            (await cache.match('models/digits.wgan')),
          );
        });
        assert.ok(stored, 'the module and the weights are in the Cache API');
        await page.close();
        return { files: seen.files, bytes: seen.bytes, requests: seen.requests };
      };
      const first = await visit();
      const second = await visit();
      console.log(
        `  first visit: ${first.requests} requests, ${first.bytes} bytes; second: ${second.requests} requests, ${second.bytes} bytes`,
      );
      console.log(`  second visit, bytes per file: ${JSON.stringify(second.files)}`);
      assert.ok(
        first.bytes > 1_000_000,
        `the first visit downloads the module and the model (${first.bytes} bytes)`,
      );
      assert.ok(
        second.bytes < SECOND_VISIT_MAX_BYTES,
        `second visit: ${second.bytes} bytes (${JSON.stringify(second.files)})`,
      );
      assert.ok(
        first.files['pkg-gen/webgan_bg.wasm'] > 200_000,
        'the first visit downloads the generation module',
      );
      // The CPU path's first grid needs neither the full module (WebGPU, training) nor faces.
      for (const never of ['pkg/webgan_bg.wasm', 'pkg/webgan.js', 'models/faces.wgan']) {
        assert.ok(
          !(never in first.files),
          `${never} is not loaded before it is needed (${JSON.stringify(first.files)})`,
        );
      }
      const wasm = second.files['pkg-gen/webgan_bg.wasm'] ?? 0;
      assert.ok(
        wasm < 1000,
        `the module is not downloaded again (${wasm} bytes on the second visit)`,
      );
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  );
}

// The server the demo uses (scripts/serve.mjs): types, isolation headers, revalidation.
async function serverChecks(server) {
  await check(
    'the server: MIME types, COOP/COEP, ETag and 304, nothing outside dist/',
    async () => {
      const wasm = await fetch(server.url + 'pkg/webgan_bg.wasm');
      assert.equal(wasm.status, 200);
      assert.equal(wasm.headers.get('content-type'), 'application/wasm');
      assert.equal(wasm.headers.get('cross-origin-opener-policy'), 'same-origin');
      assert.equal(wasm.headers.get('cross-origin-embedder-policy'), 'require-corp');
      assert.equal(wasm.headers.get('cache-control'), 'no-cache');
      const etag = wasm.headers.get('etag');
      assert.match(etag, /^"[\w-]{22}"$/);
      await wasm.arrayBuffer();
      // Code goes gzipped to a client that accepts it (node's fetch does), as-is to one that does not.
      assert.equal(wasm.headers.get('content-encoding'), 'gzip');
      const plain = await new Promise((ok, fail) =>
        get(
          server.url + 'pkg/webgan_bg.wasm',
          { headers: { 'accept-encoding': 'identity' } },
          (r) => {
            r.resume();
            ok(r.headers);
          },
        ).on('error', fail),
      );
      assert.equal(plain['content-encoding'], undefined);
      assert.ok(Number(plain['content-length']) > 1_000_000, 'the plain module');
      const again = await fetch(server.url + 'pkg/webgan_bg.wasm', {
        headers: { 'if-none-match': etag },
      });
      assert.equal(again.status, 304);
      assert.equal((await again.arrayBuffer()).byteLength, 0);
      const since = await fetch(server.url + 'index.html', {
        headers: { 'if-modified-since': new Date(Date.now() + 60_000).toUTCString() },
      });
      assert.equal(since.status, 304);
      for (const [path, type] of [
        ['', 'text/html; charset=utf-8'],
        ['app.js', 'text/javascript; charset=utf-8'],
        ['style.css', 'text/css; charset=utf-8'],
        ['models/digits.wgan', 'application/octet-stream'],
      ]) {
        const r = await fetch(server.url + path, { method: 'HEAD' });
        assert.equal(r.status, 200, path);
        assert.equal(r.headers.get('content-type'), type, path);
      }
      // Raw paths (fetch would normalise the dots away); dist/'s parent holds a package.json.
      for (const path of [
        '/../package.json',
        '/%2e%2e/package.json',
        '/..%2fpackage.json',
        '/nothing-here.js',
      ]) {
        const status = await new Promise((ok, fail) =>
          get(server.url + 'x', { path }, (r) => {
            r.resume();
            ok(r.statusCode);
          }).on('error', fail),
        );
        assert.equal(status, 404, `${path} gives ${status}`);
      }
      assert.equal((await fetch(server.url, { method: 'POST' })).status, 405);
    },
  );
}

async function cpuChecks(server) {
  await serverChecks(server);
  const { browser, page } = await openPage(server, false, '#model=digits&seed=5&class=mixed');
  await wordChecks(page);
  await keyboardChecks(page);
  await page.close();
  await layoutChecks(browser, server);
  await cacheChecks(server);
  await browser.close();
}

const server = await serve('dist');
try {
  if (GROUPS.includes('cpu')) await cpuChecks(server);
  if (GROUPS.includes('webgpu')) await webgpuChecks(server);
} finally {
  server.close();
}
finish();
