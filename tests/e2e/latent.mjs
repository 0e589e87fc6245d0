// End-to-end test of the latent tools in headless Chromium, on WebGPU (SwiftShader) and on the
// CPU: the psi control changes the grid, the direction sliders carry variance shares and move
// the selected sample, the latent plane draws between selected cells, and "find my digit"
// turns a mouse stroke into a selectable cell; with the faces model (on the CPU), the attribute
// sliders are labelled from the file and move the selected face. Run after scripts/build-web.sh:
// `node tests/e2e/latent.mjs`. Screenshots go to $E2E_OUT (default test-results/).
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import assert from 'node:assert/strict';
import { serve } from './serve.mjs';
import { BASE_ARGS, check, finish, newPage } from './harness.mjs';

const OUT = process.env.E2E_OUT || 'test-results';
mkdirSync(OUT, { recursive: true });
const TIMEOUT = 10 * 60 * 1000; // SwiftShader compiles shaders on the CPU
// Which backends to drive (E2E_BACKENDS=cpu for a quick run).
const BACKENDS = (process.env.E2E_BACKENDS || 'webgpu,cpu').split(',');

async function openPage(server, webgpu, hash = 'model=digits&seed=3&class=mixed') {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: webgpu ? [...BASE_ARGS, '--enable-unsafe-webgpu'] : BASE_ARGS,
  });
  const page = await newPage(browser, { viewport: { width: 1280, height: 1000 } });
  // auto would pick the CPU on SwiftShader: the WebGPU run asks for WebGPU, as a link can.
  await page.goto(server.url + 'index.html#' + hash + (webgpu ? '&backend=webgpu' : ''));
  return { browser, page };
}

const generations = (page) => page.evaluate(() => Number(document.body.dataset.generations || 0));

async function waitReady(page, minGenerations = 1) {
  await page.waitForFunction(
    (n) =>
      (Number(document.body.dataset.generations || 0) >= n &&
        document.body.dataset.state === 'ready') ||
      document.body.dataset.state === 'error',
    minGenerations,
    { timeout: TIMEOUT },
  );
  if ((await page.evaluate(() => document.body.dataset.state)) === 'error') {
    throw new Error('page error: ' + (await page.textContent('#status')));
  }
}

// The grid's tiles as arrays of grey values, and a hash of the whole canvas.
async function tiles(page, id = 'samples', size = 28) {
  return page.evaluate(
    ([id, size]) => {
      const c = document.getElementById(id);
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      const cols = c.width / size;
      const rows = c.height / size;
      const out = [];
      for (let r = 0; r < rows; r++) {
        for (let col = 0; col < cols; col++) {
          const t = [];
          for (let y = 0; y < size; y++) {
            for (let x = 0; x < size; x++)
              t.push(d[((r * size + y) * c.width + col * size + x) * 4]);
          }
          out.push(t);
        }
      }
      return out;
    },
    [id, size],
  );
}

// Mean absolute difference of two tiles' interiors (the outermost pixel is left out).
const interior = (i) => i % 28 > 0 && i % 28 < 27 && i >= 28 && i < 27 * 28;
const diff = (a, b) => {
  let s = 0;
  let n = 0;
  a.forEach((v, i) => {
    if (interior(i)) {
      s += Math.abs(v - b[i]);
      n += 1;
    }
  });
  return s / n;
};
const bright = (t) => t.filter((v) => v > 128).length / t.length;

async function setPsi(page, value) {
  const before = await generations(page);
  await page.evaluate((v) => {
    const psi = document.getElementById('psi');
    psi.value = String(v);
    psi.dispatchEvent(new Event('input'));
    psi.dispatchEvent(new Event('change'));
  }, value);
  await waitReady(page, before + 1);
}

async function clickCell(page, index) {
  const box = await page.locator('#samples').boundingBox();
  const cell = box.width / 8;
  await page.mouse.click(
    box.x + ((index % 8) + 0.5) * cell,
    box.y + (Math.floor(index / 8) + 0.5) * cell,
  );
  await page.waitForFunction(() => document.body.dataset.state === 'ready', null, {
    timeout: TIMEOUT,
  });
}

const selected = (page) =>
  page.evaluate(() =>
    document.getElementById('samples').dataset.selected.split(',').filter(Boolean).map(Number),
  );

// Each grid starts with its first cell selected: clicking the selected cells drops them.
async function clearSelection(page) {
  for (const i of await selected(page)) await clickCell(page, i);
  assert.deepEqual(await selected(page), []);
}

async function run(server, webgpu) {
  const name = webgpu ? 'WebGPU' : 'CPU';
  const { browser, page } = await openPage(server, webgpu);
  try {
    await check(
      `${name}: the psi control changes the grid; psi 0 draws one mean sample per class`,
      async () => {
        await waitReady(page, 1);
        assert.match(await page.textContent('#backend'), webgpu ? /WebGPU/ : /CPU/);
        const original = await tiles(page);
        await setPsi(page, 0);
        const mean = await tiles(page);
        // The mixed grid holds the classes 0-9 in turn; the digits model's class reaches every
        // batch norm, so at psi 0 (z at the prior's mean) each class keeps its own image.
        const spread = Math.max(...mean.slice(10).map((t, i) => diff(t, mean[i])));
        assert.ok(spread < 2, `at psi 0 a class is one sample (max difference ${spread})`);
        assert.ok(diff(mean[5], original[5]) > 5, 'psi 0 changed the grid');
        await setPsi(page, 0.5);
        const half = await tiles(page);
        assert.ok(
          diff(half[5], original[5]) > 1 && diff(half[5], mean[5]) > 1,
          'psi 0.5 is in between',
        );
        await setPsi(page, 1);
        const back = await tiles(page);
        assert.ok(
          Math.max(...back.map((t, i) => diff(t, original[i]))) < 1,
          'psi 1 is the untouched grid',
        );
      },
    );

    await check(
      `${name}: direction sliders are labelled with variance shares and move the selected sample`,
      async () => {
        await clickCell(page, 2);
        const labels = await page.$$eval('#sliders .slider-label', (ls) =>
          ls.map((l) => l.textContent),
        );
        assert.ok(labels.length >= 3, `sliders: ${labels}`);
        assert.match(labels[0], /direction 1 · \d+\.\d% of variance/);
        const shares = labels.map((l) => Number(/· ([\d.]+)%/.exec(l)[1]));
        assert.ok(
          shares.every((s, i) => i === 0 || s <= shares[i - 1]),
          `ordered by variance: ${shares}`,
        );
        const before = (await tiles(page, 'focus'))[0];
        const draws = await page.evaluate(() =>
          Number(document.getElementById('focus').dataset.draws),
        );
        await page.evaluate(() => {
          const s = document.querySelector('#sliders input');
          s.value = '3';
          s.dispatchEvent(new Event('input'));
        });
        await page.waitForFunction(
          (n) => Number(document.getElementById('focus').dataset.draws) > n,
          draws,
        );
        const after = (await tiles(page, 'focus'))[0];
        assert.ok(diff(before, after) > 3, `the focus view changed by ${diff(before, after)}`);
        await clickCell(page, 2); // deselect
      },
    );

    await check(`${name}: the latent plane draws between four selected cells`, async () => {
      await clearSelection(page);
      assert.equal(
        await page.evaluate(() => document.getElementById('plane-draw').disabled),
        true,
        'no cells: no plane',
      );
      for (const i of [0, 7, 56, 63]) await clickCell(page, i);
      assert.deepEqual(await selected(page), [0, 7, 56, 63]);
      assert.deepEqual(
        await page.$$eval('#grid-marks .mark', (ms) => ms.map((m) => m.textContent)),
        ['A', 'B', 'C', 'D'],
      );
      assert.equal(
        await page.evaluate(() => document.getElementById('plane-draw').disabled),
        false,
      );
      await page.click('#plane-draw');
      await page.waitForFunction(
        () => Number(document.getElementById('plane').dataset.drawn || 0) >= 1,
        null,
        { timeout: TIMEOUT },
      );
      const plane = await tiles(page, 'plane');
      const grid = await tiles(page);
      assert.equal(plane.length, 64);
      assert.ok(
        plane.every((t) => bright(t) > 0.02),
        'every plane cell draws a digit',
      );
      // Its top-left corner is the first selected cell (same latent, same class).
      assert.ok(
        diff(plane[0], grid[0]) < 2,
        `top-left corner is cell 0 (difference ${diff(plane[0], grid[0])})`,
      );
      const away = Math.max(...[0, 7, 56, 63].map((i) => diff(plane[27], plane[i])));
      assert.ok(away > 3, `the middle differs from the corners (at most ${away})`);
      for (const i of [0, 7, 56, 63]) await clickCell(page, i); // deselect
      await page.screenshot({
        path: `${OUT}/latent-plane-${name.toLowerCase()}.png`,
        fullPage: true,
      });
    });

    await check(
      `${name}: a mouse stroke, then "find": the match becomes a selectable cell`,
      async () => {
        // Few steps: SwiftShader runs each at CPU speed. Quality is measured natively instead.
        await page.fill('#find-steps', webgpu ? '6' : '40');
        const pad = await page.locator('#draw-pad').boundingBox();
        const at = (fx, fy) => [pad.x + fx * pad.width, pad.y + fy * pad.height];
        await page.mouse.move(...at(0.5, 0.15));
        await page.mouse.down();
        for (let i = 1; i <= 10; i++) await page.mouse.move(...at(0.5, 0.15 + 0.07 * i));
        await page.mouse.up();
        const lastBefore = (await tiles(page))[63];
        await page.click('#find');
        await page.waitForFunction(
          () =>
            Number(document.body.dataset.found || 0) >= 1 ||
            document.getElementById('find-status').classList.contains('error'),
          null,
          { timeout: TIMEOUT },
        );
        const status = await page.textContent('#find-status');
        assert.doesNotMatch(status, /fail|error/i, status);
        assert.match(status, /found \(digit \d\)/);
        await page.waitForFunction(
          () => document.getElementById('samples').dataset.selected === '63',
          null,
          { timeout: TIMEOUT },
        );
        const lastAfter = (await tiles(page))[63];
        assert.ok(diff(lastBefore, lastAfter) > 1, 'the last cell now shows the match');
        const compare = await tiles(page, 'find-compare');
        assert.ok(bright(compare[0]) > 0.02, 'the target as the model sees it is drawn');
        assert.ok(diff(compare[1], lastAfter) < 2, 'the cell is the match the search showed');
        // It behaves like any cell: the walk button works on it.
        assert.equal(await page.evaluate(() => document.getElementById('walk').disabled), false);
        await page.screenshot({
          path: `${OUT}/latent-find-${name.toLowerCase()}.png`,
          fullPage: true,
        });
      },
    );
  } finally {
    await browser.close();
  }
}

// The focus view's pixels, every channel.
const focusPixels = (page) =>
  page.evaluate(() => {
    const c = document.getElementById('focus');
    return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data);
  });

async function runFaces(server) {
  const { browser, page } = await openPage(server, false, 'model=faces&seed=3');
  try {
    await check('CPU: faces have attribute sliders that move the selected face', async () => {
      await waitReady(page, 1);
      // Built with the principal directions, after the first grid.
      await page.waitForFunction(
        () => document.querySelectorAll('#attribute-sliders input').length > 0,
        null,
        { timeout: TIMEOUT },
      );
      const labels = await page.$$eval('#attribute-sliders .slider-label', (ls) =>
        ls.map((l) => l.textContent),
      );
      assert.deepEqual(labels, ['younger ↔ older', 'feminine ↔ masculine']);
      assert.equal(await page.isVisible('#attributes-tool'), true);
      await clickCell(page, 2);
      assert.equal(await page.isDisabled('#attribute-age'), false, 'enabled with a selection');
      for (const id of ['attribute-age', 'attribute-gender']) {
        const before = await focusPixels(page);
        const draws = await page.evaluate(() =>
          Number(document.getElementById('focus').dataset.draws),
        );
        await page.evaluate((id) => {
          const s = document.getElementById(id);
          s.value = '3';
          s.dispatchEvent(new Event('input'));
        }, id);
        await page.waitForFunction(
          (n) => Number(document.getElementById('focus').dataset.draws) > n,
          draws,
          { timeout: TIMEOUT },
        );
        const after = await focusPixels(page);
        assert.equal(after.length, before.length);
        const change = after.reduce((s, v, i) => s + Math.abs(v - before[i]), 0) / after.length;
        assert.ok(change > 5, `${id} changed the face by ${change.toFixed(2)}`);
      }
      await page.screenshot({ path: `${OUT}/latent-attributes-cpu.png`, fullPage: true });
    });
  } finally {
    await browser.close();
  }
}

const server = await serve('dist');
try {
  for (const b of BACKENDS) await run(server, b === 'webgpu');
  // One backend is enough: the sliders are the page's, the generation is tested above.
  await runFaces(server);
} finally {
  server.close();
}
finish();
